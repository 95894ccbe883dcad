"""Triage: a tension turned into an outcome with an owner, and its closure."""
