"""The protocol every A/B benchmark follows, so that someone else rerunning it gets its answer.

A figure compared between two sides — retrobot against the bare Bolt app, this tree against an
earlier one — is only as good as the way the two were measured. Every A/B benchmark here:

- runs the two sides **in turn, A B A B ...**, at least :data:`MIN_ROUNDS` rounds each, so that
  the machine's drift (other work on shared cores, a neighbour on the host) falls on both alike;
- gives both **the same settings** (the caller passes one set of options to both, and prints it);
- **pins the load generator apart from the servers** with ``taskset`` where the cores allow
  (:func:`plan_pinning`: with 4 cores or more, half each; with fewer, nothing is pinned, and the
  report says so, as splitting two cores would halve what the servers may use);
- reports **each round's ratio A ÷ B, their median and their min–max**: the median is the figure
  to quote, the spread says how far to trust it;
- reads the **1-minute load average against the core count** at the start and between rounds,
  and says plainly when the machine was loaded (:class:`LoadWatch`): figures from a loaded
  machine are slower and noisier, and the ratios more than the absolute figures survive it.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

MIN_ROUNDS = 5
Result = TypeVar("Result")


# -- the machine's load -------------------------------------------------------------------------


@dataclass
class LoadWatch:
    """The 1-minute load average read at moments of a run, against the number of cores."""

    cores: int = field(default_factory=lambda: os.cpu_count() or 1)
    readings: list[tuple[str, float]] = field(default_factory=list)

    def read(self, moment: str) -> float:
        """Read the load average now, remember it under ``moment``, and say so if it is over."""
        load = os.getloadavg()[0]
        self.readings.append((moment, load))
        if load > self.cores:
            print(
                f"  LOADED MACHINE {moment}: load average {load:.1f} over {self.cores} cores",
                flush=True,
            )
        return load

    @property
    def loaded(self) -> bool:
        """True when any reading was over the core count."""
        return any(load > self.cores for _, load in self.readings)

    def summary(self) -> str:
        """One line: whether the machine was loaded, and the readings' range."""
        if not self.readings:
            return "Load average: not read."
        loads = [load for _, load in self.readings]
        spread = f"{min(loads):.1f}–{max(loads):.1f}"
        if self.loaded:
            over = sum(1 for load in loads if load > self.cores)
            return (
                f"LOADED MACHINE: the 1-minute load average was {spread} on {self.cores} cores "
                f"({over} of {len(loads)} readings over the core count, at the start and "
                "between rounds); absolute figures are slower than on a quiet machine, and only "
                "the ratios measured round by round are comparable."
            )
        return f"Load average {spread} on {self.cores} cores: not loaded."


# -- pinning ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinning:
    """Which processors the servers and the load generator run on (None: not pinned)."""

    servers: tuple[int, ...] | None
    load: tuple[int, ...] | None
    reason: str

    def server_command(self, args: Sequence[str]) -> list[str]:
        """``args`` run under ``taskset`` on the servers' processors (as they are if unpinned)."""
        if self.servers is None:
            return list(args)
        return ["taskset", "-c", ",".join(map(str, self.servers)), *args]

    def pin_this_process_to_load(self) -> None:
        """Move this process (and the load generator processes it forks later) to the load's
        processors."""
        if self.load is not None:
            os.sched_setaffinity(0, self.load)

    def line(self) -> str:
        """Where everything ran, in words."""
        if self.servers is None:
            return f"Not pinned: {self.reason}."
        return (
            f"Pinned with taskset: servers on CPU {','.join(map(str, self.servers))}, load "
            f"generator on CPU {','.join(map(str, self.load or ()))}."
        )


def plan_pinning(mode: str = "auto", cores: Sequence[int] | None = None) -> Pinning:
    """``auto``: with 4 usable cores or more, servers on the first half and the load on the
    rest; else nothing pinned. ``off``: nothing. ``S:L`` (e.g. ``0-3:4-7``): those lists."""
    usable = sorted(cores if cores is not None else os.sched_getaffinity(0))
    if mode == "off":
        return Pinning(None, None, "turned off (--pin off)")
    if mode == "auto":
        if len(usable) < 4:
            return Pinning(
                None,
                None,
                f"{len(usable)} cores: splitting them would halve what the servers may use, so "
                "the load generator shares the cores with the servers (both sides alike)",
            )
        half = len(usable) // 2
        return Pinning(tuple(usable[:half]), tuple(usable[half:]), "auto")
    servers, _, load = mode.partition(":")
    return Pinning(_cpu_list(servers), _cpu_list(load), "given")


def _cpu_list(text: str) -> tuple[int, ...]:
    """``0-3,6`` → (0, 1, 2, 3, 6)."""
    found: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        found += range(int(low), int(high or low) + 1)
    return tuple(found)


# -- rounds and ratios --------------------------------------------------------------------------


@dataclass
class Rounds(Generic[Result]):
    """Each round's results, by side: ``rounds[i][name]`` (ratios need two sides)."""

    sides: tuple[str, ...]
    rounds: list[dict[str, Result]]

    def ratios(self, figure: Callable[[Result], float]) -> list[float]:
        """A's figure over B's, round by round."""
        a, b = self.sides[:2]
        return [figure(r[a]) / figure(r[b]) for r in self.rounds]

    def values(self, side: str, figure: Callable[[Result], float]) -> list[float]:
        """One side's figure, round by round."""
        return [figure(r[side]) for r in self.rounds]


def alternate(
    sides: tuple[str, ...],
    rounds: int,
    run: Callable[[str, int], Result],
    *,
    watch: LoadWatch,
    show: Callable[[int, dict[str, Result]], None] | None = None,
) -> Rounds[Result]:
    """Run side A then side B, ``rounds`` times (A B A B ...), reading the load at the start
    and between rounds; ``show`` prints each round as it ends."""
    watch.read("at the start")
    done: list[dict[str, Result]] = []
    for number in range(1, rounds + 1):
        if number > 1:
            watch.read(f"before round {number}")
        results = {side: run(side, number) for side in sides}
        done.append(results)
        if show is not None:
            show(number, results)
    watch.read("at the end")
    return Rounds(sides, done)


def spread(values: Sequence[float], unit: str = "x", digits: int = 2) -> str:
    """``median (min–max)``, e.g. ``0.82x (0.71–0.90x)``."""
    if not values:
        return "n/a"
    med = statistics.median(values)
    return f"{med:.{digits}f}{unit} ({min(values):.{digits}f}–{max(values):.{digits}f}{unit})"


def ratio_line(label: str, ratios: Sequence[float], digits: int = 2) -> str:
    """A ratio's rounds, median and min–max on one line."""
    each = ", ".join(f"{r:.{digits}f}" for r in ratios)
    return f"{label}: median {spread(ratios, 'x', digits)}; rounds {each}"


def check_rounds(rounds: int, smoke: bool = False) -> int:
    """The rounds asked for, refused below :data:`MIN_ROUNDS` unless it is a smoke run."""
    if rounds < MIN_ROUNDS and not smoke:
        raise SystemExit(f"the protocol needs at least {MIN_ROUNDS} rounds each, not {rounds}")
    return rounds
