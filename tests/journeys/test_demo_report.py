"""`retrobot demo` leaves the organisation report of its weeks among its files."""

from __future__ import annotations

import io
from pathlib import Path

from bot.demo import run_demo


def test_the_demo_writes_the_organisation_report(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_demo(out_dir=tmp_path, stream=out, weeks=1, seed=7) == 0
    [report] = tmp_path.glob("report-organisation-*.html")
    assert f"  report      {report}" in out.getvalue()
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Organisation report" in page
    for heading in ("Safe", "Effective", "Caring", "Responsive", "Well-led"):
        assert f">{heading}</h2>" in page
    assert "Check-ins answered" in page
