"""Tests for bot.core.text: escaping, trimming, cleaning input, and spotting client details."""

from __future__ import annotations

import html
import re
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import (
    DATE_OF_BIRTH,
    NHS_NUMBER,
    PHONE_NUMBER,
    POSTCODE,
    ClientIdentifier,
    describe_client_identifiers,
    escape_mrkdwn,
    find_client_identifiers,
    normalise_input,
    quote,
    strip_slack_links,
)

PARTIAL_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


# --- escape_mrkdwn ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here> <!everyone>", "&lt;!here&gt; &lt;!everyone&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://x|y>", "&lt;https://x|y&gt;"),
        ("<!subteam^S123>", "&lt;!subteam^S123&gt;"),
        ("fish & chips", "fish &amp; chips"),
        ("&amp;", "&amp;amp;"),
        ("a < b > c", "a &lt; b &gt; c"),
        # Nothing else is touched: formatting characters and quotes stay as typed.
        (
            "*bold* _it_ ~s~ `code` \"q\" 'a' @here #general",
            "*bold* _it_ ~s~ `code` \"q\" 'a' @here #general",
        ),
        ("", ""),
    ],
)
def test_escape_mrkdwn(typed: str, escaped: str) -> None:
    assert escape_mrkdwn(typed) == escaped


@pytest.mark.parametrize(
    "typed", ["<!channel>", "<@U123>", "<https://x|y>", "&", "a &amp; b <#C1>"]
)
def test_escape_round_trips_through_strip_slack_links(typed: str) -> None:
    assert strip_slack_links(escape_mrkdwn(typed)) == typed


@given(st.text())
def test_escaped_text_has_no_markup_and_unescapes_to_the_input(typed: str) -> None:
    escaped = escape_mrkdwn(typed)
    assert "<" not in escaped
    assert ">" not in escaped
    assert not PARTIAL_ENTITY.search(escaped)
    assert html.unescape(escaped) == typed
    assert strip_slack_links(escaped) == typed


# --- quote ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("hello", 5, "hello"),
        ("hello", 10, "hello"),
        ("hello world", 8, "hello w…"),
        ("hello world", 7, "hello…"),  # the space before the cut is not kept
        ("hello", 1, "…"),
        ("hello", 0, ""),
        ("", 0, ""),
        ("a&b", 6, "a…"),  # "a&amp;b" is 7, and "a&amp;…" would be 7 too
        ("a&b c", 7, "a&amp;…"),
        ("a&b", 7, "a&amp;b"),
        ("<!channel> now", 10, "&lt;!chan…"),
        ("<!channel> now", 4, "…"),
        ("x<y", 4, "x…"),
        # Emoji: a ZWJ sequence, a skin tone, a flag and a keycap are each kept whole or dropped.
        ("ab👩‍🚒cd", 4, "ab…"),
        ("ab👩‍🚒cd", 6, "ab👩‍🚒…"),
        ("ab👩‍🚒cd", 5, "ab…"),  # never "ab👩‍…": the joiner holds on to the 🚒
        ("ok👍🏽!!", 4, "ok…"),
        ("ok👍🏽!!", 5, "ok👍🏽…"),
        ("🇬🇧🇫🇷🇩🇪", 4, "🇬🇧…"),
        ("1️⃣2️⃣3️⃣", 5, "1️⃣…"),
        # A combining accent stays with its letter.
        ("cafe\u0301 au lait", 5, "caf…"),
        ("cafe\u0301 au lait", 6, "cafe\u0301…"),
    ],
)
def test_quote(text: str, limit: int, expected: str) -> None:
    assert quote(text, limit) == expected


def test_quote_keeps_a_surrogate_pair_whole() -> None:
    # Text decoded with surrogatepass holds 😀 as two code points; half of one is not kept.
    pair = "\ud83d\ude00"
    assert quote("ab" + pair + "cd", 4) == "ab…"
    assert quote("ab" + pair + "cd", 5) == "ab" + pair + "…"


def test_quote_refuses_a_negative_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        quote("hello", -1)


CLUSTER_PARTS = "ab &<>\t\u0301👩\u200d🚒🇬🇧\U0001f3fd\ud83d\ude00"


@given(st.text(alphabet=st.sampled_from(CLUSTER_PARTS)), st.integers(0, 40))
def test_quote_never_exceeds_the_limit_nor_cuts_an_entity(text: str, limit: int) -> None:
    quoted = quote(text, limit)
    escaped = escape_mrkdwn(text)
    assert len(quoted) <= limit
    assert not PARTIAL_ENTITY.search(quoted)
    if len(escaped) <= limit:
        assert quoted == escaped
    elif limit:
        assert quoted.endswith("…")
        assert escaped.startswith(quoted[:-1])
        # Kept text never ends inside a cluster: what follows it is not a mark or a joiner.
        rest = escaped[len(quoted) - 1 :]
        assert not quoted[:-1] or not rest.startswith(("\u0301", "\u200d", "\U0001f3fd"))
        kept = quoted[:-1]
        assert not kept.endswith("\u200d") or escaped[len(kept)].isspace()
        # Nor between the halves of a surrogate pair.
        assert not (
            "\ud800" <= kept[-1:] <= "\udbff" and "\udc00" <= escaped[len(kept)] <= "\udfff"
        )


# --- normalise_input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        (None, ""),
        ("", ""),
        ("   \n\t ", ""),
        ("  hello  ", "hello"),
        ("one\r\ntwo\rthree\nfour", "one\ntwo\nthree\nfour"),
        ("tab\there", "tab\there"),
        ("\x00bell\x07 esc\x1b[31m", "bell esc[31m"),
        ("del\x7f c1\x85\x9b end", "del c1 end"),
        ("\x00 padded \x1f", "padded"),
        ("cafe\u0301", "café"),  # NFC
        ("Å", "Å"),
        # Right-to-left text and its direction marks are kept as typed.
        ("שלום עולם", "שלום עולם"),
        ("مرحبا\u200f بالفريق", "مرحبا\u200f بالفريق"),
        ("mixed English עברית", "mixed English עברית"),
        ("emoji 👩‍🚒 stays", "emoji 👩‍🚒 stays"),
        # A split UTF-16 pair is rejoined; a lone half cannot be stored, so it is replaced.
        ("a\ud83d\ude00b", "a😀b"),
        ("a\ud83db", "a\ufffdb"),
    ],
)
def test_normalise_input(typed: str | None, clean: str) -> None:
    assert normalise_input(typed) == clean


@given(st.text())
def test_normalised_input_is_stable_and_storable(typed: str) -> None:
    clean = normalise_input(typed)
    assert normalise_input(clean) == clean
    clean.encode("utf-8")
    assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in clean)


def test_normalised_input_encodes_as_utf8() -> None:
    assert normalise_input("x\udc00y\ud800").encode("utf-8") == "x\ufffdy\ufffd".encode()


# --- find_client_identifiers ------------------------------------------------------------------

FLAGGED = [
    # NHS numbers passing Modulus 11
    ("NHS no 943 476 5919 seen today", [(NHS_NUMBER, "943 476 5919")]),
    ("9434765919", [(NHS_NUMBER, "9434765919")]),
    ("nhs:943-476-5919.", [(NHS_NUMBER, "943-476-5919")]),
    ("(401 023 2137)", [(NHS_NUMBER, "401 023 2137")]),
    ("9434765919 1 visit", [(NHS_NUMBER, "9434765919")]),  # a space ends the digit run
    # dates of birth, with a cue before or just after
    ("DOB 12/03/1941", [(DATE_OF_BIRTH, "12/03/1941")]),
    ("dob: 12.03.41", [(DATE_OF_BIRTH, "12.03.41")]),
    ("D.O.B.12/03/1941", [(DATE_OF_BIRTH, "12/03/1941")]),
    ("d.o.b: 1941-03-12", [(DATE_OF_BIRTH, "1941-03-12")]),
    ("born 3 March 1941", [(DATE_OF_BIRTH, "3 March 1941")]),
    ("Born on the 3rd of March 1941", [(DATE_OF_BIRTH, "3rd of March 1941")]),
    ("date of birth is 12 Mar 1941", [(DATE_OF_BIRTH, "12 Mar 1941")]),
    ("Mrs A (b. March 3rd, 1941)", [(DATE_OF_BIRTH, "March 3rd, 1941")]),
    ("12/03/1941 (DOB)", [(DATE_OF_BIRTH, "12/03/1941")]),
    ("DOB 03/31/1941", [(DATE_OF_BIRTH, "03/31/1941")]),  # written the American way
    # UK phone numbers
    ("call 07700 900123 - 3 visits", [(PHONE_NUMBER, "07700 900123")]),
    ("07700900123", [(PHONE_NUMBER, "07700900123")]),
    ("07700-900-123", [(PHONE_NUMBER, "07700-900-123")]),
    ("+44 7700 900123", [(PHONE_NUMBER, "+44 7700 900123")]),
    ("+447700900123", [(PHONE_NUMBER, "+447700900123")]),
    ("0044 7700 900123", [(PHONE_NUMBER, "0044 7700 900123")]),
    ("+44 (0)20 7946 0958", [(PHONE_NUMBER, "+44 (0)20 7946 0958")]),
    ("020 7946 0958", [(PHONE_NUMBER, "020 7946 0958")]),
    ("ring (0161) 496 0000 after 2", [(PHONE_NUMBER, "(0161) 496 0000")]),
    ("01632 960001", [(PHONE_NUMBER, "01632 960001")]),
    ("016977 3456", [(PHONE_NUMBER, "016977 3456")]),
    ("0300 123 4567", [(PHONE_NUMBER, "0300 123 4567")]),
    # full postcodes
    ("lives at SW1A 1AA now", [(POSTCODE, "SW1A 1AA")]),
    ("M1 1AE", [(POSTCODE, "M1 1AE")]),
    ("B33 8TH", [(POSTCODE, "B33 8TH")]),
    ("CR2 6XH", [(POSTCODE, "CR2 6XH")]),
    ("DN55 1PT", [(POSTCODE, "DN55 1PT")]),
    ("sw1a1aa", [(POSTCODE, "sw1a1aa")]),
    ("m1 1ae", [(POSTCODE, "m1 1ae")]),
    ("EC1A 1BB, W1A 0AX", [(POSTCODE, "EC1A 1BB"), (POSTCODE, "W1A 0AX")]),
    # one finding per stretch of text
    ("0161496008", [(NHS_NUMBER, "0161496008")]),  # a 10-digit landline shape, but it checks
    ("DOB 12/03/1941 (DOB)", [(DATE_OF_BIRTH, "12/03/1941")]),
    # several kinds at once, in the order they appear
    (
        "Mr X, DOB 12/03/1941, NHS 943 476 5919, SW1A 1AA, tel 07700 900123",
        [
            (DATE_OF_BIRTH, "12/03/1941"),
            (NHS_NUMBER, "943 476 5919"),
            (POSTCODE, "SW1A 1AA"),
            (PHONE_NUMBER, "07700 900123"),
        ],
    ),
]

NOT_FLAGGED = [
    "943 476 5918",  # fails the check digit
    "9434765918",
    "19434765919",  # inside a longer digit run
    "94347659190",
    "0000000000",  # placeholder passing the check
    "1111111111",
    "meeting on 12/03/2026",
    "born in 1941",  # a year alone is not a date of birth
    "DOB 32/13/1941",  # not a calendar date
    "tactical on 3 March 2026, then born-again planning",
    "3 visits",
    "10:00",
    "2026",
    "visits: 12, 14, 9 and 2026 total",
    "ref 12345678",
    "call 0800 123 4567",  # not a mobile or a 01/02/03 number
    "07700 90012",  # too short for a mobile
    "SW1A",
    "the SW1A office",
    "ward B3 8th floor",  # an ordinal, not a postcode
    "room a1 2nd door",
    "B12 injection",
    "cover 2026-W48",
    "",
]


@pytest.mark.parametrize(("text", "expected"), FLAGGED)
def test_finds_client_identifiers(text: str, expected: list[tuple[str, str]]) -> None:
    found = find_client_identifiers(text)
    assert [(f.kind, f.match) for f in found] == expected
    for f in found:
        assert text[f.start : f.end] == f.match


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_does_not_flag_ordinary_team_text(text: str) -> None:
    assert find_client_identifiers(text) == []


@given(st.text(alphabet=st.sampled_from("0123456789 -+()/.:ABDHMNPSTWXabdo\n")))
def test_findings_point_at_their_text_and_never_overlap(text: str) -> None:
    found = find_client_identifiers(text)
    for f in found:
        assert text[f.start : f.end] == f.match
    assert all(a.end <= b.start for a, b in pairwise(found))


def test_nhs_number_passing_the_check_is_flagged_where_a_near_miss_is_not() -> None:
    assert find_client_identifiers("943 476 5919") == [
        ClientIdentifier(NHS_NUMBER, "943 476 5919", 0, 12)
    ]
    assert find_client_identifiers("943 476 5918") == []


def test_a_check_digit_of_ten_is_never_valid() -> None:
    # 000000006: sum 6*2 = 12, 11 - 1 = 10, so no final digit can make it valid.
    assert all(find_client_identifiers(f"000000006{d}") == [] for d in "0123456789")


# --- describe_client_identifiers --------------------------------------------------------------


def test_describes_one_identifier() -> None:
    found = find_client_identifiers("NHS 943 476 5919")
    assert describe_client_identifiers(found) == (
        "This looks like it may identify a client (an NHS number: 943 476 5919). Please rewrite "
        "it without client details — retrobot keeps the team's words, not clients' records."
    )


def test_describes_three_and_counts_the_rest() -> None:
    three = [
        ClientIdentifier(DATE_OF_BIRTH, "12/03/1941", 0, 10),
        ClientIdentifier(POSTCODE, "SW1A 1AA", 11, 19),
        ClientIdentifier(PHONE_NUMBER, "07700 900123", 20, 32),
    ]
    assert (
        "(a date of birth: 12/03/1941, a postcode: SW1A 1AA and a phone number: 07700 900123)"
        in (describe_client_identifiers(three))
    )
    five = [
        *three,
        ClientIdentifier(POSTCODE, "M1 1AE", 33, 39),
        ClientIdentifier(POSTCODE, "B33 8TH", 40, 47),
    ]
    message = describe_client_identifiers(five)
    assert "07700 900123 and 2 more)" in message
    assert "M1 1AE" not in message


def test_describes_a_repeated_identifier_once() -> None:
    found = find_client_identifiers("SW1A 1AA ... SW1A 1AA")
    assert len(found) == 2
    assert describe_client_identifiers(found).count("SW1A 1AA") == 1


def test_description_stays_within_slack_limits() -> None:
    huge = [ClientIdentifier(DATE_OF_BIRTH, "x" * 5000, 0, 5000)] * 2 + [
        ClientIdentifier(POSTCODE, f"P{i} {'y' * 3000}", 0, 1) for i in range(50)
    ]
    message = describe_client_identifiers(huge)
    assert len(message) <= 2000
    assert "\n" not in message


def test_nothing_found_describes_nothing() -> None:
    assert describe_client_identifiers([]) == ""


# --- strip_slack_links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slack_text", "seen"),
    [
        ("thanks <@U123|bob>", "thanks @bob"),
        ("thanks <@U123>", "thanks @U123"),
        ("see <https://x|y>", "see y (https://x)"),
        ("see <https://example.com/a?b=1&amp;c=2>", "see https://example.com/a?b=1&c=2"),
        ("<https://example.com|example.com>", "example.com"),
        ("<mailto:bob@example.com|bob@example.com>", "bob@example.com"),
        ("<https://x|fish &amp; chips>", "fish & chips (https://x)"),
        ("in <#C1|general>", "in #general"),
        ("in <#C1>", "in #C1"),
        ("in <#C1|>", "in #C1"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!subteam^S123|@nurses> please", "@nurses please"),
        ("<!subteam^S123>", "@S123"),
        ("on <!date^1392734382^{date_pretty}|Feb 18, 2014>", "on Feb 18, 2014"),
        ("fish &amp; chips", "fish & chips"),
        ("&gt; quoted &lt;tag&gt;", "> quoted <tag>"),
        ("&amp;lt; stays typed", "&lt; stays typed"),
        ("plain text", "plain text"),
        ("", ""),
    ],
)
def test_strip_slack_links(slack_text: str, seen: str) -> None:
    assert strip_slack_links(slack_text) == seen
