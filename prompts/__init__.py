"""Every word a person reads, as Jinja2 templates, and the one renderer that fills them in.

Each template file holds the macros of one surface (``tension.j2``, ``home.j2`` ...); a builder asks
for ``renderer.say("tension.confirmation", tension=...)``. Anything interpolated is escaped for
Slack's mrkdwn (``&``, ``<``, ``>``) unless a filter marked it as mrkdwn on purpose (a mention of
a validated user id), so a person's text can never ``@channel`` a team or forge a link.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
import re
import threading
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    pass_context,
)
from jinja2.bccache import Bucket
from markupsafe import Markup

from bot.core.people import is_former_member
from bot.core.text import escape_mrkdwn, quote

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
# How a person retrobot has forgotten is shown wherever their id stays in the team's record.
FORMER_MEMBER = "a former member"


class Mrkdwn(str):
    """Text that is already safe mrkdwn (built here from validated ids); never escaped again."""


def _finalize(value: Any) -> str:
    # ``{{ other_macro(...)|safe }}`` marks another macro's output, already rendered (and
    # escaped) as mrkdwn, so composing macros never escapes a mention or a link twice.
    if isinstance(value, Mrkdwn | Markup):
        return value
    if value is None:
        return ""
    return escape_mrkdwn(str(value))


def mention(user_id: str | None) -> str:
    """Mention a Slack user by id; anything that is not a user id is shown as escaped text.

    A channel id stands for the team whose channel it is: a retrospective's anonymous
    improvements are raised by the team (bot.retros), and read "— #team-channel". A person
    retrobot has forgotten reads "a former member".
    """
    if is_former_member(user_id):
        return Mrkdwn(FORMER_MEMBER)
    if user_id and _USER_ID.match(user_id):
        return Mrkdwn(f"<@{user_id}>")
    if user_id and _CHANNEL_ID.match(user_id):
        return Mrkdwn(f"<#{user_id}>")
    return Mrkdwn(escape_mrkdwn(user_id or "someone"))


def channel_link(channel_id: str | None) -> str:
    """Link a channel by id, or show the escaped text when it is not a channel id."""
    if channel_id and _CHANNEL_ID.match(channel_id):
        return Mrkdwn(f"<#{channel_id}>")
    return Mrkdwn(escape_mrkdwn(channel_id or ""))


def quoted(text: str | None, limit: int = 3000) -> str:
    """A person's text, escaped and trimmed to ``limit`` characters."""
    return Mrkdwn(quote(text or "", limit))


def link(url: str | None, label: str) -> str:
    """An https link with an escaped label; anything else becomes plain escaped text."""
    if url and url.startswith("https://") and not re.search(r"[\s<>|]", url):
        return Mrkdwn(f"<{url}|{escape_mrkdwn(label)}>")
    return Mrkdwn(escape_mrkdwn(label))


def local_time(moment: datetime | None, zone: tzinfo, fmt: str = "%A %-d %B, %H:%M") -> str:
    """A UTC moment shown in a person's or team's time zone."""
    if moment is None:
        return ""
    return moment.astimezone(zone).strftime(fmt)


def day(value: date | datetime | None, fmt: str = "%a %-d %b") -> str:
    """A date, short and readable (``Tue 1 Dec``)."""
    return value.strftime(fmt) if value else ""


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 tension``, ``3 tensions``."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def _plain_mention(user_id: str | None) -> str:
    """``@U123`` in plain text; a channel id (a team's own tension) reads ``#C123``; a former
    member as such."""
    if is_former_member(user_id):
        return FORMER_MEMBER
    if user_id and _CHANNEL_ID.match(user_id) and not _USER_ID.match(user_id):
        return f"#{user_id}"
    return f"@{user_id or 'someone'}"


def _plain_finalize(value: Any) -> str:
    return "" if value is None else str(value)


def _at_run_time(function: Any) -> Any:
    """``function`` called when a template runs, never folded into its code when it compiles.

    Jinja calls a finalize function or a filter on constants while it compiles (``{{ "a&b" }}``
    becomes ``a&amp;b`` in the code), unless it takes the render context. Given one, the two
    flavours' functions never reach the compiled code, so both compile a template to the same
    code, and compile it once (:class:`_CompiledOnce`).
    """

    @pass_context
    def call(_context: Any, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return call


class _CompiledOnce(BytecodeCache):
    """The compiled code of each template, kept in memory and shared by the environments that
    compile alike, and on disk for the next process.

    Compiling the templates is most of the cost of a first render (about 20 ms a template), and
    the mrkdwn and plain environments compile the same source with the same settings to the
    same code (tests/prompts prove it for every template): in memory, keyed by name and source
    checksum, each file is compiled once per process. On disk (Jinja's own cache directory, one
    per user, readable by nobody else) each is compiled once per machine, as Python keeps its
    bytecode: every worker, scheduler and command started later loads the code instead. A
    cached file is used only when its source checksum, Jinja's format and Python's version all
    match; a cache that cannot be written is no cache, never an error.
    """

    def __init__(self, kind: str, disk: BytecodeCache | None) -> None:
        # The environment's settings are part of the key: the report's autoescaping HTML
        # compiles the same file to other code, and so may another Jinja.
        self._kind = f"retrobot-{kind}-jinja-{jinja2.__version__}"
        self._code: dict[tuple[str, str], Any] = {}
        self._disk = disk

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{self._kind}|{name}", filename)

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get((bucket.key, bucket.checksum))
        if code is None and self._disk is not None:
            try:
                self._disk.load_bytecode(bucket)  # sets the code only when all of it matches
            except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
                bucket.reset()  # a file cut short or damaged: compiled again, and replaced
            code = bucket.code
            if code is not None:
                self._code[(bucket.key, bucket.checksum)] = code
        if code is not None:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[(bucket.key, bucket.checksum)] = bucket.code
        if self._disk is not None:
            with contextlib.suppress(OSError):  # a new file, renamed into place when whole
                self._disk.dump_bytecode(bucket)


def _disk_cache(directory: Path | None) -> BytecodeCache | None:
    """Compiled templates on disk: in ``directory``, or Jinja's per-user cache directory; None
    where there is none to be had (no safe temporary directory, a read-only one)."""
    try:
        return FileSystemBytecodeCache(
            str(directory) if directory is not None else None, "retrobot-%s.cache"
        )
    except (OSError, RuntimeError):
        return None


class Renderer:
    """Renders the macros in ``prompts/templates``; one shared, thread-safe instance per app.

    ``say`` renders mrkdwn (people's text escaped); ``plain`` renders the same macros for
    plain_text fields and the terminal, where nothing is escaped and mentions read ``@U123``.
    The two differ only in functions called as the macros run, so a template is compiled once
    for both.
    """

    def __init__(self, *, code_cache: Path | None = None) -> None:
        """``code_cache``: where compiled templates are kept between processes (Jinja's
        per-user cache directory unless given; see :class:`_CompiledOnce`)."""
        self._code_cache = code_cache
        disk = _disk_cache(code_cache)
        compiled = _CompiledOnce("text", disk)
        self._envs = {
            "mrkdwn": self._environment(
                compiled, _finalize, mention=mention, channel=channel_link, quoted=quoted, link=link
            ),
            "plain": self._environment(
                compiled,
                _plain_finalize,
                mention=_plain_mention,
                channel=lambda channel_id: f"#{channel_id or ''}",
                quoted=lambda text, limit=3000: _trim_plain(text or "", limit),
                link=lambda url, label: f"{label} ({url})" if url else label,
            ),
        }
        # The organisation report (issue 20).
        self._envs["html"] = _html_environment(_CompiledOnce("html", disk))
        self._modules: dict[tuple[str, str], Any] = {}
        # A macro called with no arguments (a label, a title) always renders the same words:
        # rendered once, not on every request that builds a modal.
        self._fixed: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        """Sent to another process (a chart helper, bot.core.charts) as that process's own
        renderer: it keeps nothing of the person's, only compiled templates and words."""
        return (shared_renderer, (self._code_cache,))

    @staticmethod
    def _environment(compiled: BytecodeCache, finalize: Any, **filters: Any) -> Environment:
        """One flavour: its own finalize and filters, called at run time (see _at_run_time)."""
        env = Environment(
            loader=PackageLoader("prompts", "templates"),
            undefined=StrictUndefined,
            finalize=_at_run_time(finalize),
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            bytecode_cache=compiled,
        )
        env.filters.update(
            local_time=local_time,
            day=day,
            **{name: _at_run_time(function) for name, function in filters.items()},
        )
        env.globals.update(plural=plural, mention=filters["mention"])
        return env

    def _render(self, flavour: str, key: str, context: dict[str, Any]) -> str:
        if not context:
            fixed = self._fixed.get((flavour, key))
            if fixed is None:
                fixed = self._fixed[(flavour, key)] = self._render_macro(flavour, key, context)
            return fixed
        return self._render_macro(flavour, key, context)

    def _render_macro(self, flavour: str, key: str, context: dict[str, Any]) -> str:
        file, _, macro = key.partition(".")
        module = self._modules.get((flavour, file)) or self._load(flavour, file)
        return str(getattr(module, macro)(**context)).strip()

    def _load(self, flavour: str, file: str) -> Any:
        """Compile and load one template file, one thread at a time for that file only: a
        render of a template already loaded never waits behind another file compiling (a cold
        Home tab compiles a dozen, and a modal opened meanwhile has 3 s to use its trigger)."""
        with self._lock:
            loading = self._loading.setdefault(file, threading.Lock())
        with loading:
            module = self._modules.get((flavour, file))
            if module is None:
                module = self._envs[flavour].get_template(f"{file}.j2").make_module()
                self._modules[(flavour, file)] = module
        return module

    def say(self, key: str, /, **context: Any) -> str:
        """Render macro ``key`` (``"file.macro"``) as mrkdwn; whitespace trimmed."""
        return self._render("mrkdwn", key, context)

    def plain(self, key: str, /, **context: Any) -> str:
        """Render macro ``key`` as plain text (modal labels, buttons, the terminal)."""
        return self._render("plain", key, context)

    def html(self, key: str, /, **context: Any) -> str:
        """Render macro ``key`` as HTML (the organisation report): everything interpolated is
        HTML-escaped unless it is :class:`~markupsafe.Markup` (an inline chart)."""
        return self._render("html", key, context)


def _trim_plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- The organisation report (issue 20): HTML, autoescaped ------------------------------------


def _number(value: float | None, digits: int = 0) -> str:
    """``12,345`` or ``3.2``: a figure as the report prints it (nothing for None)."""
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def _percent(value: float | None) -> str:
    """A share (0 to 1) as a whole percentage, ``81%``."""
    return "" if value is None else f"{value * 100:.0f}%"


def _html_environment(compiled: BytecodeCache) -> Environment:
    """The report's environment: HTML autoescape on, None printed as nothing."""
    env = Environment(
        loader=PackageLoader("prompts", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        finalize=lambda value: "" if value is None else value,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=compiled,
    )
    env.filters.update(day=day, number=_number, percent=_percent)
    env.globals.update(plural=plural)
    return env


@functools.cache
def shared_renderer(code_cache: Path | None = None) -> Renderer:
    """One renderer for the whole process: what a renderer sent from another process becomes."""
    return Renderer(code_cache=code_cache)
