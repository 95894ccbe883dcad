"""The cycle collector as a long-lived process sets it (bot.core.heap): what start-up built is
kept out of its walks, and what requests make later is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.core import heap


class Node:
    """An object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def settled() -> Iterator[None]:
    """The collector settled as a worker settles it, and put back afterwards for the suite."""
    threshold = gc.get_threshold()
    try:
        heap.settle()
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_what_start_up_built_is_out_of_the_collectors_walks(settled: None) -> None:
    assert gc.get_freeze_count() > 1000  # this test process's modules, classes, fixtures...
    assert gc.get_threshold()[0] == heap.YOUNGEST
    assert gc.isenabled()


def test_a_cycle_made_after_settling_is_still_collected(settled: None) -> None:
    one, two = Node(), Node()
    one.other, two.other = two, one
    gone = weakref.ref(one)
    del one, two
    assert gone() is not None  # a cycle: reference counting alone never frees it
    gc.collect()
    assert gone() is None


@pytest.fixture
def thawed() -> Iterator[None]:
    """The suite's objects given back to the collector after a test that froze them."""
    try:
        yield
    finally:
        gc.unfreeze()


def test_what_an_import_made_is_frozen_so_no_look_walks_it_afterwards(thawed: None) -> None:
    with heap.importing():
        made = [Node() for _ in range(5_000)]  # as an import makes classes and functions
        assert gc.get_count()[0] >= 5_000  # all of them young: the next look would walk them
    assert gc.get_count()[0] < 100
    assert gc.get_freeze_count() >= 5_000
    assert gc.isenabled()
    del made


def test_the_collector_is_still_while_importing_and_as_it_was_afterwards(thawed: None) -> None:
    with heap.importing():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with heap.importing():
            pass
        assert not gc.isenabled()  # it was off before: it is not switched on behind its back
    finally:
        gc.enable()


def test_the_collector_is_back_when_an_import_fails() -> None:
    with pytest.raises(ImportError), heap.importing():
        import bot.no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert gc.isenabled()
