"""The A/B protocol every benchmark follows (bench/protocol.py)."""

from __future__ import annotations

import pytest

from bench import protocol


def test_the_sides_alternate_a_b_a_b_and_each_round_gives_its_ratio(
    capsys: pytest.CaptureFixture[str],
) -> None:
    order: list[tuple[str, int]] = []
    figures = {"A": [8.0, 9.0, 6.0, 8.0, 10.0], "B": [10.0, 10.0, 10.0, 8.0, 10.0]}

    def run(side: str, number: int) -> float:
        order.append((side, number))
        return figures[side][number - 1]

    watch = protocol.LoadWatch(cores=10_000)  # never loaded
    rounds = protocol.alternate(("A", "B"), 5, run, watch=watch)

    assert order == [(side, n) for n in range(1, 6) for side in ("A", "B")]
    ratios = rounds.ratios(lambda figure: figure)
    assert ratios == [0.8, 0.9, 0.6, 1.0, 1.0]
    assert protocol.spread(ratios) == "0.90x (0.60–1.00x)"
    assert protocol.ratio_line("A ÷ B", ratios).startswith("A ÷ B: median 0.90x (0.60–1.00x);")
    assert len(watch.readings) == 6  # at the start, between the rounds, at the end
    assert not watch.loaded and "not loaded" in watch.summary()
    assert "LOADED" not in capsys.readouterr().out


def test_a_loaded_machine_is_said_at_once_and_in_the_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    watch = protocol.LoadWatch(cores=0)  # any load is over zero cores
    watch.read("at the start")
    assert watch.loaded
    assert "LOADED MACHINE at the start" in capsys.readouterr().out
    assert watch.summary().startswith("LOADED MACHINE")


def test_pinning_splits_four_cores_or_more_and_leaves_two_alone() -> None:
    four = protocol.plan_pinning("auto", cores=[0, 1, 2, 3])
    assert (four.servers, four.load) == ((0, 1), (2, 3))
    assert four.server_command(["python", "x"]) == ["taskset", "-c", "0,1", "python", "x"]
    two = protocol.plan_pinning("auto", cores=[0, 1])
    assert two.servers is None and two.server_command(["python"]) == ["python"]
    assert "Not pinned: 2 cores" in two.line()
    given = protocol.plan_pinning("0-2,5:6")
    assert (given.servers, given.load) == ((0, 1, 2, 5), (6,))


def test_fewer_rounds_than_the_protocol_asks_are_refused_unless_a_smoke_run() -> None:
    with pytest.raises(SystemExit):
        protocol.check_rounds(3)
    assert protocol.check_rounds(1, smoke=True) == 1
    assert protocol.check_rounds(5) == 5
