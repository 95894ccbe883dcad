"""The demo's night nurse: Dev sets his working time on the Home tab before the round, is not
messaged at 10:00 with the others, and is asked at the start of his shift, at 20:00 (bot/shifts).

Each function takes the week being played (bot.demo.script.DemoWeek) and plays one scene of it
through the real handlers, as the rest of the demo does.
"""

from __future__ import annotations

from typing import Any

from bot.core import ids


def _metric(metric_id: str) -> str:
    return f"{ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, metric_id)}.{ids.CHECKIN_METRIC_ACTION}"


# What he answers, on his first break: a long week, and a tension for the agenda.
ANSWERS = {
    ids.CHECKIN_MOOD_ACTION: "2",
    ids.CHECKIN_NOTE_ACTION: "Stretched: two visits ran long on Friday",
    _metric("visits"): "27",
    _metric("hours"): "14",
    ids.CHECKIN_TENSION_ACTION: "Mileage claims take weeks to come back",
}
NIGHTS = {
    ids.PATTERN_KIND_ACTION: "nights",
    ids.PATTERN_DAYS_ACTION: ["6", "0", "1", "2", "3"],  # Sunday to Thursday nights
    ids.PATTERN_STARTS_ACTION: "20:00",
    ids.PATTERN_ENDS_ACTION: "08:00",
}


def set_working_time_then_open(week: Any, nurse: str) -> None:
    """Before the round: the nurse opens his Home tab and sets his nights; then it is 10:00,
    when the round opens."""
    week.at(0, "09:30")
    week.say(f"{week.name(nurse)} works nights: he sets his working time on the Home tab")
    home = week.open_home(nurse)
    view = week.open_modal(
        nurse, lambda: week.slack.click(home, ids.HOME_SET_PATTERN, user_id=nurse)
    )
    week.saw_view(nurse, "Set my working time (Home tab)", view)
    week.slack.submit_view(view, user_id=nurse, values=NIGHTS)
    week.saw_view(nurse, "Home tab, his working time", week.open_home(nurse))
    week.at(0, "10:00")


def ask_at_his_shift_then_meet(week: Any, nurse: str) -> None:
    """20:00: the every-minute sweep finds his check-in due, and he answers on his first break;
    then the week goes on to the tactical meeting (Tuesday)."""
    from bot.jobs.tasks import Jobs

    week.at(0, "20:00")
    week.say(f"20:00: {week.name(nurse)}'s night shift starts, and his check-in DM arrives")
    count = len(week.fake.dms(nurse))
    Jobs(week.services).sweep()
    dm = week.latest_dm(nurse, count)
    week.saw_message(nurse, "DM from retrobot, at the start of his shift", dm.to_dict())
    week.later(95)
    week.say(f"{week.name(nurse)} checks in on his break: mood 2 of 5, and a tension")
    view = week.open_modal(
        nurse, lambda: week.slack.click(week.checkin_dm(nurse), ids.CHECKIN_OPEN, user_id=nurse)
    )
    week.slack.submit_view(view, user_id=nurse, values=ANSWERS)
    done = week.redrawn(week.checkin_dm(nurse), "checked in")
    week.saw_message(nurse, "The check-in DM, after answering", done.to_dict())
    week.play_meeting()
