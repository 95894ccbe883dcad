"""The test organisation with a training circle: North (roles as tests.bot.roles), South and
East each with a training circle rep; the circle links the three."""

from __future__ import annotations

from tests.bot.roles.organisation import ROLES_APP_YAML
from tests.conftest import SAM, SHARED

EVE, FAY = "U0EVE", "U0FAY"
EAST_CHANNEL, TRAINING_CHANNEL = "C0EAST", "C0TRAIN"

_SOUTH_ROLES = f"""
    roles:
      - {{id: rep-training, name: Training circle rep, holders: [{SAM}]}}
"""
_EAST_AND_CIRCLE = f"""  - id: east
    name: East Team
    channel: {EAST_CHANNEL}
    members: [{EVE}, {FAY}]
    roles:
      - {{id: rep-training, name: Training circle rep, holders: [{EVE}]}}
circles:
  - id: training
    name: Training circle
    channel: {TRAINING_CHANNEL}
    teams: [north, south, east]
    purpose: Staff training across the teams
    domain: [The training programme, The training budget]
    representatives: rep-training
    tactical: {{day: wednesday, time: "13:00"}}
"""

CIRCLES_APP_YAML = ROLES_APP_YAML.rstrip("\n") + _SOUTH_ROLES + _EAST_AND_CIRCLE
assert SHARED in CIRCLES_APP_YAML
