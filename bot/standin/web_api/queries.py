"""What tests ask the stand-in: the calls, messages, views and files people would see.

Also waiting: :meth:`Queries.wait_for` until something is true, :meth:`Queries.wait_quiet`
until the app has stopped calling, both on the real clock so a frozen test clock cannot hang.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from bot.standin.web_api.model import ApiCall, Ephemeral, Message, UploadedFile, real_monotonic
from bot.standin.web_api.state import Workspace


class Queries(Workspace):
    """Read back what the app did, wait for it, and forget it."""

    @property
    def calls(self) -> list[ApiCall]:
        """Every call so far, in the order they were answered."""
        with self._lock:
            return list(self._calls)

    @property
    def limit_violations(self) -> list[str]:
        """Every Block Kit limit (or view answer) Slack would have refused, one line each."""
        with self._lock:
            return list(self._limit_violations)

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of requests the stand-in itself failed on (a bug here, not in the app)."""
        with self._lock:
            return list(self._internal_errors)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls of one method, answered or refused."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        """Messages as posted (chat.postMessage, in-channel responses), newest last."""
        with self._lock:
            return [m for m in self._messages if channel is None or m.channel == channel]

    def dms(self, user_id: str) -> list[Message]:
        """Messages posted in the bot's DM with this person, newest last."""
        return self.messages(self.dm_channel(user_id))

    def message(self, channel: str, ts: str) -> Message | None:
        """The message as it is now (after updates), or None if deleted or never posted."""
        with self._lock:
            return self._current.get((channel, ts))

    def updates(self, channel: str | None = None) -> list[Message]:
        """Messages as they were rewritten (chat.update, replace_original), newest last."""
        with self._lock:
            return [m for m in self._updates if channel is None or m.channel == channel]

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        """Messages only one person saw, newest last."""
        with self._lock:
            return [e for e in self._ephemerals if user is None or e.user == user]

    def views_opened(self, user: str | None = None, *, since: int = 0) -> list[dict[str, Any]]:
        """Modals opened (views.open) or pushed, as Slack returned them, oldest first; ``since``
        leaves out (and does not copy) that many of the oldest."""
        with self._lock:
            opened = [
                e.view
                for e in self._view_log
                if e.kind in ("open", "push") and (user is None or e.user == user)
            ]
            return [copy.deepcopy(view) for view in opened[since:]]

    def count_views_opened(self, user: str | None = None) -> int:
        """How many modals :meth:`views_opened` would return, without copying them (the demo
        counts before each step and waits for one more)."""
        with self._lock:
            return sum(
                1
                for e in self._view_log
                if e.kind in ("open", "push") and (user is None or e.user == user)
            )

    def last_view(self, user: str) -> dict[str, Any] | None:
        """The modal most recently opened, pushed or updated for ``user`` (with its id)."""
        with self._lock:
            for event in reversed(self._view_log):
                if event.user == user and event.view.get("type") == "modal":
                    return copy.deepcopy(event.view)
        return None

    def open_views(self, user: str) -> list[dict[str, Any]]:
        """The person's modal stack as it is now, root first (empty when closed)."""
        with self._lock:
            return [copy.deepcopy(self._views[v]) for v in self._stacks.get(user, [])]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """A view (modal or home) as it is now, by id."""
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found else None

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The person's App Home as last published, or None."""
        with self._lock:
            view_id = self._homes.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def files(self) -> list[UploadedFile]:
        """Files shared so far, with their bytes."""
        with self._lock:
            return list(self._files)

    def wait_quiet(self, quiet: float = 0.15, timeout: float = 30.0) -> None:
        """Wait until no Web API call has been answered for ``quiet`` seconds: the app's
        listeners have done what they do after their ack. AssertionError after ``timeout``."""
        deadline = real_monotonic() + timeout
        seen, since = -1, real_monotonic()
        while (now := real_monotonic()) - since < quiet:
            if now > deadline:
                raise AssertionError(f"the app kept calling Slack for {timeout} s")
            with self._lock:
                count = len(self._calls)
            if count != seen:
                seen, since = count, now
            time.sleep(0.02)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Poll ``predicate`` until it is truthy and return its value; AssertionError on timeout.

        Bolt runs listeners after the ack on a thread, so side effects land a little later.
        """
        deadline = real_monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - real_monotonic()
                if left <= 0:
                    raise AssertionError(f"still not true after {timeout} s: {predicate!r}")
                self._changed.wait(min(left, 0.05))

    def take_calls(self) -> list[ApiCall]:
        """Every call recorded so far, forgetting all recordings at once (as :meth:`reset`).

        A stand-in under load for a long time (the benchmarks) calls this now and then to tally
        the traffic without keeping every view and message in memory.
        """
        with self._lock:
            calls = list(self._calls)
            self._clear_recordings()
        return calls

    def reset(self, *, directory: bool = False) -> None:
        """Forget calls, messages, views, files and faults; ``directory`` also people/channels."""
        with self._lock:
            self._clear_recordings()
            if directory:
                self._forget_directory()
