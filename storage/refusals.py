"""The record of messages Slack refused that no round or weekly delivery keeps a row for.

A triage DM, an appreciation shared in the team channel, an agenda: each is sent at once, and a
refusal (or an answer Slack never gave) was only logged. One row per refusal — the team, what
the message was, Slack's error, when; never its words nor whom it was for — lets
`retrobot status` show them (bot.data.status).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import RefusedDelivery, RefusedKind

ERROR_MAX = 200


def record_refusal(
    session: Session, *, team_id: str, kind: RefusedKind, error: str, now: datetime
) -> None:
    """Add one refusal to the session (the caller commits, with its own work or alone)."""
    session.add(
        RefusedDelivery(team_id=team_id, kind=kind, error=error[:ERROR_MAX], refused_at=now)
    )
