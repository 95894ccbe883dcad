"""bot.front's measure of a request arriving in pieces: whole or not yet, and what it refuses.
(Through real HTTP: tests/journeys/test_slow_clients.py.)"""

from __future__ import annotations

import pytest

from bot.front import MAX_HEAD, Feed, Refused, Request, answer

HEAD = b"POST /slack/events HTTP/1.1\r\nHost: h\r\n"


def measure_in_pieces(data: bytes, step: int, max_body: int = 1000) -> tuple[int | None, bytes]:
    """Feed ``data`` ``step`` bytes at a time; the length found, and the buffer as rewritten."""
    request, buffer = Request(max_body), bytearray()
    for start in range(0, len(data), step):
        buffer += data[start : start + step]
        length = request.measure(buffer)
        if length is not None:
            return length, bytes(buffer)
    return None, bytes(buffer)


@pytest.mark.parametrize("step", [1, 7, 10_000])
def test_a_request_is_whole_when_its_length_has_arrived(step: int) -> None:
    first = HEAD + b"Content-Length: 5\r\n\r\nhello"
    second = HEAD + b"Content-Length: 2\r\n\r\nhi"
    length, _ = measure_in_pieces(first + second, step)
    assert length == len(first)  # never before, and never running into the next one
    assert measure_in_pieces(first[:-1], step)[0] is None
    assert measure_in_pieces(b"GET /healthz HTTP/1.1\r\n\r\n", step)[0] == 25


@pytest.mark.parametrize("step", [1, 5, 10_000])
def test_a_chunked_body_is_whole_at_its_last_chunk_and_trailers(step: int) -> None:
    body = b"5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"
    whole = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + body
    assert measure_in_pieces(whole + b"GET / HTTP/1.1\r\n\r\n", step)[0] == len(whole)
    assert measure_in_pieces(whole[:-1], step)[0] is None
    trailed = whole[:-2] + b"Checksum: x\r\n\r\n"
    assert measure_in_pieces(trailed, step)[0] == len(trailed)


def test_an_expect_header_is_answered_by_the_front_and_taken_out() -> None:
    request, buffer = (
        Request(),
        bytearray(HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n"),
    )
    assert request.measure(buffer) is None
    assert request.wants_continue
    buffer += b"ok"
    assert request.measure(buffer) == len(buffer)
    assert bytes(buffer) == HEAD + b"Content-Length: 2\r\n\r\nok"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (HEAD + b"Content-Length: 1001\r\n\r\n", 413),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3e9\r\n", 413),
        (HEAD + b"X: " + b"a" * MAX_HEAD, 431),
        (HEAD + b"Content-Length: 1e3\r\n\r\n", 400),
        (HEAD + b"Content-Length: -1\r\n\r\n", 400),
        (HEAD + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (HEAD + b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (HEAD + b"Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1" * 5000, 400),
    ],
)
def test_what_the_front_refuses(data: bytes, status: int) -> None:
    with pytest.raises(Refused) as refused:
        measure_in_pieces(data, 10_000)
    assert refused.value.status == status


def test_the_answer_to_a_refusal_is_whole_and_closes() -> None:
    text = answer(408).decode()
    head, body = text.split("\r\n\r\n")
    assert head.startswith("HTTP/1.1 408 Request Timeout\r\n")
    assert "Connection: close" in head
    assert f"Content-Length: {len(body)}" in head


def test_the_feed_gives_what_it_was_given_then_the_end_of_the_stream() -> None:
    feed = Feed()
    feed.give(b"abcdef")
    assert [feed.recv(4), feed.recv(4), feed.recv(4)] == [b"abcd", b"ef", b""]
