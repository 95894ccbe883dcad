"""Finding decisions: `/decisions [words]` and the decision log of `retrobot decisions`.

Re-exported by bot.decisions.usecases, where listeners and the command line find them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.decisions import log
from bot.decisions.home_views import FoundDecision, build_search_results
from bot.services import Services


def search_decisions(services: Services, *, user_id: str, words: str) -> dict[str, Any]:
    """`/decisions [words]`: the newest matching decisions of the person's teams (members and
    coaches alike: decisions are the team's, and visible to it)."""
    teams = services.config.teams_with(user_id)
    if not teams:
        return {
            "response_type": "ephemeral",
            "text": services.renderer.say("decisions.search_not_in_team"),
        }
    names = {team.id: team.name for team in teams}
    with services.session() as session:
        found = log.search(session, team_ids=list(names), words=words)
    return build_search_results(
        services.renderer,
        words=words.strip(),
        found=[
            FoundDecision(f.decision, f.proposal, names[f.decision.team_id], f.asked, f.answered)
            for f in found
        ],
        team_names=list(names.values()),
    )


def decision_log(services: Services, *, team_id: str, since: date | None, fmt: str) -> Any:
    """The team's decision log as text, JSON or CSV, a piece at a time (`retrobot decisions`)."""
    team = services.config.team(team_id)
    config = services.config

    def name(user_id: str | None) -> str:
        known = config.name_of(user_id)
        return f"{known} ({user_id})" if known else (user_id or "")

    def pieces() -> Any:
        with services.session() as session:
            entries = log.log_entries(session, team_id=team.id, since=since, name=name)
            if fmt == "json":
                yield from log.as_json(team.id, entries)
            elif fmt == "csv":
                yield from log.as_csv(entries)
            else:
                any_entry = False
                for entry in entries:
                    any_entry = True
                    yield services.renderer.plain("decisions.log_entry", entry=entry) + "\n\n"
                if not any_entry:
                    yield services.renderer.plain("decisions.log_none", team_name=team.name) + "\n"

    return pieces()
