"""The client-identifier guard: NHS numbers, dates of birth, phone numbers and postcodes.

DESIGN.md (Privacy): text that may identify a client is flagged before it is stored. The guard
runs on every modal submission, so it must be quick on ordinary text (a few hundred
microseconds), never miss an identifier however it was typed, and never stop a sentence about
rotas, wards, rooms, times or meetings.

Text is first folded (:func:`fold`): NFKC (full-width digits become 0-9), every Unicode space
and tab a plain space, runs of spaces one, every dash a hyphen, zero-width characters gone; each
finding is then mapped back to the text as typed. Phone numbers are found by ``phonenumbers``
(Google's libphonenumber) and NHS numbers checked by ``nhs-number``'s Modulus 11; dates of birth
and postcodes, which no such library finds in free text, by the patterns below.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import phonenumbers
from nhs_number import calculate_checksum

__all__ = [
    "DATE_OF_BIRTH",
    "NHS_NUMBER",
    "PHONE_NUMBER",
    "POSTCODE",
    "ClientIdentifier",
    "describe_client_identifiers",
    "find_client_identifiers",
    "fold",
]

NHS_NUMBER = "NHS number"
DATE_OF_BIRTH = "date of birth"
PHONE_NUMBER = "phone number"
POSTCODE = "postcode"

_ELLIPSIS = "…"
# A modal field error is plain text shown under the field; 2,000 characters is its ceiling here.
_DESCRIPTION_LIMIT = 2000
_MATCHES_SHOWN = 3
_MATCH_SHOWN_LIMIT = 60


@dataclass(frozen=True, slots=True)
class ClientIdentifier:
    """Text that looks like it identifies a client: its kind, the text, and where it is."""

    kind: str
    match: str
    start: int
    end: int


# --- folding ----------------------------------------------------------------------------------

# Invisible characters that can sit inside a number without showing: zero-width space, joiners,
# word joiner, byte-order mark, soft hyphen, Mongolian vowel separator.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")
_MINUS_SIGNS = frozenset("\u2212\u2796\ufe63\uff0d")


@functools.lru_cache(maxsize=4096)
def _folded_char(char: str) -> str:
    """One character as the guard reads it: NFKC, a space, a hyphen, or nothing."""
    if char in _INVISIBLE:
        return ""
    if char == "\t":
        return " "
    if char in _MINUS_SIGNS:
        return "-"
    pieces = []
    for piece in unicodedata.normalize("NFKC", char):
        category = unicodedata.category(piece)
        if category == "Zs":
            pieces.append(" ")
        elif category == "Pd":
            pieces.append("-")
        else:
            pieces.append(piece)
    return "".join(pieces)


# What folding changes: anything not ASCII, and tabs. Stretches of plain ASCII are copied whole.
_NEEDS_FOLDING = re.compile(r"[^\x00-\x08\x0a-\x7f]")
_SPACES = re.compile(r" {2,}")


def fold(text: str) -> tuple[str, list[int]]:
    """The text as the guard reads it, and for each of its characters the index typed."""
    pieces: list[str] = []
    origin: list[int] = []
    at = 0
    for special in _NEEDS_FOLDING.finditer(text):
        index = special.start()
        pieces.append(text[at:index])
        origin.extend(range(at, index))
        piece = _folded_char(text[index])
        pieces.append(piece)
        origin.extend([index] * len(piece))
        at = index + 1
    pieces.append(text[at:])
    origin.extend(range(at, len(text)))
    return _one_space(("".join(pieces), origin))


def _one_space(folded: tuple[str, list[int]]) -> tuple[str, list[int]]:
    # A run of spaces reads as one: "07700  900123" is written with two by mistake.
    text, origin = folded
    if "  " not in text:
        return folded
    kept_text: list[str] = []
    kept_origin: list[int] = []
    at = 0
    for run in _SPACES.finditer(text):
        end = run.start() + 1
        kept_text.append(text[at:end])
        kept_origin.extend(origin[at:end])
        at = run.end()
    kept_text.append(text[at:])
    kept_origin.extend(origin[at:])
    return "".join(kept_text), kept_origin


def _is_plain(text: str) -> bool:
    # Most text needs no folding: ASCII with neither tabs nor double spaces.
    return text.isascii() and "\t" not in text and "  " not in text


# --- NHS numbers ------------------------------------------------------------------------------

# Ten digits in one of the ways people group them: "9434765919", "943 476 5919", "943.476.5919",
# "943 - 476 - 5919", "943/476/5919", "943476 5919"; two-digit groups ("08.00-14.00") are times.
_SEPARATOR = r"[ ./-]{1,3}"
# It starts with a digit (its first, with none before it), so the scan skips other text quickly.
_NHS_CANDIDATE = re.compile(
    rf"\d(?<!\d\d)(?:\d{{9}}|\d\d{_SEPARATOR}\d{{3}}{_SEPARATOR}\d{{4}}"
    rf"|\d\d{_SEPARATOR}\d{{7}}|\d{{5}}{_SEPARATOR}\d{{4}})(?!\d)"
)
_NON_DIGITS = re.compile(r"\D")


def _passes_modulus_11(digits: str) -> bool:
    # 0000000000, 1111111111, ... pass the check but are placeholders, never issued.
    return len(set(digits)) > 1 and calculate_checksum(digits[:9]) == int(digits[9])


def _nhs_numbers(text: str) -> list[tuple[str, int, int]]:
    found = []
    at = 0
    while candidate := _NHS_CANDIDATE.search(text, at):
        if _passes_modulus_11(_NON_DIGITS.sub("", candidate.group())):
            found.append((NHS_NUMBER, candidate.start(), candidate.end()))
            at = candidate.end()
        else:
            # "2026 943 476 5919": the number may start at the next group of the same run.
            at = candidate.start() + 1
    return found


# --- dates of birth ---------------------------------------------------------------------------

_MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE = (
    r"(?:"
    # 12/03/1941, 12.3.41, 12-03-1941, 12 03 1941 (day first, or month first)
    r"(?<!\d)(?<!\d[/.-])(?P<a>\d{1,2})(?P<s1> ?[/.-] ?| )(?P<b>\d{1,2})(?P=s1)(?P<y1>\d{4}|\d{2})"
    r"(?!\d|[/.-]\d)"
    # 1941-03-12
    r"|(?<!\d)(?<!\d[/.-])(?P<y2>\d{4})(?P<s2>[/.-])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2})"
    r"(?!\d|[/.-]\d)"
    # 12031941, 120341, 19410312
    r"|(?<![\d/.-])(?P<c>\d{8}|\d{6})(?![\d/.-])"
    # 3 March 1941, 3rd of Mar, 1941
    rf"|(?<!\d)(?P<d3>\d{{1,2}}){_ORDINAL} (?:of )?(?P<m3>{_MONTH}),? ?(?P<y3>\d{{4}})(?!\d)"
    # March 3rd, 1941
    rf"|(?P<m4>{_MONTH}) (?P<d4>\d{{1,2}}){_ORDINAL},? (?P<y4>\d{{4}})(?!\d)"
    r")"
)
_DOB_CUE = (
    r"(?:\bd\.? ?o\.? ?b(?:\b|(?=\d))\.?|\bdate[ -]of[ -]birth\b|\bbirth ?date\b|(?P<born>\bborn\b)"
    r"|(?P<b_label>\bb\.))"
)
# The cue comes first ("DOB: 12/03/1941", "born on the 3rd of March 1941") or just after
# ("12/03/1941 (DOB)"); a date elsewhere in the text is a meeting, not a birthday.
_DOB_BEFORE = re.compile(
    _DOB_CUE + r"[ :;,=()\[\]-]*(?:(?:is|was|on|the)\b[ :,]*){0,3}" + _DATE, re.IGNORECASE
)
_DOB_AFTER = re.compile(_DATE + r" ?[(\[,-]? ?" + _DOB_CUE, re.IGNORECASE)
_ANY_DOB_CUE = re.compile(_DOB_CUE, re.IGNORECASE)
_CUE_HINT = re.compile(r"b(?:\.|irth|orn|\b|\d)")
_LONGEST_DATE = 40  # "September 30th, 1941 (" and more
# "b." is short for "born" in "Mrs A (b. 1941)", but a list's second item in "item b." or
# "a. Monday b. Tuesday".
_LIST_LABEL_BEFORE = re.compile(
    r"\b(?:item|point|option|section|part|step|para(?:graph)?|appendix|annex|question|box"
    r"|line|row|column|page|table|figure|fig|plan|list|no|number|and|or|see)\W*$",
    re.IGNORECASE,
)
_FIRST_ITEM = re.compile(r"(?:^|\s)\(?a[.)]\s", re.IGNORECASE)
# "Born" is said of people, and of the team's ideas: "this idea was born 1 Dec in the huddle".
_BORN_THING = re.compile(
    r"\b(?:idea|plan|project|scheme|initiative|pilot|programme|program|service|rota|group"
    r"|huddle|team|app|tool|process|change|proposal|tension|habit|tradition)s? (?:was|were|is|got)"
    r"(?: first| really)? $",
    re.IGNORECASE,
)


def _day_and_month(day: int, month: int, year: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(year: str, today: date) -> int:
    # A two-digit year of birth is in the past: "41" is 1941, "19" is 2019 until it is not.
    if len(year) == 4:
        return int(year)
    century = today.year // 100 * 100
    full = century + int(year)
    return full if full <= today.year else full - 100


def _candidate_dates(m: re.Match[str], today: date) -> list[date | None]:
    if m.group("a"):
        a, b = int(m.group("a")), int(m.group("b"))
        year = _full_year(m.group("y1"), today)
        # Day first in the UK, but someone may write it the American way: either is a date.
        return [_day_and_month(a, b, year), _day_and_month(b, a, year)]
    if m.group("y2"):
        return [_day_and_month(int(m.group("d2")), int(m.group("m2")), int(m.group("y2")))]
    if compact := m.group("c"):
        year = _full_year(compact[4:], today)
        candidates = [_day_and_month(int(compact[:2]), int(compact[2:4]), year)]
        if len(compact) == 8:  # or the ISO order, 19410312
            candidates.append(_day_and_month(int(compact[6:]), int(compact[4:6]), int(compact[:4])))
        return candidates
    for n in ("3", "4"):
        if m.group("d" + n):
            month = _MONTHS[m.group("m" + n).rstrip(".").lower()]
            return [_day_and_month(int(m.group("d" + n)), month, int(m.group("y" + n)))]
    return []


def _is_birth_date(m: re.Match[str], today: date) -> bool:
    # A date to come is a plan ("the idea was born 1 Dec 2030"), not somebody's birthday.
    return any(d is not None and d <= today for d in _candidate_dates(m, today))


def _is_not_about_a_person(m: re.Match[str], text: str) -> bool:
    """The cue is a list's "b." or an idea's birth, not a person's."""
    if (start := m.start("b_label")) >= 0:
        return bool(_LIST_LABEL_BEFORE.search(text, 0, start) or _FIRST_ITEM.search(text, 0, start))
    if (start := m.start("born")) >= 0:
        return bool(_BORN_THING.search(text, 0, start))
    return False


_CUES = ("born", "b_label")


def _date_span(m: re.Match[str]) -> tuple[int, int]:
    # The date's own groups span it: the first group that took part starts it, the last ends it.
    spans = [m.span(g) for g in m.re.groupindex if g not in _CUES and m.group(g) is not None]
    return min(s for s, _ in spans), max(e for _, e in spans)


def _dates_of_birth(text: str, today: date) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    # Every cue has a "b" ending a word or followed by ".", a digit, "irth" or "orn": text
    # without one (nearly all) is done with in a scan far quicker than the cues' own.
    if not _CUE_HINT.search(text.lower()):
        return found
    # Dates are looked for next to each cue only.
    for cue in _ANY_DOB_CUE.finditer(text):
        after = _DOB_BEFORE.match(text, cue.start())
        before = _DOB_AFTER.search(text, max(0, cue.start() - _LONGEST_DATE), cue.end())
        for m in (after, before):
            if m and _is_birth_date(m, today) and not _is_not_about_a_person(m, text):
                found.append((DATE_OF_BIRTH, *_date_span(m)))
    return found


# --- phone numbers ----------------------------------------------------------------------------

# A person's number: geographic (01, 02), non-geographic at local rates (03), mobile (07); with
# its national significant number's length. 0800 (freephone), 08 and 09 numbers are services.
_PERSONAL_NUMBER = re.compile(r"1\d{8,9}|[237]\d{9}")


def _is_uk_personal_number(match: phonenumbers.PhoneNumberMatch) -> bool:
    """A UK number as people write them, whether or not Ofcom has allocated it yet.

    libphonenumber knows which ranges are allocated; a number from a range it does not know
    (Ofcom's drama ranges, 07700 900xxx, a range opened after its release) is still somebody's
    number when it has the shape of one, so the shape decides and not ``is_valid_number``.
    """
    number = match.number
    if number.country_code != 44:
        return False
    written = _NON_DIGITS.sub("", match.raw_string)
    # Written with its trunk 0, or with the country code (+44, 0044, or 44 without the plus).
    if not written.startswith(("0", "44")):
        return False
    return bool(_PERSONAL_NUMBER.fullmatch(str(number.national_number)))


# Where a UK number may be: ten digits or more, a few other characters apart at most. The
# matcher, by far the slowest step, reads only these stretches and a little around them (a
# "+" or "(" before, an extension after).
_PHONE_STRETCH = re.compile(r"\d(?:[^\d\n]{0,4}\d){9,}")
_BEFORE_STRETCH, _AFTER_STRETCH = 3, 12


def _phone_numbers(text: str) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    for stretch in _PHONE_STRETCH.finditer(text):
        start = max(0, stretch.start() - _BEFORE_STRETCH)
        window = text[start : stretch.end() + _AFTER_STRETCH]
        # POSSIBLE: the matcher finds every number written the ways people write them; the
        # shape check then keeps those that are a person's.
        for m in phonenumbers.PhoneNumberMatcher(
            window, "GB", leniency=phonenumbers.Leniency.POSSIBLE
        ):
            if _is_uk_personal_number(m):
                found.append((PHONE_NUMBER, start + m.start, start + m.end))
    return found


# --- postcodes --------------------------------------------------------------------------------

# The postcode format from the UK government's data standard, plus Girobank's GIR 0AA, written
# with or without a space (or a hyphen) between its halves.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?P<outward>GIR|[A-PR-UWYZ](?:\d\d?|[A-HK-Y]\d\d?|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRVWXY]))"
    r"(?: ?- ?| )?"
    r"(?P<inward>\d[ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_ORDINAL_SUFFIX = {"1": "st", "2": "nd", "3": "rd"}


def _is_ordinal(inward: str) -> bool:
    # "Ward B3 8th floor" reads as a postcode when case is ignored; a lower-case ordinal is
    # far likelier than a lower-case postcode that happens to end like one.
    digit, suffix = inward[0], inward[1:]
    return suffix == _ORDINAL_SUFFIX.get(digit, "th")


def _postcodes(text: str) -> list[tuple[str, int, int]]:
    return [
        (POSTCODE, m.start(), m.end())
        for m in _POSTCODE.finditer(text)
        if not _is_ordinal(m.group("inward"))
    ]


# --- the guard --------------------------------------------------------------------------------

_PRIORITY = {NHS_NUMBER: 0, DATE_OF_BIRTH: 1, PHONE_NUMBER: 2, POSTCODE: 3}


def find_client_identifiers(text: str, *, today: date | None = None) -> list[ClientIdentifier]:
    """Find text that may identify a client: NHS numbers, dates of birth, phones, postcodes."""
    if not text:
        return []
    today = today or date.today()
    if _is_plain(text):
        folded, origin = text, None
    else:
        folded, origin = fold(text)
    candidates = [
        *_nhs_numbers(folded),
        *_dates_of_birth(folded, today),
        *_phone_numbers(folded),
        *_postcodes(folded),
    ]
    # One finding per stretch of text: the longest, and for the same stretch the most specific
    # (a 10-digit landline that passes the NHS check is reported as an NHS number).
    candidates.sort(key=lambda c: (c[1], -(c[2] - c[1]), _PRIORITY[c[0]]))
    found: list[ClientIdentifier] = []
    kept_end = -1
    for kind, start, end in candidates:
        if start < kept_end:
            continue
        kept_end = end
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
        found.append(ClientIdentifier(kind, text[start:end], start, end))
    return found


_ARTICLE = {NHS_NUMBER: "an", DATE_OF_BIRTH: "a", PHONE_NUMBER: "a", POSTCODE: "a"}


def _shown(identifier: ClientIdentifier) -> str:
    words = " ".join(identifier.match.split())
    if len(words) > _MATCH_SHOWN_LIMIT:
        words = words[: _MATCH_SHOWN_LIMIT - len(_ELLIPSIS)] + _ELLIPSIS
    return f"{_ARTICLE.get(identifier.kind, 'a')} {identifier.kind}: {words}"


def describe_client_identifiers(found: list[ClientIdentifier]) -> str:
    """Explain, kindly and in one line, why a field was stopped; empty when nothing was found."""
    unique = list(dict.fromkeys(_shown(identifier) for identifier in found))
    if not unique:
        return ""
    shown = unique[:_MATCHES_SHOWN]
    hidden = len(unique) - len(shown)
    if hidden:
        listed = ", ".join(shown) + f" and {hidden} more"
    elif len(shown) > 1:
        listed = ", ".join(shown[:-1]) + " and " + shown[-1]
    else:
        listed = shown[0]
    message = (
        f"This looks like it may identify a client ({listed}). Please rewrite it without "
        "client details — retrobot keeps the team's words, not clients' records."
    )
    return message[:_DESCRIPTION_LIMIT]
