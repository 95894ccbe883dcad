"""Tensions: raised with /tension or from a message, edited, withdrawn."""
