"""Tests for bot.core.identifiers: the client-identifier guard against two corpora.

``corpora/identifiers.txt`` holds client identifiers written the ways people write them (spaces
of every kind, dashes, dots, slashes, tabs, zero-width characters, full-width digits, country
codes with and without the plus); ``corpora/ordinary.txt`` holds the sentences a care team writes
every day (rotas, wards, rooms, times, units, dates of meetings). The guard must miss none of the
first and flag none of the second.
"""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import pytest

from bot.core.identifiers import (
    DATE_OF_BIRTH,
    NHS_NUMBER,
    PHONE_NUMBER,
    POSTCODE,
    find_client_identifiers,
    fold,
)

CORPORA = Path(__file__).parent / "corpora"
TODAY = date(2026, 12, 6)
KINDS = {"nhs": NHS_NUMBER, "dob": DATE_OF_BIRTH, "phone": PHONE_NUMBER, "postcode": POSTCODE}
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\t")
_MARKED = re.compile("«([^»]*)»")


def _unescaped(line: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else "\t", line)


def corpus(name: str) -> list[str]:
    """The corpus's lines, unescaped, without comments and blank lines."""
    lines = (CORPORA / name).read_text(encoding="utf-8").splitlines()
    return [_unescaped(line) for line in lines if line.strip() and not line.startswith("#")]


def marked(line: str) -> tuple[str, str, list[tuple[int, int]]]:
    """A corpus line as its kind, its text without the marks, and the marked spans."""
    kind, _, sentence = line.partition(": ")
    spans, text, at = [], "", 0
    for m in _MARKED.finditer(sentence):
        text += sentence[at : m.start()]
        spans.append((len(text), len(text) + len(m.group(1))))
        text += m.group(1)
        at = m.end()
    return KINDS[kind], text + sentence[at:], spans


IDENTIFIERS = corpus("identifiers.txt")
ORDINARY = corpus("ordinary.txt")


def test_the_corpora_are_large_and_cover_every_kind() -> None:
    assert len(IDENTIFIERS) >= 200
    assert len(ORDINARY) >= 200
    kinds = [marked(line)[0] for line in IDENTIFIERS]
    assert all(kinds.count(kind) >= 35 for kind in KINDS.values())
    assert all(marked(line)[2] for line in IDENTIFIERS), "every line marks its identifier"


def test_every_identifier_however_written_is_flagged_exactly() -> None:
    misses = []
    for line in IDENTIFIERS:
        kind, text, spans = marked(line)
        found = find_client_identifiers(text, today=TODAY)
        if [(f.kind, f.start, f.end) for f in found] != [(kind, s, e) for s, e in spans]:
            misses.append(f"{line!r}: {[(f.kind, f.match) for f in found]}")
    assert misses == []


def test_no_ordinary_sentence_is_flagged() -> None:
    false_alarms = []
    for line in ORDINARY:
        found = find_client_identifiers(line, today=TODAY)
        if found:
            false_alarms.append(f"{line!r}: {[(f.kind, f.match) for f in found]}")
    assert false_alarms == []


@pytest.mark.parametrize(
    "text",
    [
        "NHS 943\u00a0476\u00a05919",
        "NHS 943.476.5919",
        "NHS 943/476/5919",
        "NHS 943\t476\t5919",
        "NHS 943\u200b476\u200b5919",
        "NHS 943\u2013476\u20135919",
        "call 07700.900.123",
        "call 07700  900123",
        "call ０７７００ ９００１２３",
        "call +44 7700 900123",
        "call 44 7700 900123",
        "lives at SW1A  1AA",
        "lives at SW1A-1AA",
        "DOB 12 03 1941",
        "DOB: 12031941",
    ],
)
def test_what_the_guard_used_to_miss_is_flagged(text: str) -> None:
    assert find_client_identifiers(text, today=TODAY) != []


@pytest.mark.parametrize(
    "text",
    [
        "this idea was born 1 Dec 2026 in the huddle",
        "see item b. 12/03/2026",
        "the plan was born 3 March 2031 if we get the funding",
    ],
)
def test_what_the_guard_used_to_refuse_is_let_through(text: str) -> None:
    assert find_client_identifiers(text, today=TODAY) == []


def test_a_date_of_birth_to_come_is_not_one() -> None:
    assert find_client_identifiers("born 3 March 2031", today=TODAY) == []
    [found] = find_client_identifiers("born 3 March 2026", today=TODAY)
    assert found.kind == DATE_OF_BIRTH
    # A two-digit year of birth is in the past: "27" is 1927 in 2026.
    [found] = find_client_identifiers("DOB 12/03/27", today=TODAY)
    assert found.match == "12/03/27"


def test_a_finding_points_at_the_text_as_typed() -> None:
    text = "Ana\u00a0\u00a0rang ０７７００\u200b９００１２３ today"
    [found] = find_client_identifiers(text, today=TODAY)
    assert found.kind == PHONE_NUMBER
    assert found.match == "０７７００\u200b９００１２３"
    assert text[found.start : found.end] == found.match


def test_folding_maps_each_character_back() -> None:
    folded, origin = fold("a\u00a0\u00a0b\u200b\u2013\tc\uff11")
    assert folded == "a b- c1"
    assert [origin[i] for i in range(len(folded))] == [0, 1, 3, 5, 6, 7, 8]


def _per_call_seconds(texts: list[str], repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for text in texts:
            find_client_identifiers(text, today=TODAY)
        best = min(best, (time.perf_counter() - started) / len(texts))
    return best


def test_the_guard_is_quick_on_ordinary_sentences() -> None:
    # It runs on every modal submission. Measured at about 20-40 µs a sentence (the best of
    # five passes); the bound leaves room for a loaded machine.
    assert _per_call_seconds(ORDINARY) < 300e-6
