"""A check-in round's delivery report as a terminal shows it: `retrobot checkin send` prints
it, and the demo shows the admin the same lines (so it lives below both)."""

from __future__ import annotations

from bot.checkins.model import DeliveryReport, describe_error


def format_report(report: DeliveryReport) -> str:
    """The delivery report as the terminal shows it, one figure a line, failures with reasons."""
    when = report.meeting.at.astimezone(report.zone).strftime("%A %-d %B at %H:%M")
    lines = [
        f"{report.team_name} ({report.team_id}): check-in for the tactical meeting on {when} "
        f"({report.zone.key})" + (" — sent late" if report.late else ""),
        f"  asked now:      {len(report.asked)}",
        f"  already asked:  {len(report.already_asked)}",
        f"  away:           {len(report.away)}" + _names(report.away),
    ]
    if report.waiting:
        held = ", ".join(
            f"{user} until {moment.astimezone(report.zone):%a %H:%M}"
            for user, moment in sorted(report.waiting.items())
        )
        lines.append(
            f"  waiting:        {len(report.waiting)}  (their morning, or their shift: {held})"
        )
    if report.off_shift:  # shifts: no working time before the meeting
        lines.append(f"  off shift:      {len(report.off_shift)}" + _names(report.off_shift))
    if report.in_progress:
        lines.append(f"  being sent:     {len(report.in_progress)}  (by another retrobot process)")
    lines.append(f"  failed:         {len(report.failed)}")
    lines += [
        f"    {user}: {describe_error(error)}" for user, error in sorted(report.failed.items())
    ]
    if report.dnd_problem:  # shifts
        lines.append(
            f"  note: Slack's do-not-disturb could not be read ({report.dnd_problem}); "
            "the DMs went by working patterns alone"
        )
    if report.roster_problem:
        lines.append(f"  note: {report.roster_problem}; the members already known were asked")
    return "\n".join(lines)


def _names(users: list[str], shown: int = 10) -> str:
    if not users:
        return ""
    more = f" and {len(users) - shown} more" if len(users) > shown else ""
    return f"  ({', '.join(users[:shown])}{more})"
