"""CPython's cycle collector, set for a process that keeps what it built at start for its life.

The collector looks for reference cycles each time 700 more container objects have been made
than freed, and now and then walks every object the process holds. A retrobot process holds
about 160,000 that live as long as it does — modules, classes, SQLAlchemy's mappers and cached
statements, the compiled templates — and a walk of them all takes tens of milliseconds and finds
nothing: in the demo the collector was about a tenth of the CPU.

:func:`settle` is called once a process has built what it keeps (its app and services, in the
worker, the Socket Mode process, the scheduler's process and the demo): it moves all of that
out of the collector's sight (``gc.freeze``; the objects are still freed by reference counting
if ever dropped, as before) and lets more objects be made between looks, so the collector spends
its time on what requests make, in fewer and larger steps. Cycles made later are still found.
Tests never call it: their processes build and drop an app per test.

:func:`importing` keeps the collector still while a command imports the app: the ~160,000
objects an import makes are classes, functions and modules, none of them garbage, and the
collector's looks while they pile up cost about a sixth of the import (0.15 s of the demo's).
Afterwards they are frozen at once: otherwise the first object made once the collector is back
starts a look at all 175,000 of them as its youngest (0.065 s, for nothing).

:func:`leave` is called as a command's process exits: CPython then clears every module and has
the collector walk all that is left, again and again, to free memory the operating system takes
back at once anyway (0.2 s after the demo, 0.26 s after a bare import of the app). Frozen, it is
freed by reference counting as the modules are cleared, and nothing is walked.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Container objects made between two looks at the youngest ones (CPython's default is 700): a
# request makes a few thousand, and a look at 10,000 young objects takes well under a
# millisecond.
YOUNGEST = 10_000


def settle() -> None:
    """Keep what start-up built out of later walks, and look less often.

    No collection first: a full one walks everything for the little garbage an import leaves
    (0.1 s of the demo), and that little would be kept either way."""
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST, middle, oldest)


def leave() -> None:
    """Keep everything out of the collector's walks at exit (a command's last step; never in a
    process that goes on, such as a test run: frozen objects are never collected)."""
    gc.freeze()


@contextmanager
def importing() -> Iterator[None]:
    """No cycle collection inside: for importing what a process keeps for its whole life, which
    is then kept out of the collector's walks (frozen, as :func:`settle` freezes)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()
