"""Load and validate app.yaml, reporting every problem as ``file:line: key: what is wrong``.

The file is composed into YAML nodes (so each key and value keeps its line), turned into plain
values, ``defaults:`` is merged into each team, and the result is validated by pydantic models.
Each pydantic error's location is mapped back to the node it came from, so an admin reads
``app.yaml:14: teams[0].timezone: 'Europe/Londn' is not an IANA time zone (...)``, never a
traceback.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.config.models import _NEEDS_PEOPLE, _NO_TEAMS, AppConfig, _describe
from bot.core.errors import ConfigError

_TOP_KEYS = ("organisation", "defaults", "teams", "circles")


# --- From YAML text to located values ---------------------------------------------------------


@dataclass
class _Origin:
    """Where a value was written: its dotted key path as the admin sees it, and its line."""

    label: str
    line: int  # the line of the value's key (or of its "-" for a list item)
    scalar: bool
    children: dict[str | int, _Origin] = field(default_factory=dict)


class _Problems:
    """The problems found so far, each already formatted as one line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[tuple[int, str]] = []

    def add(self, line: int, label: str, message: str) -> None:
        """Record one problem at a line and key path."""
        where = f"{self.source}:{line}: " + (f"{label}: " if label else "")
        self.found.append((line, where + message))

    def lines(self) -> list[str]:
        """The distinct problems in file order (defaults shared by teams are reported once)."""
        seen: dict[str, int] = {}
        for line, text in self.found:
            seen.setdefault(text, line)
        return sorted(seen, key=seen.__getitem__)


# libyaml composes a thousand-team file about five times faster than pure Python.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD_SCALARS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")
}
_MAX_NODES = 1_000_000  # aliases can multiply a small file; stop long before memory runs out


class _Reader:
    """Turn composed YAML nodes into plain values plus an _Origin tree, noting problems."""

    def __init__(self, loader: Any, problems: _Problems) -> None:
        self.loader = loader
        self.problems = problems
        self.count = 0

    def read(
        self, node: yaml.Node, label: str, line: int, ancestors: frozenset[int] = frozenset()
    ) -> tuple[Any, _Origin]:
        """Read a node written at ``line`` under the key path ``label``."""
        self._count_one(line)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, label, line), _Origin(label, line, scalar=True)
        origin = _Origin(label, line, scalar=False)
        if id(node) in ancestors:
            self.problems.add(line, label, "a YAML alias here refers to itself")
            return None, origin
        ancestors = ancestors | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node, origin, ancestors), origin
        return self._mapping(node, origin, ancestors), origin

    def _count_one(self, line: int) -> None:
        """Stop once the file has expanded to more values than any real app.yaml holds."""
        self.count += 1
        if self.count > _MAX_NODES:
            raise ConfigError(
                [
                    f"{self.problems.source}:{line}: the file expands to too many values "
                    "(check its YAML aliases)"
                ]
            )

    def _sequence(
        self, node: yaml.SequenceNode, origin: _Origin, ancestors: frozenset[int]
    ) -> list[Any]:
        """A list's items, each with its origin recorded under its index."""
        if node.tag != "tag:yaml.org,2002:seq":
            self.problems.add(
                origin.line, origin.label, f"YAML tag {node.tag} is not used in app.yaml"
            )
        items = []
        for index, item in enumerate(node.value):
            value, origin.children[index] = self.read(
                item, f"{origin.label}[{index}]", item.start_mark.line + 1, ancestors
            )
            items.append(value)
        return items

    def _mapping(
        self, node: yaml.MappingNode, origin: _Origin, ancestors: frozenset[int]
    ) -> dict[str, Any]:
        """A mapping's values by key, each with its origin; odd or repeated keys are problems."""
        label = origin.label
        if node.tag != "tag:yaml.org,2002:map":
            self.problems.add(origin.line, label, f"YAML tag {node.tag} is not used in app.yaml")
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, label)
            if key is None:
                continue
            key_line = key_node.start_mark.line + 1
            key_label = f"{label}.{key}" if label else key
            if key in mapping:
                first = origin.children[key].line
                self.problems.add(
                    key_line, key_label, f"duplicate key {key!r} (first set on line {first})"
                )
                continue
            mapping[key], origin.children[key] = self.read(
                value_node, key_label, key_line, ancestors
            )
        return mapping

    def _key(self, key_node: yaml.Node, label: str) -> str | None:
        """A mapping key's word, or None (and a problem noted) when it cannot be one."""
        key_line = key_node.start_mark.line + 1
        if key_node.tag == "tag:yaml.org,2002:merge":
            self.problems.add(
                key_line, label, "YAML merge keys (<<) are not supported; use defaults: instead"
            )
            return None
        if not isinstance(key_node, yaml.ScalarNode):
            self.problems.add(key_line, label, "a key must be a plain word, not a list or mapping")
            return None
        return key_node.value

    def _scalar(self, node: yaml.ScalarNode, label: str, line: int) -> Any:
        """A scalar's value; ``10:00`` stays text rather than YAML 1.1's base-60 number 600."""
        if node.tag not in _STANDARD_SCALARS and node.tag != "tag:yaml.org,2002:timestamp":
            self.problems.add(line, label, f"YAML tag {node.tag} is not used in app.yaml")
            return node.value
        plain = not node.style  # None from PyYAML's parser, "" from libyaml's
        if plain and ":" in node.value and node.tag.endswith(("int", "float")):
            return node.value
        try:
            return self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError):
            return node.value  # an impossible date such as 2026-13-45 is just text here


def _yaml_problem(source: str, error: yaml.YAMLError, text: str) -> str:
    """One line saying where and why the text is not YAML."""
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        return (
            f"{source}:{line}: not valid YAML: {error.reason} (character #x{error.character:04x})"
        )
    if not isinstance(error, yaml.MarkedYAMLError):
        return f"{source}: not valid YAML: {' '.join(str(error).split())}"
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else 1
    problem = error.problem or error.context or "unreadable"
    if "another document" in problem:
        return f"{source}:{line}: not valid YAML: a second document starts here; use one only"
    message = f"{source}:{line}: not valid YAML: {problem}"
    context_line = error.context_mark.line + 1 if error.context_mark else line
    if error.context and error.problem and context_line != line:
        message += f" ({error.context} from line {context_line})"
    lines = text.splitlines()
    if (
        lines
        and isinstance(error, yaml.scanner.ScannerError)
        and "\t" in lines[min(line, len(lines)) - 1]
    ):
        message += "; indent with spaces, not tabs"
    return message


# --- Defaults, cross-checks and pydantic errors -----------------------------------------------


def _merge(default: Any, d_origin: _Origin, team: Any, t_origin: _Origin) -> tuple[Any, _Origin]:
    """Merge a defaults value under a team's: mappings key by key, anything else the team's."""
    if not (isinstance(default, dict) and isinstance(team, dict)):
        return team, t_origin
    merged = dict(default)
    origin = _Origin(t_origin.label, t_origin.line, False, dict(d_origin.children))
    for key, value in team.items():
        if key in default:
            merged[key], origin.children[key] = _merge(
                default[key], d_origin.children[key], value, t_origin.children[key]
            )
        else:
            merged[key], origin.children[key] = value, t_origin.children[key]
    return merged, origin


def _suggest(word: str, choices: typing.Iterable[str]) -> str:
    """``unknown key 'x'``, with the close match when there is one."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"unknown key {word!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _check_teams(teams: list[Any], origin: _Origin, problems: _Problems) -> None:
    """The checks that span list items: unique ids, and a way to know each team's members."""
    first_team: dict[str, int] = {}
    for index, team in enumerate(teams):
        if not isinstance(team, dict):
            continue
        here = origin.children[index]
        team_id = team.get("id")
        if isinstance(team_id, str):
            id_origin = here.children["id"]
            if team_id in first_team:
                problems.add(
                    id_origin.line,
                    id_origin.label,
                    f"duplicate team id {team_id!r} (first used on line {first_team[team_id]})",
                )
            else:
                first_team[team_id] = id_origin.line
        if team.get("members") in (None, []) and team.get("usergroup") is None:
            problems.add(here.line, here.label, _NEEDS_PEOPLE)
        for key, what in (("members", "member"), ("coaches", "coach"), ("metrics", "metric")):
            entries = team.get(key)
            if isinstance(entries, list):
                _check_unique(entries, here.children[key], what, problems)
        if isinstance(team.get("roles"), list):
            _check_roles(team, here, problems)


def _check_unique(entries: list[Any], origin: _Origin, what: str, problems: _Problems) -> None:
    """Report an id listed twice in one list (members, coaches or metrics of a team)."""
    first: dict[str, int] = {}
    for index, entry in enumerate(entries):
        entry_id = entry.get("id") if isinstance(entry, dict) else entry
        if not isinstance(entry_id, str):
            continue
        here = origin.children[index]
        if entry_id in first:
            problems.add(
                here.line,
                here.label,
                f"{what} {entry_id!r} is listed twice (first on line {first[entry_id]})",
            )
        else:
            first[entry_id] = here.line


# --- Roles (bot/roles): who may hold a team's roles --------------------------------------------

_NO_HOLDER = (
    "a role needs holders: (Slack user ids of the team's members), "
    "or rotates: every meeting (or every N weeks) to pass it around"
)


def _check_roles(team: dict[str, Any], here: _Origin, problems: _Problems) -> None:
    """Unique role ids; each role held by some of the team's members, and never by a coach."""
    roles, origin = team["roles"], here.children["roles"]
    _check_unique(roles, origin, "role", problems)
    members = {_person_id(m) for m in team.get("members") or [] if _person_id(m)}
    coaches = {_person_id(c) for c in team.get("coaches") or [] if _person_id(c)}
    check_members = bool(members) and team.get("usergroup") is None
    for index, role in enumerate(roles):
        if not isinstance(role, dict):
            continue
        role_origin = origin.children[index]
        holders = role.get("holders")
        if holders in (None, []) and role.get("rotates") is None:
            problems.add(role_origin.line, role_origin.label, _NO_HOLDER)
        if not isinstance(holders, list):
            continue
        for place, holder in enumerate(holders):
            if not isinstance(holder, str):
                continue
            at = role_origin.children["holders"].children[place]
            if holder in coaches:
                problems.add(
                    at.line,
                    at.label,
                    f"{holder!r} coaches this team; coaches hold no role in a team",
                )
            elif check_members and holder not in members:
                problems.add(
                    at.line,
                    at.label,
                    f"{holder!r} is not one of the team's members; only members hold its roles",
                )


def _person_id(entry: Any) -> str | None:
    """The user id of a ``members:`` or ``coaches:`` entry (a bare id or a mapping)."""
    value = entry.get("id") if isinstance(entry, dict) else entry
    return value if isinstance(value, str) else None


# --- Circles (bot/circles): teams linking with teams -------------------------------------------

# The team keys a circle takes from defaults: (it meets, and has a digest day, as a team does).
_CIRCLE_DEFAULTS = ("timezone", "tactical", "digest")


def _merge_circle_defaults(data: dict[str, Any], root: _Origin, defaults: Any) -> None:
    """Merge ``defaults:``' time zone, meeting and digest schedule into each circle."""
    if not isinstance(defaults, dict):
        return
    shared = {key: defaults[key] for key in _CIRCLE_DEFAULTS if key in defaults}
    d_origin = root.children["defaults"]
    circles, origin = data["circles"], root.children["circles"]
    for index, circle in enumerate(circles):
        if isinstance(circle, dict):
            circles[index], origin.children[index] = _merge(
                shared, d_origin, circle, origin.children[index]
            )


def _check_circles(data: dict[str, Any], root: _Origin, problems: _Problems) -> None:
    """A circle's id is nobody else's; its teams exist; some member team has its reps' role."""
    teams = [t for t in data.get("teams") or [] if isinstance(t, dict)]
    team_ids = {t.get("id") for t in teams}
    roles_of = {
        t.get("id"): {r.get("id") for r in t.get("roles") or [] if isinstance(r, dict)}
        for t in teams
    }
    origin = root.children["circles"]
    _check_unique(data["circles"], origin, "circle", problems)
    for index, circle in enumerate(data["circles"]):
        if not isinstance(circle, dict):
            continue
        here = origin.children[index]
        if circle.get("id") in team_ids:
            at = here.children["id"]
            problems.add(
                at.line, at.label, f"{circle['id']!r} is a team's id too; give the circle its own"
            )
        members = circle.get("teams")
        if isinstance(members, list):
            for place, team_id in enumerate(members):
                if isinstance(team_id, str) and team_id not in team_ids:
                    at = here.children["teams"].children[place]
                    known = ", ".join(str(t.get("id")) for t in teams if t.get("id"))
                    problems.add(at.line, at.label, f"no team {team_id!r} (teams are: {known})")
        role = circle.get("representatives")
        if (
            isinstance(role, str)
            and isinstance(members, list)
            and not any(role in roles_of.get(team_id, set()) for team_id in members)
        ):
            at = here.children["representatives"]
            problems.add(
                at.line,
                at.label,
                f"no member team has a role {role!r}: each team fills it to sit in the circle "
                "(add it to the teams' roles:)",
            )


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``, so the walk below can see the model inside."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model whose mapping sits at this location in AppConfig, if any."""
    current: Any = AppConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            if typing.get_origin(current) is not list:
                return None
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            if part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}
# The kinds of pydantic error that say a value is not of the expected type, by prefix.
_TYPE_WORDS = (
    ("bool_", "expected true or false"),
    ("int_", "expected a whole number"),
    ("float_", "expected a number"),
)


def _message(error: Any, loc: tuple[str | int, ...]) -> str:
    """Say what one pydantic error means, in app.yaml's terms."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return _missing_message(loc)
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        return _suggest(str(loc[-1]), model.model_fields if model else ())
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    return _type_message(error) or _other_message(error)


def _missing_message(loc: tuple[str | int, ...]) -> str:
    """Say which required key is missing, and where a team's keys may be set."""
    if loc == ("teams",):
        return _NO_TEAMS
    if len(loc) == 3 and loc[0] == "teams":
        return "required key is missing (set it on the team or under defaults:)"
    return "required key is missing"


def _type_message(error: Any) -> str | None:
    """Say what was expected when a value is of the wrong type, or None for other errors."""
    kind, value = error["type"], error.get("input")
    got = _describe(value)
    if kind == "string_type":
        quote = " (put it in quotes)" if isinstance(value, int | float | dt.date) else ""
        return f"expected text, got {got}{quote}"
    if kind == "list_type":
        example = f" (for example [{value}])" if isinstance(value, str) else ""
        return f"expected a list, got {got}{example}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys, got {got}"
    for prefix, expected in _TYPE_WORDS:
        if kind.startswith(prefix):
            return f"{expected}, got {got}"
    return None


def _other_message(error: Any) -> str:
    """Say what a bound or any other pydantic error means, with the value given."""
    kind, ctx = error["type"], error.get("ctx") or {}
    got = _describe(error.get("input"))
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        return f"must be {words} {ctx.get(key)}, got {got}"
    text = str(error["msg"]).removeprefix("Input should be ")
    return f"should be {text}, got {got}" if text != error["msg"] else f"{text}, got {got}"


def _report(error: Any, root: _Origin, problems: _Problems) -> None:
    """Place one pydantic error at the line and key path it came from."""
    loc = tuple(error["loc"])
    here, rest = root, list(loc)
    while rest and rest[0] in here.children:
        here = here.children[rest.pop(0)]
    label = here.label
    if not here.scalar:  # the rest names keys that are missing, not values the admin wrote
        for part in rest:
            label += f"[{part}]" if isinstance(part, int) else (f".{part}" if label else part)
    problems.add(here.line, label, _message(error, loc))


def parse_config(text: str, source: str = "app.yaml") -> AppConfig:
    """Read app.yaml's text; ConfigError lists every problem as ``file:line: key: message``."""
    problems = _Problems(source)
    data, root = _read_yaml(text, source, problems)
    _drop_unknown_keys(data, root, problems)
    defaults = data.pop("defaults", None)
    if defaults is not None and not isinstance(defaults, dict):
        here = root.children["defaults"]
        problems.add(
            here.line, here.label, f"expected a mapping of team keys, got {_describe(defaults)}"
        )
    if isinstance(data.get("teams"), list):
        _merge_defaults(data, root, defaults, problems)
    if isinstance(data.get("circles"), list):
        _merge_circle_defaults(data, root, defaults)
        _check_circles(data, root, problems)
    data["source"] = source
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as invalid:
        for error in invalid.errors():
            _report(error, root, problems)
        raise ConfigError(problems.lines()) from None
    if problems.found:
        raise ConfigError(problems.lines())
    return config


def _read_yaml(text: str, source: str, problems: _Problems) -> tuple[dict[str, Any], _Origin]:
    """The file's top-level mapping and its origins; ConfigError when it is not one."""
    try:
        loader = _Loader(text)  # checks every character is printable already
    except yaml.YAMLError as error:
        raise ConfigError([_yaml_problem(source, error, text)]) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as error:
            raise ConfigError([_yaml_problem(source, error, text)]) from None
        if node is None:
            raise ConfigError(
                [
                    f"{source}:1: the file is empty; it needs organisation: and teams: "
                    "(see the example app.yaml)"
                ]
            )
        line = node.start_mark.line + 1
        data, root = _Reader(loader, problems).read(node, "", line)
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        problems.add(
            line,
            "",
            f"the file must be a mapping with organisation: and teams:, not {_describe(data)}",
        )
        raise ConfigError(problems.lines())
    return data, root


def _drop_unknown_keys(data: dict[str, Any], root: _Origin, problems: _Problems) -> None:
    """Report and remove top-level keys app.yaml does not have, so each is said once."""
    for key in list(data):
        if key not in _TOP_KEYS:
            problems.add(root.children[key].line, key, _suggest(key, _TOP_KEYS))
            del data[key]


def _merge_defaults(
    data: dict[str, Any], root: _Origin, defaults: Any, problems: _Problems
) -> None:
    """Merge ``defaults:`` into each team (origins too), then check what spans the teams."""
    teams, teams_origin = data["teams"], root.children["teams"]
    merged_origin = _Origin(teams_origin.label, teams_origin.line, False)
    merged_teams = []
    for index, team in enumerate(teams):
        if isinstance(defaults, dict):
            team, merged_origin.children[index] = _merge(
                defaults, root.children["defaults"], team, teams_origin.children[index]
            )
        else:
            merged_origin.children[index] = teams_origin.children[index]
        merged_teams.append(team)
    data["teams"] = merged_teams
    root.children["teams"] = merged_origin
    _check_teams(merged_teams, merged_origin, problems)


def load_config(path: str | Path) -> AppConfig:
    """Read and validate the app.yaml at ``path``; ConfigError says what is wrong and where."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [f"{source}: no such file (RETROBOT_CONFIG names app.yaml; the default is ./app.yaml)"]
        ) from None
    except OSError as error:
        raise ConfigError([f"{source}: cannot be read: {error.strerror or error}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError([f"{source}:{line}: not UTF-8 text; save the file as UTF-8"]) from None
    return parse_config(text, source=source)
