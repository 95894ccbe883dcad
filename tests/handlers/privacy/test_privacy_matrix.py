"""Who sees what (issue 8's privacy matrix): every kind of data, every viewer, every surface.

One week of North's and South's life is built through the real app (signed requests dispatched
in-process, the Slack stand-in), once per database: check-ins answered from their DMs, tensions
raised with `/tension`, feedback given with `/feedback`, the agenda posted with `/tactical`; then
the scheduler's work (the team summaries, the coach digests) and `retrobot export`. Then everything
each person can see is gathered, surface by surface, and :data:`MATRIX` below, the spec, says
for each datum which viewers find its marker there. The journey runs once per database; each
cell of the matrix is its own test.

Surfaces, for one viewer:

- **App Home**: the Home tab as published for them when they open it at the end;
- **DMs**: every message the bot posted in their DM, as posted and as later rewritten (a coach's
  digest is a DM too);
- **channel**: what the bot posted in the team channels they are in (the agenda and its thread,
  shared appreciations), before the summaries; coaches are not in the teams' channels here;
- **summary**: the weekly team summaries (headline and thread) posted in their channels;
- **digests**: what they can read of coach digests: `/retro digest` for anyone, and for a
  coach also the digest DMs they were sent.

Exports are no viewer's screen: `retrobot export --team ID` is run by whoever keeps the
organisation's data, and holds one team's data only; :data:`EXPORTED_WITH` says in which team's
export each datum is.

Markers alone cannot see an answer given away by arithmetic: the team reads each shared mood in
the agenda, so a team mood over every answer, with one kept from the team, would give that one
away. The last test reads the figures as a teammate does and checks that none can.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest

from bot.app import create_app
from bot.checkins import usecases as checkins
from bot.core import ids
from bot.core.config import parse_config
from bot.core.settings import Settings
from bot.data.export import export_team
from bot.digests.usecases import send_coach_digest, send_team_summary
from bot.services import Services, open_services
from bot.slack.pacing import Pace
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack, Message
from storage.models import FeedbackKind
from tests.conftest import (
    ANA,
    BEN,
    BOT_TOKEN,
    CARA,
    COACH,
    DEV,
    NORTH_CHANNEL,
    SAM,
    SHARED,
    SIGNING_SECRET,
    SOUTH_CHANNEL,
    SOUTH_COACH,
    TEST_APP_YAML,
    fresh_database,
    organisation_slack,
)
from tests.handlers.checkins.test_checkin import METRIC, click_for_view, submit_and_settle
from tests.handlers.feedback.test_feedback import given_and_delivered, home_of, shown
from tests.handlers.inprocess import in_process_sender
from tests.handlers.tensions.test_tension import open_tension_modal
from tests.journeys.tactical_steps import tactical
from tests.journeys.test_digests import retro

# The week: North's round opens on Monday 23 November 2026 at 10:00 London (GMT), for the
# meeting on Tuesday 24 November; the summaries and digests of that week go out a week later.
ROUND_OPENS = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WEEK = "2026-W48"
DIGESTS_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

# Distinctive words, one per datum, untouched by escaping, found nowhere else.
SHARED_NOTE, SHARED_STORY = "Kingfisher mornings suit me", "Bluebell walk with Mrs A"
PRIVATE_NOTE, PRIVATE_STORY = "Heron tired after nights", "Foxglove garden visit"
PUBLIC_TENSION = "Wagtail rota gaps on Sundays"
PRIVATE_TENSION = "Nightjar: I feel unsafe on late visits alone"
SUGGESTION = "Plover: pause before you hand over the phone"
APPRECIATION = "Linnet: your night visits made Mr T feel safe"
SHARED_APPRECIATION = "Skylark: you kept the clinic calm"
ANONYMOUS_APPRECIATION = "Curlew: you always make time for new starters"

# The moods: the three North answers shared with the team average 4.3, and so does the team's
# mood in the summary and the digests: Ben's 1, kept to himself, must not count there, or the
# team could subtract the shared moods it reads in the agenda from 3.5 over 4 answers and find
# his 1. South has two answers (2 and 3): fewer than 3, so its 2.5 is shown nowhere.
NORTH_MOODS = {ANA: 5, BEN: 1, CARA: 4, DEV: 4}
NORTH_VISITS = {ANA: 10, BEN: 7, CARA: 10, DEV: 10}  # the week's client visits: 30 shared
SOUTH_MOODS = {SAM: 2, SHARED: 3}

# Viewers: the author (and, for feedback, the receiver), a teammate, a member of another team,
# the coach of the team and the coach of another team.
AUTHOR, RECEIVER, TEAMMATE, OTHER_TEAM, COACH_OF_TEAM, OTHER_COACH = "ARTOCX"
ROLE_NAMES = {
    AUTHOR: "author",
    RECEIVER: "receiver",
    TEAMMATE: "teammate",
    OTHER_TEAM: "other-team",
    COACH_OF_TEAM: "coach",
    OTHER_COACH: "other-coach",
}
VIEWERS_OF_TEAM = {
    "north": {TEAMMATE: DEV, OTHER_TEAM: SAM, COACH_OF_TEAM: COACH, OTHER_COACH: SOUTH_COACH},
    "south": {TEAMMATE: SHARED, OTHER_TEAM: DEV, COACH_OF_TEAM: SOUTH_COACH, OTHER_COACH: COACH},
}
SURFACES = ("App Home", "DMs", "channel", "summary", "digests")


@dataclass(frozen=True)
class Datum:
    """One kind of data: whose it is, and the patterns that show it wherever it is seen."""

    team: str
    author: str | None  # None: nobody wrote it (an aggregate, a digest) or nobody may know
    receiver: str | None
    shows: tuple[str, ...]  # regular expressions; any one found means the datum is seen
    exported_as: str  # a regular expression matched against each row of an export

    def viewer(self, role: str) -> str | None:
        if role == AUTHOR:
            return self.author
        if role == RECEIVER:
            return self.receiver
        return VIEWERS_OF_TEAM[self.team][role]

    def seen_in(self, text: str) -> bool:
        return any(re.search(pattern, text) for pattern in self.shows)


def words(*texts: str) -> tuple[str, ...]:
    return tuple(re.escape(text) for text in texts)


DATA: dict[str, Datum] = {
    "check-in shared with the team": Datum(
        "north", ANA, None, words(SHARED_NOTE, SHARED_STORY), re.escape(SHARED_NOTE)
    ),
    "check-in not shared": Datum(
        "north", BEN, None, words(PRIVATE_NOTE, PRIVATE_STORY), re.escape(PRIVATE_NOTE)
    ),
    # Ben's mood (1, the only 1): in an export as his answer's value.
    "a person's mood": Datum(
        "north",
        BEN,
        None,
        (r"(?<![\d.])1/5", r"(?<![\d.])1 out of 5"),
        rf'^(?=.*"user_id": "{BEN}")(?=.*"mood": 1[,}}]).*"round_id"',
    ),
    # The team's mood over its 3 shared answers: exported in the summary and digest sent.
    "team mood over 3+ answers": Datum(
        "north", None, None, (r"4\.3/5", r"4\.3 out of 5"), r"4\.3/5|4\.3 out of 5"
    ),
    "team mood under 3 answers": Datum(
        "south", None, None, (r"2\.5/5", r"2\.5 out of 5"), r"2\.5/5|2\.5 out of 5"
    ),
    "tension": Datum("north", ANA, None, words(PUBLIC_TENSION), re.escape(PUBLIC_TENSION)),
    "private tension": Datum(
        "north", ANA, None, words(PRIVATE_TENSION), re.escape(PRIVATE_TENSION)
    ),
    "suggestion": Datum("north", ANA, BEN, words(SUGGESTION), re.escape(SUGGESTION)),
    "appreciation": Datum("north", ANA, BEN, words(APPRECIATION), re.escape(APPRECIATION)),
    "appreciation shared with the team": Datum(
        "north", ANA, BEN, words(SHARED_APPRECIATION), re.escape(SHARED_APPRECIATION)
    ),
    "anonymous appreciation, shared": Datum(
        "north", SHARED, BEN, words(ANONYMOUS_APPRECIATION), re.escape(ANONYMOUS_APPRECIATION)
    ),
    # Who gave it: Shay (U0SHARED), who does nothing else anyone could see this week.
    "who gave the anonymous one": Datum(
        "north",
        None,
        BEN,
        (SHARED, "Shay"),
        rf"^(?=.*{re.escape(ANONYMOUS_APPRECIATION)}).*{SHARED}",
    ),
    # North's coach digest: its private-tension signal is in no other message.
    "coach digest": Datum(
        "north",
        None,
        None,
        words("1 private tension was raised with the coaches"),
        "1 private tension was raised with the coaches",
    ),
}

# The spec. For each datum and surface, who sees it: A author, R receiver, T teammate,
# O member of another team, C coach of the team, X coach of another team ("" nobody).
# A datum without an author (an aggregate; an anonymous giver) has no "A" to check.
#                                          App Home  DMs   channel summary digests
MATRIX: dict[str, tuple[str, str, str, str, str]] = {
    "check-in shared with the team":       ("",      "",   "AT",   "AT",   ""),
    "check-in not shared":                 ("",      "",   "",     "",     ""),
    "a person's mood":                     ("A",     "",   "",     "",     ""),
    "team mood over 3+ answers":           ("",      "C",  "T",    "T",    "TC"),
    "team mood under 3 answers":           ("",      "",   "",     "",     ""),
    "tension":                             ("AT",    "A",  "AT",   "",     ""),
    "private tension":                     ("AC",    "AC", "",     "",     ""),
    "suggestion":                          ("R",     "R",  "",     "",     ""),
    "appreciation":                        ("R",     "R",  "",     "",     ""),
    "appreciation shared with the team":   ("R",     "R",  "ART",  "",     ""),
    "anonymous appreciation, shared":      ("R",     "R",  "ART",  "",     ""),
    "who gave the anonymous one":          ("",      "",   "",     "",     ""),
    "coach digest":                        ("",      "C",  "",     "",     "TC"),
}  # fmt: skip

# In which team's export each datum is (None: in none).
EXPORTED_WITH: dict[str, str | None] = {
    "check-in shared with the team": "north",
    "check-in not shared": "north",
    "a person's mood": "north",
    "team mood over 3+ answers": "north",  # as the summary and digest sent, word for word
    "team mood under 3 answers": None,
    "tension": "north",
    "private tension": "north",
    "suggestion": "north",
    "appreciation": "north",
    "appreciation shared with the team": "north",
    "anonymous appreciation, shared": "north",
    "who gave the anonymous one": None,
    "coach digest": "north",
}

PEOPLE = (ANA, BEN, CARA, DEV, SHARED, SAM, COACH, SOUTH_COACH)
CHANNEL_MEMBERS = {
    NORTH_CHANNEL: {ANA, BEN, CARA, DEV, SHARED},
    SOUTH_CHANNEL: {SHARED, SAM},
}
HOME_CHANNEL = {SAM: SOUTH_CHANNEL, SOUTH_COACH: SOUTH_CHANNEL}  # where they run /retro
QUIET = 0.2  # seconds without a Slack call after which the app's listeners are done


@dataclass
class World:
    """Everything each person can see, per surface, and each team's export (one row a line)."""

    seen: dict[str, dict[str, str]] = field(default_factory=dict)
    exports: dict[str, list[str]] = field(default_factory=dict)


# --- the week, through the real app ------------------------------------------------------------


def check_in(
    slack: SlackSender, fake: FakeSlack, user: str, team_name: str, mood: int, **typed: object
) -> None:
    """Answer the check-in DM of ``team_name`` from its Check in button."""
    [dm] = [m for m in fake.dms(user) if team_name in m.all_text]
    view = click_for_view(slack, fake, dm, ids.CHECKIN_OPEN, user)
    submit_and_settle(slack, fake, view, user, {ids.CHECKIN_MOOD_ACTION: str(mood), **typed})


def raise_tension(slack: SlackSender, fake: FakeSlack, text: str, *, private: bool) -> None:
    """Ana raises a tension with /tension; wait for her confirmation."""
    before = len(fake.dms(ANA))
    view = open_tension_modal(slack, fake, ANA)
    values: dict[str, object] = {ids.TENSION_TEXT_ACTION: text}
    if private:
        values[ids.TENSION_PRIVATE_ACTION] = [ids.TENSION_PRIVATE_VALUE]
    answer = slack.submit_view(view, user_id=ANA, values=values)
    assert answer.status == 200 and not answer.body.strip(), answer.body
    fake.wait_for(lambda: len(fake.dms(ANA)) > before)


def live_the_week(services: Services, fake: FakeSlack, slack: SlackSender) -> None:
    """Check-ins, tensions, feedback and the agenda, as people and the scheduler make them."""
    services.dm_pace = Pace(10_000, 1_000)
    for team_id in ("north", "south"):
        assert checkins.send_round(services, team_id=team_id).asked
    north, south = "North Neighbourhood Team", "South Neighbourhood Team"
    keep_to_myself: dict[str, object] = {ids.CHECKIN_SHARE_ACTION: []}
    check_in(
        slack,
        fake,
        ANA,
        north,
        NORTH_MOODS[ANA],
        **{ids.CHECKIN_NOTE_ACTION: SHARED_NOTE, ids.CHECKIN_STORY_ACTION: SHARED_STORY},
        **{METRIC: str(NORTH_VISITS[ANA])},
    )
    check_in(
        slack,
        fake,
        BEN,
        north,
        NORTH_MOODS[BEN],
        **{ids.CHECKIN_NOTE_ACTION: PRIVATE_NOTE, ids.CHECKIN_STORY_ACTION: PRIVATE_STORY},
        **{METRIC: str(NORTH_VISITS[BEN])},
        **keep_to_myself,
    )
    for person in (CARA, DEV):
        visits = {METRIC: str(NORTH_VISITS[person])}
        check_in(slack, fake, person, north, NORTH_MOODS[person], **visits)
    check_in(slack, fake, SAM, south, SOUTH_MOODS[SAM])
    check_in(slack, fake, SHARED, south, SOUTH_MOODS[SHARED], **keep_to_myself)

    raise_tension(slack, fake, PUBLIC_TENSION, private=False)
    raise_tension(slack, fake, PRIVATE_TENSION, private=True)
    fake.wait_for(lambda: fake.dms(COACH))

    suggestion = {ids.FEEDBACK_KIND_ACTION: FeedbackKind.SUGGESTION}
    share = {ids.FEEDBACK_SHARE_ACTION: [ids.FEEDBACK_SHARE_VALUE]}
    anonymous = {ids.FEEDBACK_ANONYMOUS_ACTION: [ids.FEEDBACK_ANONYMOUS_VALUE]}
    given_and_delivered(slack, fake, ANA, [BEN], SUGGESTION, **suggestion)
    given_and_delivered(slack, fake, ANA, [BEN], APPRECIATION)
    given_and_delivered(slack, fake, ANA, [BEN], SHARED_APPRECIATION, **share)
    given_and_delivered(slack, fake, SHARED, [BEN], ANONYMOUS_APPRECIATION, **share, **anonymous)
    fake.wait_for(lambda: len(fake.messages(NORTH_CHANNEL)) == 2)

    assert "Posted" in tactical(slack, fake, CARA).all_text


def versions(fake: FakeSlack, message: Message) -> str:
    """A message as posted and as every later rewrite of it, raw (mentions as <@U…>)."""
    rewrites = [m for m in fake.updates(message.channel) if m.ts == message.ts]
    return "\n".join(shown(m) for m in [message, *rewrites])


def channel_posts(fake: FakeSlack, user: str, start: dict[str, int], end: dict[str, int]) -> str:
    """What the bot posted in the channels ``user`` is in, between two counts of posts."""
    return "\n".join(
        versions(fake, message)
        for channel, members in CHANNEL_MEMBERS.items()
        if user in members
        for message in fake.messages(channel)[start[channel] : end[channel]]
    )


def gather(services: Services, fake: FakeSlack, slack: SlackSender) -> World:
    """Send the week's summaries and digests, then collect what each person sees, and export."""
    world = World()
    fake.wait_quiet(QUIET)
    before_summaries = {channel: len(fake.messages(channel)) for channel in CHANNEL_MEMBERS}
    for team_id in ("north", "south"):
        assert send_team_summary(services, team_id=team_id, week=WEEK, now=DIGESTS_AT).ok
    after_summaries = {channel: len(fake.messages(channel)) for channel in CHANNEL_MEMBERS}
    before_digests = {coach: len(fake.dms(coach)) for coach in (COACH, SOUTH_COACH)}
    for coach in (COACH, SOUTH_COACH):
        assert send_coach_digest(services, coach_id=coach, week=WEEK, now=DIGESTS_AT).ok
    start = dict.fromkeys(CHANNEL_MEMBERS, 0)

    for person in PEOPLE:
        digest_dms = fake.dms(person)[before_digests.get(person, len(fake.dms(person))) :]
        asked = retro(slack, fake, person, "digest", HOME_CHANNEL.get(person, NORTH_CHANNEL))
        world.seen[person] = {
            "App Home": home_of(slack, fake, person),
            "DMs": "\n".join(versions(fake, m) for m in fake.dms(person)),
            "channel": channel_posts(fake, person, start, before_summaries),
            "summary": channel_posts(fake, person, before_summaries, after_summaries),
            "digests": "\n".join([asked, *(shown(m) for m in digest_dms)]),
        }

    for team_id in ("north", "south"):
        out = BytesIO()
        with services.session() as session:
            export_team(session, team_id=team_id, export_format="json", out=out, now=DIGESTS_AT)
        document = out.getvalue().decode()
        assert json.loads(document)["team"] == team_id
        world.exports[team_id] = document.splitlines()
    fake.wait_quiet(QUIET)
    return world


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The week, lived once per database; what everyone sees of it, and the teams' exports.

    The usual fixtures (``services``, ``bolt_app``, ``slack``) are made afresh for every
    test; this module builds the same from the same parts once, so its hundreds of cells
    cost one journey per database.
    """
    directory: Path = tmp_path_factory.mktemp("privacy")
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database(request.param, directory))
        fake = stack.enter_context(organisation_slack())
        config = parse_config(TEST_APP_YAML, source="test-app.yaml")
        config.organisation.anonymous_feedback = True
        settings = Settings(
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            slack_api_url=fake.url,
            database_url=url,
        )
        services = open_services(settings, config)
        stack.callback(services.engine.dispose)
        services.clock = lambda: ROUND_OPENS
        app = create_app(services)
        stack.callback(app.listener_runner.listener_executor.shutdown, wait=True)
        slack = in_process_sender(app, fake, SIGNING_SECRET)

        live_the_week(services, fake, slack)
        world = gather(services, fake, slack)
        assert fake.limit_violations == [], "a message or view broke Slack's Block Kit limits"
        yield world


# --- the matrix, one test per cell -------------------------------------------------------------


def cells() -> Iterator[object]:
    for name, row in MATRIX.items():
        datum = DATA[name]
        for surface, seen_by in zip(SURFACES, row, strict=True):
            for role, role_name in ROLE_NAMES.items():
                if datum.viewer(role) is None:
                    continue
                yield pytest.param(
                    name,
                    surface,
                    role,
                    role in seen_by,
                    id=f"{name}|{surface}|{role_name}".replace(" ", "-"),
                )


@pytest.mark.parametrize(("name", "surface", "role", "visible"), list(cells()))
def test_who_sees_what(world: World, name: str, surface: str, role: str, visible: bool) -> None:
    datum = DATA[name]
    viewer = datum.viewer(role)
    assert viewer is not None
    text = world.seen[viewer][surface]
    assert datum.seen_in(text) is visible, (
        f"{name} {'should' if visible else 'must not'} be seen by the {ROLE_NAMES[role]} "
        f"({viewer}) in {surface}"
    )


@pytest.mark.parametrize("name", list(EXPORTED_WITH))
def test_each_export_holds_its_own_teams_data_only(world: World, name: str) -> None:
    datum = DATA[name]
    for team_id, rows in world.exports.items():
        found = any(re.search(datum.exported_as, row) for row in rows)
        assert found is (EXPORTED_WITH[name] == team_id), f"{name} in {team_id}'s export: {found}"


def test_the_matrix_covers_every_datum_and_each_datum_is_seen_somewhere(world: World) -> None:
    """No cell can pass for want of data: every datum the matrix says is seen, is seen."""
    assert set(MATRIX) == set(DATA) == set(EXPORTED_WITH)
    everything = "\n".join(text for surfaces in world.seen.values() for text in surfaces.values())
    for name, row in MATRIX.items():
        assert DATA[name].seen_in(everything) is any(row), name


def test_nobody_can_work_out_an_answer_kept_from_the_team(world: World) -> None:
    """The agenda shows the team each shared answer; the summary and the digests (which the team
    reads too) give the week's figures. Had they counted Ben's answer, the one kept from the
    team, anyone could subtract the shared answers from them and read his: a figure counts
    answers kept from the team only when there are none or at least 3 of them."""
    seen = world.seen[DEV]
    agenda = re.search(r"(\d+) shared answers, average mood (\d\.\d)/5", seen["channel"])
    assert agenda is not None and agenda.groups() == ("3", "4.3")
    assert "Client visits: *30* visits in total" in seen["channel"]
    for surface in ("summary", "digests"):
        mood = re.search(r"Mood (\d\.\d) out of 5, over (\d+) answers", seen[surface])
        assert mood is not None, surface
        kept = int(mood[2]) - int(agenda[1])
        assert kept == 0 or kept >= 3, f"{surface}: {mood[0]} counts {kept} kept answer(s)"
        assert "Client visits: 30 visits this week" in seen[surface], surface
