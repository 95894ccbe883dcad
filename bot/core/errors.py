"""The errors retrobot raises, each in words a person can act on.

RetrobotError
├── ConfigError            app.yaml or the environment is wrong (carries every problem)
├── NotInTeamError         the person is in no team retrobot knows
├── NotAllowedError        the person may not do this (not a member of that team, ...)
├── NotFoundError          the tension, round or request no longer exists
├── StaleActionError       someone else already did this (a button clicked twice)
├── InvalidInputError      what was typed cannot be accepted (carries field errors)
├── CouldNotSaveError      the database could not take it in time; nothing was stored
├── ImportFileError        a file given to `retrobot import` is not an export it can load
└── ExportFileError        `retrobot export` cannot write where it was told to
"""

from __future__ import annotations


class RetrobotError(Exception):
    """Root of every error retrobot raises on purpose; its message is fit to show a person."""


class ConfigError(RetrobotError):
    """app.yaml or the environment cannot be used; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class NotInTeamError(RetrobotError):
    """The person is not a member of any team in app.yaml."""


class NotAllowedError(RetrobotError):
    """The person is not allowed to do this (for example, triage another team's tension)."""


class NotFoundError(RetrobotError):
    """What the person acted on does not exist (any more)."""


class StaleActionError(RetrobotError):
    """The action was already taken, perhaps by someone else; nothing was recorded twice."""


class InvalidInputError(RetrobotError):
    """Input that cannot be accepted; ``field_errors`` maps a modal block id to a message."""

    def __init__(self, field_errors: dict[str, str]) -> None:
        self.field_errors = dict(field_errors)
        super().__init__("; ".join(self.field_errors.values()))


class CouldNotSaveError(RetrobotError):
    """The database could not store what a person submitted in time (busy, or unreachable):
    nothing was stored, and the modal stays open with everything typed still in it."""


class ImportFileError(RetrobotError):
    """A file given to `retrobot import` cannot be loaded; the message says where and why."""


class ExportFileError(RetrobotError):
    """`retrobot export --out` names a place no file can be written: the message says why."""
