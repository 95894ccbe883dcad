"""`retrobot serve --http` with clients that send slowly or too much, over real HTTP (issue 15,
item 4): a few connections trickling a 100 kB body used to hold every worker thread, and Slack's
signed requests timed out behind them."""

from __future__ import annotations

import http.client
import re
import selectors
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, NORTH_CHANNEL, SIGNING_SECRET, TEST_APP_YAML
from tests.journeys.steps import serve_environment
from tests.journeys.test_serve import Served, free_port, wait_healthy

REQUEST_TIMEOUT = 1.5  # seconds: short, so the slow clients are answered within the test
SLACK_ACK = 3.0
HEAD = (
    "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
)


@pytest.fixture
def server(tmp_path: Path, fake_slack: FakeSlack, database_url: str) -> Iterator[Served]:
    """`retrobot serve --http` on one worker of two threads, as documented, with its port."""
    config = tmp_path / "app.yaml"
    config.write_text(TEST_APP_YAML, encoding="utf-8")
    env = serve_environment(fake_slack, database_url, config)
    port = free_port()
    args = ["--http", "--port", str(port), "--workers", "1", "--threads", "2"]
    server = Served([*args, "--request-timeout", str(REQUEST_TIMEOUT)], env, tmp_path / "s.log")
    server.port = port  # type: ignore[attr-defined]
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", timeout=60)
        yield server
        assert server.stop() == 0
        assert "Traceback" not in server.log
    finally:
        server.close()


@pytest.fixture
def served(server: Served) -> int:
    """The port of the server above."""
    return server.port  # type: ignore[attr-defined]


class Trickler(threading.Thread):
    """A client that announces a 100 kB body and sends it a byte every tenth of a second,
    until it is answered; it keeps the answer's status line and when it came."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.started = time.monotonic()
        self.status_line = ""
        self.answered_after: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        with self.sock, selectors.DefaultSelector() as selector:
            selector.register(self.sock, selectors.EVENT_READ)
            try:
                self.sock.sendall(HEAD.format(length=100_000).encode())
                while not self.stop.is_set():
                    if selector.select(timeout=0.1):
                        answer = self.sock.recv(4096).decode("latin-1")
                        self.status_line = answer.split("\r\n", 1)[0]
                        self.answered_after = time.monotonic() - self.started
                        return
                    self.sock.send(b"a")
            except OSError as error:
                self.status_line = f"connection failed: {error!r}"


def signed_command(port: int, fake_slack: FakeSlack) -> tuple[int, float]:
    """A signed `/tension`, as Slack sends it: its status and how long its answer took."""
    sender = SlackSender(
        f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake_slack, timeout=10
    )
    answer = sender.command("/tension", "", user_id=ANA, channel_id=NORTH_CHANNEL)
    return answer.status, answer.elapsed


def test_slow_clients_hold_no_thread_and_are_answered_408(
    served: int, fake_slack: FakeSlack
) -> None:
    assert signed_command(served, fake_slack)[0] == 200  # the worker is warm
    tricklers = [Trickler(served) for _ in range(5)]  # more than the worker's 2 threads
    for trickler in tricklers:
        trickler.start()
    try:
        time.sleep(0.3)  # each has sent its headers and is trickling its body
        answers = [signed_command(served, fake_slack) for _ in range(4)]
    finally:
        for trickler in tricklers:
            trickler.join(timeout=REQUEST_TIMEOUT + 5)
            trickler.stop.set()
    assert [status for status, _ in answers] == [200] * 4
    slowest = max(elapsed for _, elapsed in answers)
    assert slowest < SLACK_ACK, f"a signed request waited {slowest:.1f} s behind slow clients"
    for trickler in tricklers:
        assert trickler.status_line == "HTTP/1.1 408 Request Timeout"
        assert trickler.answered_after is not None
        assert REQUEST_TIMEOUT - 0.2 < trickler.answered_after < REQUEST_TIMEOUT + 3


def test_a_body_over_the_limit_is_413_at_once_and_the_server_serves_on(
    served: int, fake_slack: FakeSlack
) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=5) as sock:
        sock.sendall(HEAD.format(length=5_000_000).encode() + b"a" * 1000)
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413 Content Too Large\r\n")
    assert "Connection: close" in answer
    assert signed_command(served, fake_slack)[0] == 200


def test_keep_alive_a_waiting_client_and_a_request_in_pieces_are_served(
    served: int, fake_slack: FakeSlack
) -> None:
    sender = SlackSender(f"http://127.0.0.1:{served}/slack/events", SIGNING_SECRET, fake_slack)

    def command() -> bytes:  # each with a trigger id of its own
        fields = sender.build_command("/tension", "", user_id=ANA, channel_id=NORTH_CHANNEL)
        return urllib.parse.urlencode(fields).encode()

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    try:
        for _ in range(3):  # one keep-alive connection, request after request
            body = command()
            connection.request(
                "POST", "/slack/events", body=body, headers={**headers, **sender.sign(body)}
            )
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200
    finally:
        connection.close()

    # As curl sends a larger body: the headers first, asking to be told to go on.
    body = command()
    head = HEAD.format(length=len(body)).replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n")
    signed = "".join(f"{k}: {v}\r\n" for k, v in sender.sign(body).items())
    with socket.create_connection(("127.0.0.1", served), timeout=10) as sock:
        sock.sendall(f"{head}{signed}\r\n".encode())
        assert sock.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body[:10])
        time.sleep(0.2)
        sock.sendall(body[10:])
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"100 Continue" not in answer

    # Two requests sent at once (pipelined): the second waits in the worker, then is served.
    first, second = command(), command()
    raw = b""
    for body in (first, second):
        signed = "".join(f"{k}: {v}\r\n" for k, v in sender.sign(body).items())
        raw += f"{HEAD.format(length=len(body))[:-2]}{signed}\r\n".encode() + body
    with socket.create_connection(("127.0.0.1", served), timeout=10) as sock:
        sock.sendall(raw)
        assert read_statuses(sock, 2) == [200, 200]


def read_statuses(sock: socket.socket, count: int) -> list[int]:
    """The statuses of ``count`` answers read one after another from ``sock``."""
    data, statuses = b"", []
    while len(statuses) < count:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            chunk = sock.recv(65536)
            assert chunk, f"the connection closed after {statuses}"
            data += chunk
            continue
        head = data[:end].decode("latin-1")
        length = int(re.search(r"(?im)^content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        while len(data) < end + 4 + length:
            data += sock.recv(65536)
        statuses.append(int(head.split()[1]))
        data = data[end + 4 + length :]
    return statuses
