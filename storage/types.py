"""Column types that keep the database honest: UTC datetimes and str enums stored as plain text."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator


def utc_now() -> datetime:
    """The current time as an aware UTC datetime (the default for created_at columns)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC, and read back as aware UTC, on every database.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` converts to the session's zone;
    storing naive UTC everywhere makes both behave alike. A naive datetime is refused rather than
    guessed at, because guessing its zone is how a meeting drifts by an hour.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC for storage; refuse naive ones."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"UTCDateTime refuses a naive datetime ({value.isoformat()}).")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to the naive value the database returns."""
        if value is None:
            return None
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        return value.replace(tzinfo=UTC)


class StrEnumType(TypeDecorator[StrEnum]):
    """A :class:`StrEnum` stored as its value in a VARCHAR, read back as the enum member.

    Not a native PostgreSQL enum and no CHECK constraint: adding a member needs no migration.
    """

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int = 32) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Store the member's value; a plain string must name a member."""
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        """Turn the stored value back into the enum member."""
        if value is None:
            return None
        return self.enum_class(value)

    @property
    def python_type(self) -> type[StrEnum]:
        """The enum class, so SQLAlchemy and pydantic know what the column holds."""
        return self.enum_class
