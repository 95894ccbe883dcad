"""The demo's closing act: the week's team summary and coach digest printed, charts saved."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import parse_config
from bot.core.meetings import iso_week, week_bounds
from bot.core.settings import Settings
from bot.demo.cast import ANA, BEN, CARA, COACH, DEMO_APP_YAML
from bot.demo.script import DemoWeek
from bot.services import Services, open_services
from bot.standin.web_api import FakeSlack
from tests.storage.factories import make_answered_round


@pytest.fixture
def demo_services(settings: Settings) -> Iterator[Services]:
    services = open_services(settings, parse_config(DEMO_APP_YAML, source="demo.yaml"))
    try:
        yield services
    finally:
        services.engine.dispose()


def test_print_summaries_prints_both_and_saves_the_charts(
    demo_services: Services, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    now = demo_services.now()
    zone = ZoneInfo("Europe/London")
    monday, _ = week_bounds(iso_week(now, zone), zone)
    with demo_services.session() as session:
        make_answered_round(
            session,
            meeting_at=monday + (now - monday) / 2,  # in the demo week, whenever the test runs
            answers=[(ANA, 4), (BEN, 5), (CARA, 3)],
            stories={ANA: "Mrs D wasn't alone when the ambulance came"},
        )
        session.commit()
    out = io.StringIO()
    week = DemoWeek(fake_slack, None, demo_services, random.Random(7), out)  # type: ignore[arg-type]

    charts = week.print_summaries(tmp_path / "charts")

    printed = out.getvalue()
    assert "North Neighbourhood Team — week" in printed
    assert "3 of 3 answered the check-in (100%)." in printed
    assert "• Mrs D wasn't alone when the ambulance came — @Ana" in printed
    assert "Your coach digest — week" in printed and "To: @Kim (coach)" in printed
    assert printed.count("Mrs D") == 1  # the story is the team's, never the coach's
    assert COACH not in printed
    assert [path.name.split("-")[0] for path in charts] == ["summary", "coach"]
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in charts)
