"""`retrobot roles --team ID [--format text|json]`: the team's roles, read from the database
(seeded once from app.yaml); a circle or unknown id is a kind error, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.roles.organisation import ROLES_APP_YAML


@pytest.fixture
def environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> Iterator[Path]:
    path = tmp_path / "app.yaml"
    path.write_text(ROLES_APP_YAML, encoding="utf-8")
    monkeypatch.setenv("RETROBOT_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    yield path


def test_roles_prints_each_role_with_its_holders_and_rotation(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roles", "--team", "north"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("North Neighbourhood Team (north): 4 roles\n")
    assert "Rota organiser [rota]\n  holders: U0BEN\n" in out
    assert "  purpose: A fair rota everyone can live with\n" in out
    assert "  - Publishing the rota 2 weeks ahead\n" in out
    assert "  expertise: rota, annual leave\n" in out
    assert "Facilitator [facilitator] — rotates every meeting\n  holders: nobody yet\n" in out


def test_roles_as_json(environment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roles", "--team", "north", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["team"] == "north"
    assert payload["roles"][0] == {
        "id": "rota",
        "name": "Rota organiser",
        "purpose": "A fair rota everyone can live with",
        "accountabilities": ["Publishing the rota 2 weeks ahead"],
        "expertise": ["rota", "annual leave"],
        "holders": ["U0BEN"],
        "rotates": None,
    }
    assert payload["roles"][1]["rotates"] == "every meeting"


def test_a_team_with_no_roles_and_an_unknown_team(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roles", "--team", "south"]) == 0
    assert capsys.readouterr().out == "South Neighbourhood Team (south): 0 roles\n"
    assert main(["roles", "--team", "west"]) == 1
    assert "No team 'west'" in capsys.readouterr().err
