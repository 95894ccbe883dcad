"""Check-ins: the round of DMs before each tactical meeting, answers and reminders.

model (limits, dataclasses) <- rounds (a round's prompts and claims, in the database) <- service
(a member's answer, skip, away, what they see) and answers (what was typed, checked); views
(Block Kit, the terminal's report) <- pacing and delivery (what is sent to Slack) <- usecases
(what a person or a job does; listeners, jobs and the command line call these).
"""
