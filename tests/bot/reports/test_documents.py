"""The report as documents: the HTML page (self-contained, escaped, names nobody) and the JSON."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import Session

from bot.core.config import AppConfig
from bot.reports import views
from bot.reports.model import SCHEMA, SCHEMA_VERSION, Period
from bot.reports.service import build_report
from prompts import Renderer
from tests.bot.reports.seed import END, NOW, START, WEEKS, Seeded, seed

HEADINGS = ["Safe", "Effective", "Caring", "Responsive", "Well-led", "Other figures"]


def build(session: Session, org: AppConfig, team_id: str | None = None):  # type: ignore[no-untyped-def]
    teams = [org.team(team_id)] if team_id else org.teams
    return build_report(
        session,
        config=org,
        teams=teams,
        scope="team" if team_id else "organisation",
        period=Period(START, END),
        now=NOW,
    )


def test_the_json_has_a_schema_version_and_the_same_figures(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    data = json.loads(views.json_document(build(session, org)))
    assert (data["schema"], data["version"]) == (SCHEMA, SCHEMA_VERSION) == ("retrobot.report", 1)
    assert data["period"] == {"from": "2026-06-01", "to": "2026-06-21"}
    assert (data["scope"], data["k"], data["weeks"]) == ("organisation", 3, WEEKS)
    assert [t["id"] for t in data["teams"]] == ["north", "south", "east"]
    sections = {s["id"]: s["figures"] for s in data["sections"]}
    assert list(sections) == ["safe", "effective", "caring", "responsive", "well-led", "other"]
    mood = next(f for f in sections["well-led"] if f["key"] == "mood")
    assert mood["value"]["answers"] == 21 and round(mood["value"]["mean"], 3) == 3.524
    east = next(t for t in mood["teams"] if t["team"]["id"] == "east")
    # held back: null, never a number (under 3 answers, not to keep a kept answer private)
    assert east["value"] == {"answers": 6, "mean": None, "withheld": False}
    kinds = [f["kind"] for f in sections["well-led"]][2:]
    assert kinds == ["decisions", "roles"]  # no retrospective in the seed


def test_the_page_has_every_key_question_and_the_first_page_facts(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    page = views.html_document(Renderer(), build(session, org))
    for heading in HEADINGS:
        assert re.search(rf'<h2 id="h-[a-z-]+">{heading}</h2>', page), heading
    assert "1 Jun 2026 – 21 Jun 2026 (3 weeks)" in page
    assert "Riverside Community Care: all 3 teams" in page
    assert "k = 3: no figure from fewer than 3 answers" in page
    assert "How to read this" in page
    assert "Named by no appreciation in this period: Courage." in page
    # East's moods (two a week) in the mood table: six given, their average not shown.
    held = '<span class="held" title="not shown: fewer than 3 answers">&lt;&nbsp;3&nbsp;answers'
    assert f'<th scope="row">East Harbour Team</th><td>6</td><td>{held}' in page
    assert page.count("<svg") >= 4 and "<script" not in page


def test_the_page_asks_for_nothing_outside_itself(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    page = views.html_document(Renderer(), build(session, org))
    assert not re.search(r'\b(?:src|href|xlink:href)="(?!#)', page)
    # Only references inside the page (a chart clipping to its own shape), only XML namespaces.
    assert not re.search(r"url\((?!#)|@import|@font-face|https?://(?!www\.w3\.org/)", page)
    assert "default-src 'none'" in page  # the browser refuses any request it might still try
    assert "@media print" in page and "break-before: page" in page
    assert 'name="viewport"' in page


def test_a_team_report_has_no_team_by_team_tables(
    session: Session, org: AppConfig, seeded: Seeded
) -> None:
    report = build(session, org, "north")
    page = views.html_document(Renderer(), report)
    assert "North Neighbourhood Team" in page and "South Riverside Team" not in page
    assert "Team by team" not in page
    data = json.loads(views.json_document(report))
    assert data["scope"] == "team" and all(
        f.get("teams", []) == [] for s in data["sections"] for f in s["figures"]
    )


@pytest.mark.parametrize("fmt", ["html", "json"])
def test_the_report_names_nobody_and_shows_no_typed_text_but_consented_stories(
    session: Session, org: AppConfig, seeded: Seeded, fmt: str
) -> None:
    report = build(session, org)
    document = (
        views.html_document(Renderer(), report) if fmt == "html" else views.json_document(report)
    )
    assert seeded.secrets, "the seed wrote nothing to look for"
    leaked = sorted(secret for secret in seeded.secrets if secret.lower() in document.lower())
    assert leaked == []
    for story in seeded.consented:  # shown, with the colleague's name taken out
        team, week = story.split(":")[0].split()[-2:]
        assert f"Consented story {team} {week}: a colleague helped Mrs B" in document


def test_what_people_and_admins_typed_is_escaped(session: Session) -> None:
    from bot.core.config import parse_config
    from tests.bot.reports.seed import REPORT_APP_YAML

    hostile = parse_config(
        REPORT_APP_YAML.replace("North Neighbourhood Team", "'<script>alert(1)</script> & Co'")
    )
    seeded = seed(session, hostile)
    from sqlmodel import select

    from storage.models import CheckinResponse

    story = session.exec(
        select(CheckinResponse).where(CheckinResponse.story_beyond_team == True)  # noqa: E712
    ).first()
    assert story is not None and seeded.consented
    story.story = "We <b>did</b> it & <!channel> cheered"
    session.commit()
    page = views.html_document(Renderer(), build(session, hostile))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "We &lt;b&gt;did&lt;/b&gt; it &amp; a colleague cheered" in page
