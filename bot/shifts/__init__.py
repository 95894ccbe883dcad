"""Shifts and do-not-disturb: nobody is DM'd off shift.

model (a working pattern and its working times, DND, the modal's checks) <- service (the
next-send-time rule; patterns and held DMs in the database) <- dnd (Slack's do-not-disturb, read
in batches) <- gate (what every scheduled DM passes on its way to the outbox) <- views (the App
Home section and the modal) <- usecases (what a person does: set or clear their pattern).
"""
