"""The test organisation with roles: North seeds a rota organiser, a rotating facilitator, a
tissue viability lead and a training circle rep; South has none."""

from __future__ import annotations

from tests.conftest import (
    ANA,
    BEN,
    CARA,
    COACH,
    DEV,
    NORTH_CHANNEL,
    SAM,
    SHARED,
    SOUTH_CHANNEL,
    SOUTH_COACH,
)

ROLES_APP_YAML = f"""
organisation:
  name: Riverside Community Care
defaults:
  timezone: Europe/London
  tactical: {{day: tuesday, time: "10:00", checkin_lead: 24h, reminder_after: 4h, agenda_lead: 30m}}
teams:
  - id: north
    name: North Neighbourhood Team
    channel: {NORTH_CHANNEL}
    members: [{ANA}, {BEN}, {CARA}, {DEV}, {SHARED}]
    coaches: [{COACH}]
    roles:
      - id: rota
        name: Rota organiser
        purpose: A fair rota everyone can live with
        accountabilities: [Publishing the rota 2 weeks ahead]
        expertise: [rota, annual leave]
        holders: [{BEN}]
      - {{id: facilitator, name: Facilitator, rotates: every meeting}}
      - id: tissue
        name: Tissue viability lead
        purpose: Skin stays whole
        expertise: [wound care, pressure ulcers]
        holders: [{CARA}]
      - {{id: rep-training, name: Training circle rep, rotates: every 4 weeks, holders: [{DEV}]}}
  - id: south
    name: South Neighbourhood Team
    channel: {SOUTH_CHANNEL}
    members: [{SHARED}, {SAM}]
    coaches: [{SOUTH_COACH}]
"""
