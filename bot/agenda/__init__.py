"""The tactical-meeting agenda: one message in the team channel, details in its thread."""
