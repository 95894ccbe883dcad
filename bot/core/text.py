"""Text people typed: cleaned on the way in, escaped on the way out, checked for client details.

Pure functions, no Slack calls. Slack's mrkdwn rules are in SLACK.md (mrkdwn); the privacy rule
that client-identifying text is flagged before it is stored is in DESIGN.md (Privacy), and its
guard is :mod:`bot.core.identifiers`.
"""

from __future__ import annotations

import re
import unicodedata

# The client-identifier guard has a module of its own; its names are kept here too, where the
# capabilities have always imported them from.
from bot.core.identifiers import (
    DATE_OF_BIRTH,
    NHS_NUMBER,
    PHONE_NUMBER,
    POSTCODE,
    ClientIdentifier,
    describe_client_identifiers,
    find_client_identifiers,
)

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
