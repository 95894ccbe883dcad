"""What the benchmarks send: `/tension` commands and tension modal submissions, as Slack would.

The bodies are shaped as Slack shapes them (the submission by bot.standin's own sender, from the
modal retrobot's builder makes), for people spread over every team of the generated app.yaml.
Each submission carries a view id of its own at send time, so each stores a tension.
:func:`bare_views` gives the bare app the very modal and message retrobot sends for them.
"""

from __future__ import annotations

import json
import tempfile
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import BOT_TOKEN, SIGNING_SECRET, GeneratedTeam, write_app_yaml
from bench.load import VIEW_ID_MARK, Request
from bot.core import ids
from bot.core.config import AppConfig, load_config
from bot.core.settings import Settings
from bot.services import open_services
from bot.standin.sender import VERIFICATION_TOKEN, SlackSender
from bot.standin.web_api import FakeSlack
from bot.tensions import service as tensions
from bot.tensions.views import build_tension_confirmation, build_tension_modal
from prompts import Renderer

COMMAND = "command"
SUBMISSION = "submission"
HOME_OPENED = "home_opened"
TENSIONS = (
    "The rota for next week is not published yet and people cannot plan their visits.",
    "Handovers between the early and the late shift keep missing the medication changes.",
    "We have no agreed way to share the pool car, so some visits start late.",
    "New colleagues do not know who to ask about care plan reviews.",
)


def people(teams: Sequence[GeneratedTeam], count: int) -> list[tuple[GeneratedTeam, str]]:
    """``count`` (team, member) pairs taken round the teams, so every team gets its share."""
    chosen = []
    for index in range(count):
        team = teams[index % len(teams)]
        chosen.append((team, team.members[(index // len(teams)) % len(team.members)]))
    return chosen


def tension_requests(
    config: AppConfig, teams: Sequence[GeneratedTeam], *, count: int = 400
) -> list[Request]:
    """Alternating `/tension` commands and submissions by ``count`` people (half each)."""
    renderer = Renderer()
    fake = FakeSlack()  # never started: it only names the workspace and issues trigger ids
    sender = SlackSender("http://127.0.0.1/slack/events", SIGNING_SECRET, fake)
    built: list[Request] = []
    for number, (team, user_id) in enumerate(people(teams, count)):
        text = TENSIONS[number % len(TENSIONS)]
        if number % 2 == 0:
            built.append(Request(COMMAND, command_body(fake, team, user_id, text)))
            continue
        view = build_tension_modal(renderer, teams=config.teams_of(user_id), team_id=team.id)
        view.update(id=VIEW_ID_MARK.decode(), hash="1700000000.bench", team_id=fake.team_id)
        payload = sender.build_view_submission(
            view,
            user_id=user_id,
            values={ids.TENSION_TEXT_ACTION: text, ids.TENSION_AREA_ACTION: "Rota"},
        )
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        built.append(Request(SUBMISSION, body))
    return built


def home_opened_requests(teams: Sequence[GeneratedTeam], *, count: int = 200) -> list[Request]:
    """``count`` people opening retrobot's Home tab (app_home_opened events, each its own id)."""
    fake = FakeSlack()
    built = []
    for _team, user_id in people(teams, count):
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": fake.team_id,
            "api_app_id": fake.app_id,
            "event": {
                "type": "app_home_opened",
                "user": user_id,
                "channel": f"D{user_id[1:]}",
                "tab": "home",
                "event_ts": "1700000000.000100",
            },
            "type": "event_callback",
            "event_id": VIEW_ID_MARK.decode(),
            "event_time": 1_700_000_000,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": fake.team_id,
                    "user_id": fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        built.append(Request(HOME_OPENED, json.dumps(envelope).encode(), "application/json"))
    return built


def command_body(
    fake: FakeSlack,
    team: GeneratedTeam,
    user_id: str,
    text: str,
    command: str = ids.TENSION_COMMAND,
) -> bytes:
    """A slash command's body as Slack sends it, typed by ``user_id`` in ``team``'s channel."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": fake.team_id,
        "team_domain": fake.team_domain,
        "channel_id": team.channel,
        "channel_name": team.id,
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": fake.app_id,
        "is_enterprise_install": "false",
        "response_url": f"https://hooks.slack.invalid/commands/{fake.team_id}/{user_id}",
        "trigger_id": f"bench.{user_id}.{fake.team_id}",
    }
    return urllib.parse.urlencode(fields).encode()


def bare_views(team: GeneratedTeam) -> dict[str, Any]:
    """The modal and the confirmation DM retrobot sends one of ``team``'s members for these
    requests, built by retrobot's own code on a scratch database (for the bare app to send)."""
    user_id = team.members[0]
    with tempfile.TemporaryDirectory(prefix="retrobot-bench-views-") as scratch:
        config = load_config(write_app_yaml(Path(scratch) / "app.yaml", [team]))
        settings = Settings(
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            database_url=f"sqlite:///{Path(scratch) / 'views.db'}",
        )
        services = open_services(settings, config)
        try:
            renderer = services.renderer
            draft = tensions.check_draft(
                config=config,
                user_id=user_id,
                team_id=team.id,
                text=TENSIONS[0],
                area="Rota",
                private=False,
            )
            now = datetime.now(UTC)
            with services.session() as session:
                tension = tensions.raise_tension(session, user_id=user_id, draft=draft, now=now)
                assert tension is not None
            return {
                "modal": build_tension_modal(
                    renderer, teams=config.teams_of(user_id), team_id=team.id, text=TENSIONS[0]
                ),
                "confirmation": build_tension_confirmation(
                    renderer, tension=tension, team_name=team.name
                ),
            }
        finally:
            services.engine.dispose()
