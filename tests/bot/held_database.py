"""A database busy with someone else's long write, as a modal's submission may find it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from bot.services import Services


@contextmanager
def database_held(services: Services, table: str) -> Iterator[None]:
    """Another connection holds ``table`` for writing, as a long job would: on SQLite the
    whole database (its one writer), on PostgreSQL that table (reads still go on)."""
    url = services.engine.url
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database or "", timeout=0)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.rollback()
            other.close()
        return
    with services.engine.connect() as other:
        other.execute(text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            other.rollback()


def first_input_block(view: dict) -> str:
    """The block id of a modal's first input, where "couldn't save just now" shows."""
    return next(block["block_id"] for block in view["blocks"] if block["type"] == "input")


def could_not_save(services: Services, modal: dict) -> dict[str, str]:
    """The field errors of a submission the database could not take: "couldn't save just
    now" on the modal's first input block."""
    return {first_input_block(modal): services.renderer.plain("errors.could_not_save")}
