"""`retrobot demo` plays the product through the real handlers and shows what people saw."""

from __future__ import annotations

import io
from pathlib import Path

from bot.demo import run_demo


def test_demo_plays_and_keeps_its_files(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_demo(out_dir=tmp_path, keep=True, stream=out) == 0
    printed = out.getvalue()
    transcript = (tmp_path / "transcript.txt").read_text(encoding="utf-8")
    assert transcript in printed
    assert "WHAT EACH PERSON SAW" in transcript
    assert "Friday handovers keep running past 6pm" in transcript
    assert "this can't be empty" in transcript
    assert "NHS number" in transcript
    assert "coaches only" in transcript
    assert "not in a retrobot team yet" in transcript
    # The tactical meeting: the agenda, triage, the raiser's yes, the owner's done.
    assert "TACTICAL MEETING" in transcript and "The agenda, updated in place" in transcript
    assert "Next action for @Cara" in transcript and "Only members of North" in transcript
    assert "You got what you needed" in transcript and "Done — thank you" in transcript
    assert (tmp_path / "retrobot-demo.db").exists()
    assert f"Files are in {tmp_path}" in printed
    assert "Traceback" not in printed
    # The week closes with the team's summary and the coach's digest, and their charts.
    summary = printed.split("THE WEEK'S TEAM SUMMARY AND COACH DIGEST", 1)[1]
    assert "North Neighbourhood Team — week" in summary
    assert "4 tensions raised, 3 triaged" in summary
    assert "naming Compassion (1)" in summary
    assert "Your coach digest" in summary and "1 private tension was raised" in summary
    assert "Eve" not in summary.split("Your coach digest", 1)[1]  # aggregates, not people
    charts = sorted(tmp_path.glob("*.png"))
    assert len(charts) == 2 and all(c.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for c in charts)
    # The week begins with the check-in round: answers, a field error, an absence and a skip.
    assert "retrobot checkin send --team north" in transcript and "asked now:      6" in transcript
    assert "Please enter a number of visits, like 12." in transcript
    assert "You're away until" in transcript and "You're skipping" in transcript
