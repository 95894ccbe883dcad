"""Check-ins: the round of DMs before each tactical meeting, answers and reminders."""
