"""Text people typed: cleaned on the way in, escaped on the way out, checked for client details.

Pure functions, no Slack calls. Slack's mrkdwn rules are in SLACK.md (mrkdwn); the privacy rule
that client-identifying text is flagged before it is stored is in DESIGN.md (Privacy).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "DATE_OF_BIRTH",
    "NHS_NUMBER",
    "PHONE_NUMBER",
    "POSTCODE",
    "ClientIdentifier",
    "describe_client_identifiers",
    "escape_mrkdwn",
    "find_client_identifiers",
    "normalise_input",
    "quote",
    "strip_slack_links",
]

ELLIPSIS = "…"

NHS_NUMBER = "NHS number"
DATE_OF_BIRTH = "date of birth"
PHONE_NUMBER = "phone number"
POSTCODE = "postcode"

# A modal field error is plain text shown under the field; 2,000 characters is its ceiling here.
_DESCRIPTION_LIMIT = 2000
_MATCHES_SHOWN = 3
_MATCH_SHOWN_LIMIT = 60

# --- escaping ---------------------------------------------------------------------------------


def escape_mrkdwn(text: str) -> str:
    """Escape exactly ``&``, ``<`` and ``>``: typed text can never mention people or forge links."""
    # `&` first, or the `&` of the entities added next would be escaped again.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">"}


def _unescape_mrkdwn(text: str) -> str:
    # One pass, so "&amp;lt;" becomes "&lt;" (what was typed), never "<".
    return _ENTITY.sub(lambda m: _ENTITY_TEXT[m.group(1)], text)


# --- trimming ---------------------------------------------------------------------------------

_ZWJ = "\u200d"
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)
_EMOJI_TAGS = range(0xE0020, 0xE0080)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)


def _extends_cluster(char: str) -> bool:
    # Marks (accents, variation selectors, the keycap), skin tones and flag tags belong to the
    # character before them: a cut before one would leave a bare base or a broken emoji.
    point = ord(char)
    return (
        unicodedata.category(char).startswith("M")
        or char == _ZWJ
        or point in _EMOJI_MODIFIERS
        or point in _EMOJI_TAGS
    )


def _joins_previous(previous: str, char: str) -> bool:
    # A UTF-16 pair split into two code points (text decoded with surrogatepass) is one.
    if "\ud800" <= previous <= "\udbff" and "\udc00" <= char <= "\udfff":
        return True
    # A zero-width joiner glues what follows it (👩‍🚒), unless that is a space.
    return _extends_cluster(char) or (previous == _ZWJ and not char.isspace())


def _clusters(text: str) -> list[str]:
    """Split text into user-perceived characters (an approximation of grapheme clusters)."""
    clusters: list[str] = []
    i = 0
    while i < len(text):
        start = i
        i += 1
        # Two regional indicators make one flag.
        if (
            ord(text[start]) in _REGIONAL_INDICATORS
            and i < len(text)
            and ord(text[i]) in _REGIONAL_INDICATORS
        ):
            i += 1
        while i < len(text) and _joins_previous(text[i - 1], text[i]):
            i += 1
        clusters.append(text[start:i])
    return clusters


def quote(text: str, limit: int) -> str:
    """Escape text and trim it to at most ``limit`` characters, ending with "…" when cut."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    if limit == 0:
        return ""
    kept: list[str] = []
    room = limit - len(ELLIPSIS)
    # Whole escaped clusters only: never half an entity like "&am", never half an emoji.
    for cluster in _clusters(text):
        piece = escape_mrkdwn(cluster)
        if len(piece) > room:
            break
        kept.append(piece)
        room -= len(piece)
    return "".join(kept).rstrip() + ELLIPSIS


# --- input ------------------------------------------------------------------------------------

_UNWANTED_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def normalise_input(text: str | None) -> str:
    """Clean what a person typed: newlines as ``\\n``, no control characters, NFC, stripped."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNWANTED_CONTROLS.sub("", text)
    if _SURROGATES.search(text):
        # A UTF-16 pair split into code points is rejoined; a lone half cannot be stored as
        # UTF-8 at all, so it becomes U+FFFD rather than failing the whole submission.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return unicodedata.normalize("NFC", text).strip()


# --- client identifiers -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientIdentifier:
    """Text that looks like it identifies a client: its kind, the text, and where it is."""

    kind: str
    match: str
    start: int
    end: int


_NHS_CANDIDATE = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")


def _passes_nhs_check_digit(digits: str) -> bool:
    # NHS number Modulus 11: weights 10..2 over the first nine digits.
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs_numbers(text: str) -> list[ClientIdentifier]:
    found = []
    for m in _NHS_CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        # 0000000000, 1111111111, ... pass the check but are placeholders, never issued.
        if len(set(digits)) > 1 and _passes_nhs_check_digit(digits):
            found.append(ClientIdentifier(NHS_NUMBER, m.group(), m.start(), m.end()))
    return found


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
    # 12/03/1941, 12.3.41, 12-03-1941 (day first, or month first)
    r"(?<!\d)(?<!\d[/.-])(?P<a>\d{1,2})(?P<s1>[/.-])(?P<b>\d{1,2})(?P=s1)(?P<y1>\d{4}|\d{2})"
    r"(?!\d|[/.-]\d)"
    # 1941-03-12
    r"|(?<!\d)(?<!\d[/.-])(?P<y2>\d{4})(?P<s2>[/.-])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2})"
    r"(?!\d|[/.-]\d)"
    # 3 March 1941, 3rd of Mar, 1941
    rf"|(?<!\d)(?P<d3>\d{{1,2}}){_ORDINAL}[ \t]+(?:of[ \t]+)?(?P<m3>{_MONTH}),?"
    r"[ \t]+(?P<y3>\d{4})(?!\d)"
    # March 3rd, 1941
    rf"|(?P<m4>{_MONTH})[ \t]+(?P<d4>\d{{1,2}}){_ORDINAL},?[ \t]+(?P<y4>\d{{4}})(?!\d)"
    r")"
)
_DOB_CUE = r"(?:\bd\.?[ ]?o\.?[ ]?b\b\.?|\bdate[ \t]+of[ \t]+birth\b|\bborn\b|\bb\.)"
# The cue comes first ("DOB: 12/03/1941", "born on the 3rd of March 1941") or just after
# ("12/03/1941 (DOB)"); a date elsewhere in the text is a meeting, not a birthday.
_DOB_BEFORE = re.compile(
    _DOB_CUE + r"[ \t:;,=()\[\]\-–—]*(?:(?:is|was|on|the)\b[ \t:,]*){0,3}" + _DATE,
    re.IGNORECASE,
)
_DOB_AFTER = re.compile(_DATE + r"[ \t]*[(\[,\-–—]?[ \t]*" + _DOB_CUE, re.IGNORECASE)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_day_and_month(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]


def _is_calendar_date(m: re.Match[str]) -> bool:
    if m.group("a"):
        a, b = int(m.group("a")), int(m.group("b"))
        # Day first in the UK, but someone may write it the American way: either is a date.
        return _is_day_and_month(a, b) or _is_day_and_month(b, a)
    if m.group("y2"):
        return _is_day_and_month(int(m.group("d2")), int(m.group("m2")))
    for n in ("3", "4"):
        if m.group("d" + n):
            month = _MONTHS[m.group("m" + n).rstrip(".").lower()]
            return _is_day_and_month(int(m.group("d" + n)), month)
    return False


def _date_span(m: re.Match[str]) -> tuple[int, int]:
    # The date's own groups span it: the first group that took part starts it, the last ends it.
    spans = [m.span(g) for g in m.re.groupindex if m.group(g) is not None]
    return min(s for s, _ in spans), max(e for _, e in spans)


# Both patterns hold a cue: text without one (nearly all) skips their far slower date search.
_ANY_DOB_CUE = re.compile(_DOB_CUE, re.IGNORECASE)


def _dates_of_birth(text: str) -> list[ClientIdentifier]:
    found: list[ClientIdentifier] = []
    if not _ANY_DOB_CUE.search(text):
        return found
    for pattern in (_DOB_BEFORE, _DOB_AFTER):
        for m in pattern.finditer(text):
            if _is_calendar_date(m):
                start, end = _date_span(m)
                found.append(ClientIdentifier(DATE_OF_BIRTH, text[start:end], start, end))
    return found


# A UK number: 0 or +44 / 0044 (with an optional "(0)"), then 9 or 10 digits, each optionally
# after one space, hyphen or bracket, so any grouping ("07700 900123", "(0161) 496 0000") fits.
_PHONE_CANDIDATE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)[ ]?44[ ]?(?:\(0\)[ ]?)?\(?|\(?0)(?:[ -]?\(?\d\)?){9,10}(?!\d)"
)
_UK_PHONE = re.compile(r"07\d{9}|01\d{8,9}|0[23]\d{9}")


def _phone_numbers(text: str) -> list[ClientIdentifier]:
    found = []
    for m in _PHONE_CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if digits.startswith("0044"):
            digits = digits[2:]
        if digits.startswith("44"):
            national = digits[2:]
            # "+44 (0)20 ..." carries the trunk 0 inside brackets.
            digits = national if "(0)" in m.group() else "0" + national
        if _UK_PHONE.fullmatch(digits):
            found.append(ClientIdentifier(PHONE_NUMBER, m.group(), m.start(), m.end()))
    return found


# The postcode format from the UK government's data standard, plus Girobank's GIR 0AA.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?P<outward>GIR|[A-PR-UWYZ](?:\d\d?|[A-HK-Y]\d\d?|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRVWXY]))"
    r"[ \u00a0]?"
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


def _postcodes(text: str) -> list[ClientIdentifier]:
    return [
        ClientIdentifier(POSTCODE, m.group(), m.start(), m.end())
        for m in _POSTCODE.finditer(text)
        if not _is_ordinal(m.group("inward"))
    ]


_PRIORITY = {NHS_NUMBER: 0, DATE_OF_BIRTH: 1, PHONE_NUMBER: 2, POSTCODE: 3}


def find_client_identifiers(text: str) -> list[ClientIdentifier]:
    """Find text that may identify a client: NHS numbers, dates of birth, phones, postcodes."""
    candidates = [
        *_nhs_numbers(text),
        *_dates_of_birth(text),
        *_phone_numbers(text),
        *_postcodes(text),
    ]
    # One finding per stretch of text: the longest, and for the same stretch the most specific
    # (a 10-digit landline that passes the NHS check is reported as an NHS number).
    candidates.sort(key=lambda c: (c.start, -(c.end - c.start), _PRIORITY[c.kind]))
    found: list[ClientIdentifier] = []
    for candidate in candidates:
        if not found or candidate.start >= found[-1].end:
            found.append(candidate)
    return found


_ARTICLE = {NHS_NUMBER: "an", DATE_OF_BIRTH: "a", PHONE_NUMBER: "a", POSTCODE: "a"}


def _shown(identifier: ClientIdentifier) -> str:
    words = " ".join(identifier.match.split())
    if len(words) > _MATCH_SHOWN_LIMIT:
        words = words[: _MATCH_SHOWN_LIMIT - len(ELLIPSIS)] + ELLIPSIS
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


# --- Slack's own markup -----------------------------------------------------------------------

_SLACK_MARKUP = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_URL_SCHEMES = ("https://", "http://", "mailto:", "tel:")


def _readable(markup: str) -> str:
    target, _, label = markup.partition("|")
    target, label = _unescape_mrkdwn(target), _unescape_mrkdwn(label)
    if target.startswith("@"):  # <@U123|bob>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # <#C123|general>; Slack may send the label empty
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@nurses>, <!date^...|Feb 18, 2014>
        if label:
            return label
        return "@" + target[1:].split("^")[-1]
    if not label or label == target:
        return target
    bare = next((target[len(s) :] for s in _URL_SCHEMES if target.startswith(s)), target)
    # An autolinked "example.com" or e-mail address shows as itself; a named link shows both.
    if label in (bare, bare.rstrip("/")):
        return label
    return f"{label} ({target})"


def strip_slack_links(text: str) -> str:
    """Turn Slack's message markup back into the plain text a person saw in the message."""
    return _SLACK_MARKUP.sub(
        lambda m: _readable(m.group(1)) if m.group(1) is not None else _ENTITY_TEXT[m.group(2)],
        text,
    )
