"""Talking to Slack: the Web API client, the one outbox, Block Kit builders and limits, users."""
