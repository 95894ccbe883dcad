"""The ack goes out the moment a listener calls ``ack()``, not at the next 10 ms poll.

Bolt over HTTP runs each listener on its executor while the request's thread looks at
``ack.response`` every 10 ms (slack_bolt's ``ThreadListenerRunner``): no answer leaves sooner
than that poll, and on average 5 ms after the listener acked. Here the ack is a
``threading.Event`` as well: the request's thread waits on it and answers the instant the
listener acks (or fails before acking), while the listener's work after its ack goes on on the
executor as before. Everything else is Bolt's: the 3 s ack timeout, a 500 for a listener that
raised before acking (its error handled and logged), an error after the ack only handled and
logged, the listener start and completion handlers, lazy listeners and
``process_before_response`` (left to Bolt's own runner).
"""

from __future__ import annotations

import threading
import time

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.listener import Listener
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from slack_bolt.logger.messages import warning_did_not_call_ack


class SignallingAck(Ack):
    """Bolt's ``ack``, which also says the moment there is an answer, and keeps the first one.

    Bolt sets ``response`` when the listener acks, and also when a listener that raised before
    acking is given its 500; it sets it back to None when one raises after acking. The first
    answer is the one the request gets.
    """

    def __init__(self) -> None:
        self.answered = threading.Event()
        self.first: BoltResponse | None = None
        super().__init__()

    @property  # type: ignore[override]
    def response(self) -> BoltResponse | None:
        """The answer Bolt has set (None before the ack, or after an error that followed it)."""
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        self._response = value
        if value is not None and self.first is None:
            self.first = value
            self.answered.set()


class AckFirstRunner(ThreadListenerRunner):
    """Bolt's listener runner, answering the request the moment the listener acks."""

    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        """Start the listener on the executor and answer as soon as it acks (Bolt's rules)."""
        if self.process_before_response or request.lazy_only or listener.lazy_functions:
            return super().run(request, response, listener_name, listener, starting_time)
        started = starting_time if starting_time is not None else time.time()
        ack = SignallingAck()
        request.context["ack"] = ack  # the listener's ``ack`` argument is built from it
        if listener.auto_acknowledgement:
            ack()  # events: acknowledged at once, as Bolt does
        outcome: list[BoltResponse | None] = [response]
        self.listener_executor.submit(self._run_listener, request, listener, ack, outcome)
        ack.answered.wait(max(0.0, listener.ack_timeout - (time.time() - started)))
        # Bolt's answer, in Bolt's order: the response an error before the ack made, else the
        # ack's; nothing (a warning) when the listener did not ack in time.
        if outcome[0] is not None:
            return outcome[0]
        if ack.first is None:
            self.logger.warning(warning_did_not_call_ack(listener_name))
        return ack.first

    def _run_listener(
        self,
        request: BoltRequest,
        listener: Listener,
        ack: SignallingAck,
        outcome: list[BoltResponse | None],
    ) -> None:
        """The listener, on an executor thread: as Bolt's ``run_ack_function_asynchronously``."""
        response = outcome[0]
        try:
            self.listener_start_handler.handle(request=request, response=response)
            listener.run_ack_function(request=request, response=response)
        except Exception as error:
            if listener.auto_acknowledgement:
                self.listener_error_handler.handle(error=error, request=request, response=response)
            else:
                if response is None:
                    response = BoltResponse(status=500)
                response.status = 500
                if ack.first is not None:  # already acknowledged: the answer has gone
                    response = None
                self.listener_error_handler.handle(error=error, request=request, response=response)
                outcome[0] = response
                ack.response = response
        finally:
            self.listener_completion_handler.handle(request=request, response=response)


def answer_on_ack(app: App) -> None:
    """Give ``app`` the runner that answers on the ack, keeping Bolt's handlers and executor.

    Before ``app.error(...)``, which sets the error handler on the runner in place.
    """
    bolt = app.listener_runner
    app._listener_runner = AckFirstRunner(
        logger=bolt.logger,
        process_before_response=bolt.process_before_response,
        listener_error_handler=bolt.listener_error_handler,
        listener_start_handler=bolt.listener_start_handler,
        listener_completion_handler=bolt.listener_completion_handler,
        listener_executor=bolt.listener_executor,
        lazy_listener_runner=bolt.lazy_listener_runner,
    )
