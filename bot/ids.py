"""Every callback_id, block_id and action_id, in one place: builders and listeners share them."""

from __future__ import annotations

# Slash commands (the manifest and the listeners both read these).
TENSION_COMMAND = "/tension"
FEEDBACK_COMMAND = "/feedback"
CHECKIN_COMMAND = "/checkin"
TACTICAL_COMMAND = "/tactical"
RETRO_COMMAND = "/retro"

# Message shortcut.
RAISE_TENSION_SHORTCUT = "raise_tension"

# The tension modal: its block ids are named after the fields they carry, so a domain error
# about the field "text" lands on the block TENSION_BLOCKS["text"].
TENSION_MODAL = "tension_modal"
TENSION_TEXT_BLOCK = "tension_text"
TENSION_TEXT_ACTION = "tension_text_input"
TENSION_AREA_BLOCK = "tension_area"
TENSION_AREA_ACTION = "tension_area_input"
TENSION_TEAM_BLOCK = "tension_team"
TENSION_TEAM_ACTION = "tension_team_select"
TENSION_PRIVATE_BLOCK = "tension_private"
TENSION_PRIVATE_ACTION = "tension_private_choice"
TENSION_PRIVATE_VALUE = "private"
TENSION_BLOCKS = {
    "text": TENSION_TEXT_BLOCK,
    "area": TENSION_AREA_BLOCK,
    "team": TENSION_TEAM_BLOCK,
    "private": TENSION_PRIVATE_BLOCK,
}

# App Home.
HOME_RAISE_TENSION = "home_raise_tension"
