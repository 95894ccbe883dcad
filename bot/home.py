"""The App Home: each feature contributes its section for the person looking at it.

A section is a function ``(session, services, user_id, now) -> list[Block]``; they are shown in
the order of ``HOME_SECTIONS``. Every section reads only what that person may see.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import tensions
from bot.blocks import Block
from bot.blocks.home import build_home, build_tensions_section
from bot.services import Services

HomeSection = Callable[[Session, Services, str, datetime], list[Block]]


def tensions_section(
    session: Session, services: Services, user_id: str, now: datetime
) -> list[Block]:
    """Open tensions: the person's own (private ones too) and their teams' others."""
    overview = tensions.tensions_overview(session, config=services.config, user_id=user_id)
    return build_tensions_section(services.renderer, overview=overview)


HOME_SECTIONS: list[HomeSection] = [tensions_section]


def home_view(
    session: Session, *, services: Services, user_id: str, now: datetime
) -> dict[str, Any]:
    """The person's whole App Home view."""
    in_team = bool(services.config.teams_of(user_id)) or services.config.is_coach(user_id)
    sections = (
        [section(session, services, user_id, now) for section in HOME_SECTIONS] if in_team else []
    )
    return build_home(services.renderer, sections=sections, in_team=in_team)
