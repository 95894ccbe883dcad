"""Publishes of one retrospective asked for together: threads take turns on a lock, and one
that waited while a later publish read the database is done by that publish (votes clicked
together update the channel message once more, not once each)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bot.retros import delivery
from bot.retros.delivery import Published


def test_publishes_asked_while_one_runs_are_done_by_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def publish_once(services: Any, *, retro_id: int, paced: bool) -> Published:
        runs.append(retro_id)
        if len(runs) == 1:  # the first holds its turn until the others have asked
            running.set()
            assert release.wait(10)
        return Published(retro_id, "C1", f"1.{len(runs)}")

    monkeypatch.setattr(delivery, "_publish", publish_once)
    results: dict[str, Published] = {}

    def ask(name: str) -> None:
        results[name] = delivery.publish(None, retro_id=7)  # type: ignore[arg-type]

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert running.wait(10)
    others = [threading.Thread(target=ask, args=(name,)) for name in ("second", "third")]
    for thread in others:
        thread.start()
    while delivery._ASKED[7].asked < 3:  # both have asked, and wait their turn
        threading.Event().wait(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(10)

    assert runs == [7, 7]  # the first, then one publish for the two that waited
    assert results["first"].ts == "1.1"
    assert results["second"] == results["third"] and results["second"].ts == "1.2"
    assert 7 not in delivery._ASKED  # nothing kept once nobody waits


def test_a_publish_that_failed_shows_nothing_for_those_that_waited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[int] = []

    def failing(services: Any, *, retro_id: int, paced: bool) -> Published:
        runs.append(retro_id)
        return Published(retro_id, "C1", None, "channel_not_found")

    monkeypatch.setattr(delivery, "_publish", failing)
    for _ in range(2):
        assert not delivery.publish(None, retro_id=8).ok  # type: ignore[arg-type]
    assert runs == [8, 8]
