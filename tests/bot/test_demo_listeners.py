"""The demo's listener pool knows when the app has finished what it was asked."""

from __future__ import annotations

import threading

import pytest

from bot.demo.listeners import ListenerPool


def test_wait_idle_waits_for_every_listener_and_says_when_one_never_ends() -> None:
    pool = ListenerPool(threads=2)
    release = threading.Event()
    done: list[int] = []
    try:
        pool.wait_idle(timeout=1)  # nothing asked: idle at once
        for number in range(3):
            pool.submit(lambda n=number: (release.wait(5), done.append(n)))
        with pytest.raises(AssertionError, match="still busy"):
            pool.wait_idle(timeout=0.1)
        release.set()
        pool.wait_idle(timeout=5)
        assert sorted(done) == [0, 1, 2]
    finally:
        release.set()
        pool.shutdown()


def test_a_failing_listener_still_counts_as_finished() -> None:
    pool = ListenerPool(threads=1)
    try:
        future = pool.submit(lambda: 1 / 0)
        pool.wait_idle(timeout=5)
        assert isinstance(future.exception(), ZeroDivisionError)
    finally:
        pool.shutdown()


def test_without_the_pool_a_demo_step_settles_once_slack_is_quiet() -> None:
    import io
    import random

    from bot.demo.steps import DemoSteps
    from bot.standin.web_api import FakeSlack

    with FakeSlack() as fake:
        steps = DemoSteps(fake, None, None, random.Random(1), io.StringIO())  # type: ignore[arg-type]
        steps.settle()  # waits for a quiet Slack (it called itself for ever before)
