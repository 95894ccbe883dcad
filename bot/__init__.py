"""retrobot: the weekly tactical rhythm of a self-organising team, in Slack."""

__version__ = "0.1.0"
