"""The demo's night nurse: Cara sets her working time on the Home tab before the round, is not
messaged at 10:00 with the others, and is asked at the start of her shift, at 20:00 (bot/shifts).

Each function takes the week being played (bot.demo.script.DemoWeek) and plays one scene of it
through the real handlers, as the rest of the demo does.
"""

from __future__ import annotations

from typing import Any

from bot.core import ids

# What she answers, on her first break.
ANSWERS = {
    ids.CHECKIN_MOOD_ACTION: "5",
    ids.CHECKIN_NOTE_ACTION: "Loving the new rota",
    f"{ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, 'visits')}.{ids.CHECKIN_METRIC_ACTION}": "18",
    f"{ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, 'hours')}.{ids.CHECKIN_METRIC_ACTION}": "7",
    ids.CHECKIN_STORY_ACTION: (
        "The new starter shadowed me all week and already knows every key safe"
    ),
}
NIGHTS = {
    ids.PATTERN_KIND_ACTION: "nights",
    ids.PATTERN_DAYS_ACTION: ["6", "0", "1", "2", "3"],  # Sunday to Thursday nights
    ids.PATTERN_STARTS_ACTION: "20:00",
    ids.PATTERN_ENDS_ACTION: "08:00",
}


def set_working_time_then_open(week: Any, nurse: str) -> None:
    """Before the round: the nurse opens her Home tab and sets her nights; then it is 10:00,
    when the round opens."""
    week.at(0, "09:30")
    week.say(f"{week.name(nurse)} works nights: she sets her working time on the Home tab")
    home = week.open_home(nurse)
    view = week.open_modal(
        nurse, lambda: week.slack.click(home, ids.HOME_SET_PATTERN, user_id=nurse)
    )
    week.saw_view(nurse, "Set my working time (Home tab)", view)
    week.slack.submit_view(view, user_id=nurse, values=NIGHTS)
    week.saw_view(nurse, "Home tab, her working time", week.open_home(nurse))
    week.at(0, "10:00")


def ask_at_her_shift_then_meet(week: Any, nurse: str) -> None:
    """20:00: the every-minute sweep finds her check-in due, and she answers on her first
    break; then the week goes on to the tactical meeting (Tuesday)."""
    from bot.jobs.tasks import Jobs

    week.at(0, "20:00")
    week.say(f"20:00: {week.name(nurse)}'s night shift starts, and her check-in DM arrives")
    count = len(week.fake.dms(nurse))
    Jobs(week.services).sweep()
    dm = week.latest_dm(nurse, count)
    week.saw_message(nurse, "DM from retrobot, at the start of her shift", dm.to_dict())
    week.later(95)
    week.say(f"{week.name(nurse)} checks in on her break")
    view = week.open_modal(
        nurse, lambda: week.slack.click(week.checkin_dm(nurse), ids.CHECKIN_OPEN, user_id=nurse)
    )
    week.slack.submit_view(view, user_id=nurse, values=ANSWERS)
    week.redrawn(week.checkin_dm(nurse), "checked in")
    week.play_meeting()
