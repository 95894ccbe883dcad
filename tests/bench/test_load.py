"""The load generator's arithmetic: signatures Bolt accepts, percentiles, windows, threads."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from slack_sdk.signature import SignatureVerifier

from bench import ack_bench
from bench.harness import percentile
from bench.load import VIEW_ID_MARK, Outcome, Request, Sample, Signer, _Connection, spread


def test_signatures_are_the_ones_slack_sends() -> None:
    body = b"payload=%7B%22type%22%3A%22view_submission%22%7D"
    headers = Signer("secret").headers(body, "application/x-www-form-urlencoded")
    assert SignatureVerifier("secret").is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    assert not SignatureVerifier("other").is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    assert abs(int(headers["X-Slack-Request-Timestamp"]) - time.time()) < 5


def test_only_bodies_with_the_mark_get_an_id_of_their_own() -> None:
    assert Request("submission", b"view=" + VIEW_ID_MARK).unique_view
    assert not Request("command", b"command=%2Ftension").unique_view


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.5
    assert percentile(values, 99) == 99.01
    assert percentile([3.0], 99) == 3.0
    assert percentile(list(reversed(values)), 0) == 1.0


def test_threads_are_shared_evenly_and_no_process_is_left_empty() -> None:
    assert spread(50, 2) == [25, 25]
    assert spread(7, 3) == [3, 2, 2]
    assert spread(2, 4) == [1, 1]


def test_only_the_measuring_window_counts() -> None:
    samples = [
        Sample(0, due=0.5, done=0.6, status=200),  # warm-up
        Sample(1, due=1.0, done=1.2, status=200),
        Sample(0, due=1.5, done=2.5, status=200),  # due inside, answered after the window
        Sample(1, due=1.9, done=1.95, status=404),
    ]
    outcome = Outcome(kinds=["command", "submission"], samples=samples, start=1.0, end=2.0)
    assert [s.due for s in outcome.ok()] == [1.0, 1.5]
    assert [s.due for s in outcome.ok("submission")] == [1.0]
    assert outcome.answered_per_second() == 1.0  # one answered 200 inside [1, 2)
    assert outcome.failed() == 1
    assert outcome.sent("command") == 2
    assert samples[2].latency == 1.0


def test_an_answer_that_keeps_the_modal_open_is_told_from_one_that_closed_it() -> None:
    """A submission the database could not take is answered 200 with field errors: answered,
    but not stored, and the benchmark must not count it as a stored tension."""
    answers = iter([b"", b'{"response_action": "errors", "errors": {"text": "try again"}}'])

    class Slack(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = next(answers)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Slack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    connection = _Connection("127.0.0.1", server.server_port, "/slack/events")
    try:
        assert connection.post(b"payload=1", {}) == (200, False)
        assert connection.post(b"payload=2", {}) == (200, True)
    finally:
        connection.close()
        server.shutdown()
        server.server_close()
    samples = [Sample(1, 1.0, 1.1, 200), Sample(1, 1.2, 1.3, 200, kept_open=True)]
    outcome = Outcome(kinds=["command", "submission"], samples=samples, start=1.0, end=2.0)
    assert outcome.sent("submission") == 2 and outcome.kept_open("submission") == 1
    sent: dict = {}
    ack_bench.count_answered(outcome, sent)
    assert ack_bench.stored_submissions(sent) == 1
    assert ack_bench.expected_calls(sent) == {"views.open": 0, "chat.postMessage": 1}
