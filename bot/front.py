"""The front of `retrobot serve --http`: a request reaches a worker thread only once it is whole.

gunicorn's gthread worker hands a connection to a thread as soon as its first bytes arrive, and
the thread then reads the headers and the body itself: a client that sends a 100 kB body a few
bytes a second holds that thread for as long as it likes, and a few such clients hold every
thread while Slack's signed requests wait (issue 15, item 4). :class:`FrontWorker` is gthread
whose threads never wait on a client: a thread reads only what has already arrived, without
blocking, and serves the request if that makes it whole — as a request from Slack nearly always
is, in one or two packets; if not, it gives the connection back to the worker's event loop, as
nginx and waitress do it, whose selector reads the rest as it comes, without a thread, and hands
the request to the pool only once it is whole (headers, then a Content-Length body or a chunked
one to its last chunk). The pool's parser then reads it from memory, never from the
socket. Three limits keep the loop's memory and sockets bounded:

- a request must arrive whole within ``request_timeout`` seconds of its first byte (of the
  connection, for a new one): slower ones are answered **408** and closed;
- a body over :data:`MAX_BODY` bytes (1 MiB, nginx's default too) is answered **413** at once;
- headers over :data:`MAX_HEAD` bytes are answered **431**; a length that is not a number, two
  lengths, or a length beside chunked encoding (a way to smuggle requests) is **400**.

A refused connection is not cut off at once: its answer is sent, its writing side shut, and
what the client still sends is read and dropped for up to :data:`LINGER` seconds, so that the
client reads the answer rather than a reset. gunicorn 27's gthread worker is extended here, not
copied: keep-alive, the graceful stop, HTTP/1.1 parsing and the WSGI call are its own.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

MAX_BODY = 1024 * 1024  # Slack's largest payload, a 250 kB view submitted with its state, fits
MAX_HEAD = 32 * 1024
REQUEST_TIMEOUT = 10.0  # a request slower than this is useless: Slack waits 3 s for the ack
LINGER = 2.0
STOP_LINGER = 0.2  # once the worker is stopping
RECV = 64 * 1024
MAX_CHUNK_LINE = 4096

REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
}


# What a thread's reading came to, when it did not serve a request.
WAIT = object()  # not whole yet: the loop receives the rest
GONE = object()  # the client closed


class Refused(Exception):
    """A request the front answers itself, with this status, and closes."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def answer(status: int) -> bytes:
    """The whole HTTP response the front sends for a refused request."""
    body = b'{"error": "%s"}' % REASONS[status].lower().encode()
    return (
        b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s" % (status, REASONS[status].encode(), len(body), body)
    )


class Request:
    """What has arrived of one request: how long it will be once its headers are read."""

    def __init__(self, max_body: int = MAX_BODY) -> None:
        self.max_body = max_body
        self.head_end: int | None = None  # where the body starts
        self.length: int | None = None  # the whole request's length, once known
        self.chunked = False
        self.chunk_at = 0  # where the next chunk's size line starts
        self.body_seen = 0
        self.wants_continue = False

    def measure(self, buffer: bytearray) -> int | None:
        """The length of the request at the start of ``buffer``, or None while it is not all
        there. May rewrite the headers in ``buffer`` (an Expect header, answered here). Raises
        :class:`Refused`."""
        if self.head_end is None and not self._read_head(buffer):
            return None
        if self.length is None and self.chunked:
            self._scan_chunks(buffer)
        if self.length is not None and len(buffer) >= self.length:
            return self.length
        return None

    def _read_head(self, buffer: bytearray) -> bool:
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD:
                raise Refused(431)
            return False
        if end > MAX_HEAD:
            raise Refused(431)
        lines = bytes(buffer[:end]).split(b"\r\n")
        kept, lengths, encodings = [lines[0]], set(), []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                lengths.add(value)
            elif name == b"transfer-encoding":
                encodings += [v.strip().lower() for v in value.split(b",")]
            elif name == b"expect" and value.lower() == b"100-continue":
                # The body is all here by the time a thread sees the request: nothing to expect.
                self.wants_continue = True
                continue
            kept.append(line)
        head = b"\r\n".join(kept) + b"\r\n\r\n"
        buffer[: end + 4] = head
        self.head_end = len(head)
        self._body_length(lengths, encodings)
        return True

    def _body_length(self, lengths: set[bytes], encodings: list[bytes]) -> None:
        assert self.head_end is not None
        if encodings:
            if lengths or encodings[-1] != b"chunked":
                raise Refused(400)
            self.chunked, self.chunk_at = True, self.head_end
            return
        if len(lengths) > 1 or not all(v.isdigit() for v in lengths):
            raise Refused(400)
        body = int(next(iter(lengths))) if lengths else 0
        if body > self.max_body:
            raise Refused(413)
        self.length = self.head_end + body

    def _scan_chunks(self, buffer: bytearray) -> None:
        """Walk the chunks that have arrived; set the length when the last one has."""
        while True:
            line_end = buffer.find(b"\r\n", self.chunk_at)
            if line_end < 0:
                if len(buffer) - self.chunk_at > MAX_CHUNK_LINE:
                    raise Refused(400)
                return
            size_text = bytes(buffer[self.chunk_at : line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise Refused(400) from None
            if size == 0:
                self._find_trailers_end(buffer, line_end + 2)
                return
            self.body_seen += size
            if self.body_seen > self.max_body:
                raise Refused(413)
            next_at = line_end + 2 + size + 2
            if len(buffer) < next_at:
                return
            self.chunk_at = next_at

    def _find_trailers_end(self, buffer: bytearray, start: int) -> None:
        if buffer[start : start + 2] == b"\r\n":
            self.length = start + 2
            return
        end = buffer.find(b"\r\n\r\n", start)
        if end >= 0:
            self.length = end + 4
        elif len(buffer) - start > MAX_HEAD:
            raise Refused(431)


class Feed:
    """The bytes of whole requests, read by gunicorn's parser in place of the socket: when
    they run out it reads the end of the stream, never waits on the client."""

    def __init__(self) -> None:
        self._data = b""

    @property
    def ready(self) -> bool:
        """True while it holds a request not yet read."""
        return bool(self._data)

    def give(self, data: bytes) -> None:
        """Add a whole request (in the main thread, before a thread is given the connection)."""
        self._data += data

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes of what was given."""
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk


class FrontConn(TConn):
    """A connection whose requests are received by the worker's event loop."""

    def __init__(self, cfg: Any, sock: socket.socket, client: Any, server: Any) -> None:
        super().__init__(cfg, sock, client, server)
        self.pending = bytearray()  # received, not yet handed to a thread
        self.request = Request()
        self.deadline = 0.0
        self.feed = Feed()
        self.parser = http.get_parser(cfg, self.feed, client)
        self.initialized = True  # no TLS, no HTTP/2 preface: the parser above is all init does
        self.linger: Any = None  # set by the worker: closes without blocking its loop

    def close(self, graceful: bool = False) -> None:
        """Close; a graceful close (gunicorn's, after an answer that closes the connection,
        counted out already) lingers in the worker's loop instead of blocking it."""
        if graceful and self.linger is not None:
            self.linger(self, counted=False)
        else:
            super().close(graceful=False)


class FrontWorker(ThreadWorker):
    """gthread, with every request received whole by the event loop before a thread sees it."""

    request_timeout = REQUEST_TIMEOUT
    max_body = MAX_BODY

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.receiving: dict[FrontConn, None] = {}  # ordered; deadlines checked every turn
        # Connections answered and closing: when to close them at the latest, and whether they
        # still count among the worker's connections (gunicorn counts out those it closes).
        self.lingering: dict[FrontConn, tuple[float, bool]] = {}

    def accept(self, listener: socket.socket) -> None:
        """Accept a connection and wait in the loop for its first request."""
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = FrontConn(self.cfg, client, address, listener.getsockname())
        conn.linger = self._linger
        self._start(conn)
        self._wait(conn)

    def on_client_socket_readable(self, conn: FrontConn, client: socket.socket) -> None:
        """A kept-alive connection sends its next request: a thread reads what has come."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._start(conn)
        self.enqueue_req(conn)

    def handle(self, conn: FrontConn) -> Any:
        """In a thread: read what has arrived without waiting; serve the request if it is
        whole (as it nearly always is), else give the connection back to the loop."""
        if not conn.feed.ready:
            outcome = self._take(conn)
            if outcome is not None:
                return outcome
        return super().handle(conn)

    def finish_request(self, conn: FrontConn, fs: Any) -> None:
        """In the loop, after a thread: a connection given back is received here, a refused one
        answered; after gunicorn's own, a request sent behind the last is taken up now."""
        outcome = None if fs.cancelled() or fs.exception() else fs.result()
        if outcome is WAIT:
            self._wait(conn)
            self._advance(conn)  # it may have to say 100 Continue
        elif outcome is GONE:
            self._close(conn)
        elif isinstance(outcome, Refused):
            self._refuse(conn, outcome.status)
        else:
            super().finish_request(conn, fs)
            if conn.pending and conn in self.keepalived_conns:
                self.poller.unregister(conn.sock)
                self.keepalived_conns.remove(conn)
                self._start(conn)
                self._wait(conn)
                self._advance(conn)

    def _take(self, conn: FrontConn) -> Any:
        """Read without waiting until the request is whole (None), or nothing more has come
        (WAIT), or the client has gone (GONE); a refusal is returned."""
        conn.sock.setblocking(False)
        while True:
            try:
                data = conn.sock.recv(RECV)
            except (BlockingIOError, InterruptedError):
                return WAIT
            except OSError:
                data = b""
            if not data:
                return GONE
            conn.pending += data
            try:
                length = conn.request.measure(conn.pending)
            except Refused as refusal:
                return refusal
            if length is not None:
                conn.feed.give(bytes(conn.pending[:length]))
                del conn.pending[:length]
                return None

    def _start(self, conn: FrontConn) -> None:
        conn.sock.setblocking(False)
        conn.request = Request(self.max_body)
        conn.deadline = time.monotonic() + self.request_timeout

    def _wait(self, conn: FrontConn) -> None:
        conn.sock.setblocking(False)
        self.receiving[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read, conn))

    def _read(self, conn: FrontConn, client: socket.socket) -> None:
        if not conn.pending:  # the first bytes of a request: a thread reads them, as in gthread
            self._forget(conn)
            self.enqueue_req(conn)
            return
        try:
            data = client.recv(RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away before its request was whole
            self._close(conn)
            return
        conn.pending += data
        self._advance(conn)

    def _advance(self, conn: FrontConn) -> None:
        try:
            length = conn.request.measure(conn.pending)
        except Refused as refusal:
            self._refuse(conn, refusal.status)
            return
        if length is None:
            if conn.request.wants_continue and conn.request.head_end is not None:
                conn.request.wants_continue = False
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
            return
        conn.feed.give(bytes(conn.pending[:length]))
        del conn.pending[:length]
        self._forget(conn)
        self.enqueue_req(conn)

    def _forget(self, conn: FrontConn) -> None:
        self.receiving.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def _refuse(self, conn: FrontConn, status: int) -> None:
        self._forget(conn)
        self._send(conn, answer(status))
        self._linger(conn, counted=True)

    def _send(self, conn: FrontConn, data: bytes) -> None:
        # A few hundred bytes into an empty send buffer: they go at once.
        with contextlib.suppress(OSError):
            conn.sock.send(data)

    def _linger(self, conn: FrontConn, *, counted: bool) -> None:
        """Shut the writing side, then read and drop what the client still sends, for
        :data:`LINGER` seconds at most, in the loop: its answer is read, not reset."""
        self.lingering[conn] = (time.monotonic() + LINGER, counted)
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))
        except (OSError, KeyError, ValueError):
            self._close(conn)

    def _drain(self, conn: FrontConn, client: socket.socket) -> None:
        try:
            if client.recv(RECV):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._close(conn)

    def _close(self, conn: FrontConn) -> None:
        """Close for good, counting it out unless gunicorn has."""
        _, counted = self.lingering.pop(conn, (0.0, True))
        self._forget(conn)
        if counted:
            self.nr_conns -= 1
        super(FrontConn, conn).close()

    def murder_pending(self) -> None:
        """gunicorn's sweep of waiting connections, and the front's: requests past their
        deadline get 408 (those that sent nothing are closed), lingering ones are closed."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive:  # stopping: a request still arriving gets what a kept-alive one
            for conn in self.receiving:  # gets, and an answered one no more than a moment
                conn.deadline = min(conn.deadline, now + STOP_KEEPALIVE_LINGER)
            for conn, (until, counted) in self.lingering.items():
                self.lingering[conn] = (min(until, now + STOP_LINGER), counted)
        for conn in [c for c in self.receiving if c.deadline <= now]:
            if conn.pending:
                self._refuse(conn, 408)
            else:
                self._close(conn)
        for conn in [c for c, (until, _) in self.lingering.items() if until <= now]:
            self._close(conn)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """Wait no longer than the nearest deadline, so a slow request's 408 is on time."""
        deadlines = [c.deadline for c in self.receiving]
        deadlines += [until for until, _ in self.lingering.values()]
        if deadlines:
            timeout = max(0.0, min(timeout, min(deadlines) - time.monotonic()))
        super().wait_for_and_dispatch_events(timeout)


def front_worker(request_timeout: float = REQUEST_TIMEOUT, max_body: int = MAX_BODY) -> type:
    """The worker class for gunicorn's ``worker_class``, with these limits."""
    return type(
        "RetrobotWorker",
        (FrontWorker,),
        {"request_timeout": request_timeout, "max_body": max_body, "__module__": __name__},
    )
