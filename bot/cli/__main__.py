"""`python -m bot.cli`: the same as the `retrobot` console script."""

from bot.cli import run

run()
