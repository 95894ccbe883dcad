"""The report as a document: one self-contained HTML page, or JSON with a versioned schema.

The HTML comes from ``prompts/templates/report/page.j2`` through the renderer's HTML
environment (autoescaped), with the charts of :mod:`bot.reports.charts` inline as SVG. The JSON is
the report's dataclasses as they are (docs/report.md describes every field), so both formats
carry the same figures.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any

from markupsafe import Markup

from bot.core.charts import Drawing, draw_later
from bot.reports import charts
from bot.reports.model import Figure, Report
from prompts import Renderer

FORMATS = ("html", "json")


def _plain(value: Any) -> Any:
    """Dataclasses, dates and datetimes as JSON values (the period as ``from`` and ``to``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def as_data(report: Report) -> dict[str, Any]:
    """The report as plain JSON values: schema and version first, then scope and figures."""
    return {
        "schema": report.schema,
        "version": report.version,
        "organisation": report.organisation,
        "scope": report.scope,
        "teams": _plain(report.teams),
        "period": {"from": report.period.start.isoformat(), "to": report.period.end.isoformat()},
        "weeks": list(report.weeks),
        "k": report.k,
        "generated_at": report.generated_at.isoformat(),
        "sections": _plain(report.sections),
    }


def json_document(report: Report) -> str:
    """The report as indented JSON text, ending with a newline."""
    return json.dumps(as_data(report), indent=2, ensure_ascii=False) + "\n"


def chart_count(renderer: Renderer, report: Report) -> int:
    """How many charts :func:`draw_charts` will draw (for a progress bar)."""
    return len(_chart_work(renderer, report))


def _chart_work(renderer: Renderer, report: Report) -> dict[str, Callable[[], Drawing[Markup]]]:
    """What to draw: a figure's key (or ``checklist@<question>``) -> a function that starts
    drawing it (bot.core.charts.draw_later)."""
    work: dict[str, Callable[[], Drawing[Markup]]] = {}
    for section in report.sections:
        figures = [f for f in section.figures if isinstance(f, Figure)]
        kinds = {f.kind: f for f in figures}
        if "participation" in kinds and "mood" in kinds:
            p, m = kinds["participation"], kinds["mood"]
            work["participation"] = partial(draw_later, charts.participation_chart, renderer, p, m)
        for f in figures:
            if f.kind == "metric" and f.value.total is not None:
                work[f.key] = partial(draw_later, charts.metric_chart, renderer, f)
            elif f.kind == "tensions" and (f.value.raised or f.value.closed):
                work[f.key] = partial(draw_later, charts.tension_chart, renderer, f)
            elif f.kind == "feedback" and f.value.values:
                work[f.key] = partial(draw_later, charts.values_chart, renderer, f)
        items = [f for f in figures if f.kind == "checklist"]
        if any(f.value.share is not None for f in items):
            work[f"checklist@{section.id}"] = partial(
                draw_later, charts.checklist_chart, renderer, items
            )
    return work


def draw_charts(
    renderer: Renderer, report: Report, *, progress: Callable[[str], None] | None = None
) -> dict[str, Markup]:
    """Every chart of the report, as inline SVG, by the key the page template looks them up by."""
    drawings = {key: draw() for key, draw in _chart_work(renderer, report).items()}
    drawn: dict[str, Markup] = {}
    for key, drawing in drawings.items():  # drawn side by side where there are chart helpers
        drawn[key] = drawing.result()
        if progress:
            progress(f"chart {key}")
    return drawn


def scope_name(report: Report) -> str:
    """How the first page names the scope: one team's name, or the organisation and its teams."""
    if report.scope == "team":
        return report.teams[0].name
    count = len(report.teams)
    return f"{report.organisation}: all {count:,} teams" if count != 1 else report.organisation


def html_document(
    renderer: Renderer, report: Report, *, progress: Callable[[str], None] | None = None
) -> str:
    """The report as one self-contained HTML page (charts and styles inline, no script)."""
    drawn = draw_charts(renderer, report, progress=progress)
    generated = report.generated_at.strftime("%-d %b %Y, %H:%M UTC")
    page = renderer.html(
        "report/page.document",
        r=report,
        charts=drawn,
        scope_name=scope_name(report),
        generated=generated,
    )
    return page + "\n"
