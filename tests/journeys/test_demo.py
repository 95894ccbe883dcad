"""`retrobot demo` plays the product through the real handlers and shows what people saw."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo import run_demo


@dataclass
class Played:
    """One demo run: what it printed, and the folder it left its files in."""

    printed: str
    folder: Path

    def read(self, name: str) -> str:
        return (self.folder / name).read_text(encoding="utf-8")


def play(folder: Path, **options: object) -> Played:
    out = io.StringIO()
    assert run_demo(out_dir=folder, stream=out, **options) == 0  # type: ignore[arg-type]
    return Played(out.getvalue(), folder)


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory: pytest.TempPathFactory) -> Played:
    return play(tmp_path_factory.mktemp("demo"), weeks=2, seed=7, keep=True)


def test_two_weeks_play_with_progress_and_say_where_the_files_are(two_weeks: Played) -> None:
    printed = two_weeks.printed
    assert printed.startswith("retrobot demo — 2 weeks of North Neighbourhood Team")
    assert "23 March to 5 April 2026" in printed
    assert "   1. Week 13 (23 Mar): " in printed and " checked in, mood " in printed
    assert "The week from Monday 30 March, in full:" in printed
    assert "Monday 10:00: the check-in round goes out" in printed
    assert printed.rstrip().splitlines()[-1] == f"Files are in {two_weeks.folder}"
    assert "Traceback" not in printed
    assert (two_weeks.folder / "retrobot-demo.db").exists()  # kept, as asked
    charts = sorted(two_weeks.folder.glob("*.png"))
    assert [c.name for c in charts] == [
        "coach-digest-2026-W14.png",
        "retro-health-north.png",
        "summary-north-2026-W14.png",
    ]
    assert all(c.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for c in charts)


def test_every_week_s_summary_and_digest_went_once_and_whole(two_weeks: Played) -> None:
    """The earlier week's are sent beside the next week's first moves, as the scheduler's
    process sends them; each is still sent once, thread and chart included (a delivery stays
    pending until its chart is attached)."""
    database = sqlite3.connect(two_weeks.folder / "retrobot-demo.db")
    try:
        rows = database.execute(
            "SELECT kind, iso_week, status, message_ts IS NOT NULL FROM sent_digest"
            " ORDER BY iso_week, kind"
        ).fetchall()
    finally:
        database.close()
    assert rows == [
        ("coach_digest", "2026-W13", "sent", 1),
        ("team_summary", "2026-W13", "sent", 1),
        ("coach_digest", "2026-W14", "sent", 1),
        ("team_summary", "2026-W14", "sent", 1),
    ]


def test_the_transcript_shows_every_feature(two_weeks: Played) -> None:
    transcript = two_weeks.read("transcript.txt")
    assert transcript in two_weeks.printed
    assert "WHAT EACH PERSON SAW" in transcript
    # The check-in round: answers, a field error, an absence and a skip.
    assert "retrobot checkin send --team north" in transcript and "asked now:      5" in transcript
    # Dev works nights: he sets his working time, and is asked at 20:00, when his shift starts.
    assert "You work nights starting Mon, Tue, Wed, Thu, Sun, 20:00 to 08:00" in transcript
    assert "waiting:        1  (their morning, or their shift: U0DEMODEV until Mon" in transcript
    night = transcript.split("Dev — DM from retrobot, at the start of his shift", 1)[1]
    assert "Time to check in" in night.split("└─", 1)[0]
    assert "later than planned" not in night.split("└─", 1)[0]
    assert "Tuesday 31 March at 10:00" in transcript  # the meeting, after the clocks went forward
    assert "Please enter a number of visits, like 12." in transcript
    assert "You're away until" in transcript and "You're skipping" in transcript
    # Tensions: by command and by shortcut, field errors, a private one, a stranger refused.
    assert "Friday handovers keep running past 6pm" in transcript
    assert "this can't be empty" in transcript and "NHS number" in transcript
    assert "coaches only" in transcript and "not in a retrobot team yet" in transcript
    # The tactical meeting: the agenda, triage, the raiser's yes, the owner's done.
    assert "TACTICAL MEETING" in transcript and "The agenda, updated in place" in transcript
    assert "Next action for @Cara" in transcript and "Only members of North" in transcript
    assert "You got what you needed" in transcript and "Done — thank you" in transcript
    # Feedback given, asked for, answered and thanked.
    assert "@Ana appreciates you" in transcript and "You asked @Fran and @Ana" in transcript
    # Deciding: an advice-process decision, and an integrated one blocked, then integrated.
    assert "Adopted Fri 3 Apr — decided by @Ana" in transcript
    assert "Blocked by 1 open objection" in transcript and "[ It's integrated ]" in transcript
    assert "Adopted Fri 3 Apr — by consent" in transcript and "Decision log of North" in transcript
    # The retrospective: the period, reflections without names, health, votes, the chosen.
    assert "RETROSPECTIVE · NORTH NEIGHBOURHOOD TEAM" in transcript
    assert "Reflect opens a modal" in transcript and "What could be better (3)" in transcript
    assert "• We help each other: 4.0" in transcript
    assert "The team chose — now tensions on the next tactical agenda" in transcript
    # The next Monday: the summary in the channel, the digest in the coach's DMs.
    assert "north-team — Monday 08:30, posted in #north-team" in transcript
    assert "Kim (coach) — Monday 08:30, DM from retrobot" in transcript


def test_the_summary_covers_the_week_played_with_its_trend(two_weeks: Played) -> None:
    summary = two_weeks.read("summary.txt")
    assert summary in two_weeks.printed.split("THE WEEK'S TEAM SUMMARY AND COACH DIGEST", 1)[1]
    team, digest = summary.split("Your coach digest — week 14", 1)
    assert "North Neighbourhood Team — week 14" in team
    assert "Week 2026-W14 (30 Mar – 5 Apr 2026)" in team
    # The round of the week is in it: four answered, Eve away, Fran skipping.
    assert "4 of 4 answered the check-in (100%); 1 away, 1 skipped this week." in team
    assert "Mood 3.5 out of 5, over 4 answers (8-week average " in team
    assert "first week" not in team  # the week before is history, so trends mean something
    assert "Client visits: 88 visits this week" in team
    assert "• Mrs K walked to the corner shop on her own" in team
    # The four raised in the week, and the three improvements its retrospective chose.
    assert "7 tensions raised, 3 triaged and 1 closed this week." in team
    assert "naming Compassion (1)" in team
    # The coach: aggregates of the same week, never a person or their words.
    assert "To: @Kim (coach)" in digest and "1 private tension was raised" in digest
    assert "Mood 3.5 out of 5, over 4 answers" in digest
    assert "Eve" not in digest and "Mrs K" not in digest and "lone working" not in digest


def test_the_same_seed_plays_the_same_weeks_and_another_seed_other_ones(
    two_weeks: Played, tmp_path: Path
) -> None:
    again = play(tmp_path / "again", weeks=2, seed=7)
    assert again.read("transcript.txt") == two_weeks.read("transcript.txt")
    assert again.read("summary.txt") == two_weeks.read("summary.txt")
    assert not (again.folder / "retrobot-demo.db").exists()  # not asked to keep it

    other = play(tmp_path / "other", weeks=2, seed=8)
    week_13 = [line for line in other.printed.splitlines() if "Week 13 (23 Mar)" in line]
    assert week_13 != [line for line in two_weeks.printed.splitlines() if "Week 13" in line]


def test_bad_options_are_one_kind_line_and_an_existing_file_is_never_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    precious = tmp_path / "precious.db"
    precious.write_bytes(b"not yours")

    assert main(["demo", "--db", str(precious)]) == 2
    assert main(["demo", "--weeks", "0"]) == 2

    printed = capsys.readouterr()
    assert f"{precious} already exists. The demo starts from a fresh database" in printed.out
    assert "--weeks must be from 1 to 12, not 0." in printed.out
    assert "Traceback" not in printed.out + printed.err
    assert precious.read_bytes() == b"not yours"


def test_piped_into_head_it_stops_quietly(tmp_path: Path) -> None:
    retrobot = Path(sys.executable).with_name("retrobot")
    demo = subprocess.Popen(
        [str(retrobot), "demo", "--weeks", "1", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert demo.stdout is not None and demo.stderr is not None
    first = demo.stdout.readline()
    demo.stdout.close()  # as `head -1` does once it has its line
    errors = demo.stderr.read().decode()
    demo.stderr.close()
    assert demo.wait(timeout=120) == 141
    assert first.startswith("retrobot demo — a week".encode())
    assert errors == ""
