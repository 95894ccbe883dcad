"""The demo app's listener threads, which know when the app has finished what it was asked.

Bolt acks a request and goes on with the listener's work on a thread; the demo must not take
its next step (open someone's Home tab, say) while that work may still call Slack. Waiting for
Slack to fall quiet for a while costs that while every time and is only a guess; counting the
listener work not yet finished is exact and costs nothing when there is none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot.app import LISTENER_THREADS


class ListenerPool(ThreadPoolExecutor):
    """The app's listener pool (as bot.app makes it), counting the work it has not finished."""

    def __init__(self, threads: int = LISTENER_THREADS) -> None:
        super().__init__(threads, thread_name_prefix="listener")
        self._unfinished = 0
        self._finished = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn`` on a listener thread, counted until it is done."""
        with self._finished:
            self._unfinished += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._one_done()
            raise
        future.add_done_callback(self._one_done)
        return future

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until every listener has finished; AssertionError after ``timeout`` seconds."""
        with self._finished:
            if not self._finished.wait_for(lambda: self._unfinished == 0, timeout):
                raise AssertionError(f"the app's listeners were still busy after {timeout} s")

    def _one_done(self, future: Future[Any] | None = None) -> None:
        with self._finished:
            self._unfinished -= 1
            if self._unfinished == 0:
                self._finished.notify_all()
