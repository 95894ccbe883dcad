"""The column kinds every table uses: UTC datetimes, typed text, JSON lists and objects.

Shared by storage/models.py and the tables it re-exports (storage/role_tables.py), so that
neither imports the other's helpers.
"""

from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlmodel import Field

from storage.types import UTCDateTime, utc_now


def datetime_column(*, nullable: bool = False, index: bool = False, **kwargs: Any) -> Any:
    """A UTC datetime field; ``kwargs`` go to :class:`sqlmodel.Field` (default, default_factory)."""
    return Field(sa_type=UTCDateTime(), nullable=nullable, index=index, **kwargs)


def created_at(*, index: bool = False) -> Any:
    """A creation timestamp that defaults to now, for rows made outside a use case."""
    return datetime_column(default_factory=utc_now, index=index)


def updated_at() -> Any:
    """A change timestamp that defaults to now and moves on every UPDATE unless set explicitly."""
    return datetime_column(default_factory=utc_now, sa_column_kwargs={"onupdate": utc_now})


def text(default: str = "", *, server_default: str | None = None) -> Any:
    """Free text a person typed: unbounded, never NULL. ``server_default`` is the database's
    own default, where a migration added the column to a table that had rows."""
    kwargs = {"server_default": server_default} if server_default is not None else {}
    return Field(default=default, sa_type=Text(), nullable=False, sa_column_kwargs=kwargs)


def json_dict(*, server_default: str | None = None) -> Any:
    """A JSON object column whose in-place changes (``d[key] = value``) are saved;
    ``server_default`` as for :func:`text`."""
    column = Column(MutableDict.as_mutable(JSON()), nullable=False, server_default=server_default)
    return Field(default_factory=dict, sa_column=column)


def json_list() -> Any:
    """A JSON array column whose in-place changes (``append``) are saved."""
    return Field(
        default_factory=list, sa_column=Column(MutableList.as_mutable(JSON()), nullable=False)
    )
