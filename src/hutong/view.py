"""The page's view state: the filters as a dataclass, to and from URL query parameters, and chart clicks into
filters. No Streamlit here (the words are in hutong.labels, the HTML in hutong.render)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from hutong.events import ACTIONS, DOMAINS
from hutong.labels import LANGS
from hutong.queries.filters import BUCKETS, CorpusFilter
from hutong.queries.trends import MEASURES

LEVELS = ("entity", "group")
ENTITY_QUERY = "@"  # a compared query naming an entity or a group (@阿里巴巴) rather than words of the text
COMPARE_MEASURES = ("share", "share_all", "docs")
MAX_COMPARED = 8
AS_OF_ASKED = "_as_of_asked"  # the widget key of an as-of day after the corpus's last day, kept as asked


@dataclass(frozen=True)
class ViewState:
    """Everything that decides what the page shows; a link carrying it reopens the same view."""

    lang: str = "zh"
    date_from: date | None = None
    date_to: date | None = None
    sources: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()  # entity or group names, as chosen (rolled up in corpus_filter)
    domains: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    text: str = ""
    min_confidence: float = 0.0  # hide events the extractor is less sure of (0: show every event)
    terms: tuple[str, ...] = ()  # terms added to the trend chart
    measure: str = "per10k"
    bucket: str = "auto"
    as_of: date | None = None  # None: the latest date
    level: str = "entity"
    doc: str | None = None  # the article open in the reader
    event: str | None = None  # the event whose evidence card is open
    compare: tuple[str, ...] = ()  # queries compared over time: @entity or free text (AND, OR, NOT, "phrase")
    compare_measure: str = "share"
    point_term: str | None = None  # the clicked trend point: its term …
    point_at: date | None = None  # … and its bucket's first day (its sentences are shown)
    cell_row: str | None = None  # the clicked matrix cell: its row party …
    cell_col: str | None = None  # … and its column party (the events behind it are shown)

    def to_query_params(self) -> dict[str, str | list[str]]:
        """Only what differs from the default, so a plain link stays plain; lists stay lists."""
        params: dict[str, str | list[str]] = {}
        default = ViewState()
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            key = _PARAM_OF[f.name]
            if isinstance(value, tuple):
                params[key] = [str(v) for v in value]
            elif isinstance(value, date):
                params[key] = value.isoformat()
            else:
                params[key] = str(value)
        return params

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | Sequence[str]]) -> ViewState:
        """Read a URL's parameters; a value that cannot be right is dropped, never an error."""

        def many(key: str) -> tuple[str, ...]:
            value = params.get(key, ())
            values = [value] if isinstance(value, str) else list(value)
            return tuple(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))

        def one(key: str) -> str | None:
            values = many(key)
            return values[-1] if values else None

        def choice(key: str, allowed: Sequence[str], default: str) -> str:
            value = one(key)
            return value if value in allowed else default

        return cls(
            lang=choice("lang", LANGS, "zh"),
            date_from=_parse_date(one("from")),
            date_to=_parse_date(one("to")),
            sources=many("source"),
            entities=many("entity"),
            domains=tuple(d for d in many("domain") if d in DOMAINS),
            actions=tuple(a for a in many("action") if a in ACTIONS),
            text=(one("q") or "")[:200],
            min_confidence=_parse_confidence(one("conf")),
            terms=many("term")[:20],
            measure=choice("measure", MEASURES, "per10k"),
            bucket=choice("bucket", ("auto", *BUCKETS), "auto"),
            as_of=_parse_date(one("asof")),
            level=choice("level", LEVELS, "entity"),
            doc=one("doc"),
            event=one("event"),
            compare=tuple(q[:200] for q in many("compare"))[:MAX_COMPARED],
            compare_measure=choice("cmeasure", COMPARE_MEASURES, "share"),
            point_term=one("point"),
            point_at=_parse_date(one("point_at")),
            cell_row=one("row"),
            cell_col=one("col"),
        )

    @property
    def clicked_point(self) -> tuple[str, date] | None:
        """(term, bucket start) of the clicked trend point, if one is clicked."""
        return (self.point_term, self.point_at) if self.point_term and self.point_at else None

    @property
    def clicked_cell(self) -> tuple[str, str] | None:
        """(row party, column party) of the clicked matrix cell, if one is clicked."""
        return (self.cell_row, self.cell_col) if self.cell_row and self.cell_col else None

    def restricted_to(self, *, sources: Iterable[str], entities: Iterable[str]) -> ViewState:
        """The same view without the sources and entities the current corpus does not have."""
        known_sources, known_entities = set(sources), set(entities)
        return replace(
            self,
            sources=tuple(s for s in self.sources if s in known_sources),
            entities=tuple(e for e in self.entities if e in known_entities),
        )

    def corpus_filter(self, *, members_of: Callable[[str], Iterable[str]]) -> CorpusFilter:
        """The filters for the queries; a chosen group (阿里巴巴) stands for all its members (淘宝, 天猫 …)."""
        rolled = tuple(dict.fromkeys(m for e in self.entities for m in (e, *members_of(e))))
        date_from, date_to = self.date_from, self.date_to
        if date_from and date_to and date_from > date_to:
            date_from, date_to = date_to, date_from
        return CorpusFilter(
            date_from=date_from,
            date_to=date_to,
            sources=self.sources,
            entities=rolled,
            domains=self.domains,
            actions=self.actions,
            text=self.text.strip(),
            min_confidence=self.min_confidence,
        )

    def compared_filters(self, *, members_of: Callable[[str], Iterable[str]]) -> dict[str, CorpusFilter]:
        """The compared queries as the query each asks (hutong.queries.trends.compared_queries): @阿里巴巴 the
        articles naming the entity or any member of the group, anything else the free text, read as the
        search box reads it."""
        queries = {}
        for query in self.compare:
            name = query[len(ENTITY_QUERY) :].strip() if query.startswith(ENTITY_QUERY) else None
            if name:
                queries[query] = CorpusFilter(entities=tuple(dict.fromkeys((name, *members_of(name)))))
            elif name is None and query.strip():
                queries[query] = CorpusFilter(text=query.strip())
        return queries

    def widget_values(self, *, bounds: tuple[date, date] | None, latest: date | None) -> dict[str, Any]:
        """The value of each widget showing this view, by widget key."""
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("sources", "entities", "domains", "actions", "terms", "compare"):
            values[key] = list(values[key])
        del values["date_from"], values["date_to"]
        if bounds:
            low, high = bounds
            values["dates"] = (_clamp(self.date_from or low, bounds), _clamp(self.date_to or high, bounds))
        if latest:
            values["as_of"] = min(self.as_of or latest, latest)
            # a day after the last article is kept as asked (the slider cannot show it; the page says why)
            values[AS_OF_ASKED] = self.as_of if self.as_of and self.as_of > latest else None
        return values

    @classmethod
    def from_widget_values(
        cls, values: Mapping[str, Any], *, bounds: tuple[date, date] | None, latest: date | None
    ) -> ViewState:
        """The view the widgets show; a date range over the whole corpus and the latest as-of day are defaults."""
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in values and f.name != AS_OF_ASKED:
                value = values[f.name]
                kwargs[f.name] = tuple(value) if isinstance(value, list) else value
        dates = values.get("dates")
        if bounds and isinstance(dates, (tuple, list)) and len(dates) == 2:
            kwargs["date_from"] = dates[0] if dates[0] != bounds[0] else None
            kwargs["date_to"] = dates[1] if dates[1] != bounds[1] else None
        if kwargs.get("as_of") == latest:
            kwargs["as_of"] = values.get(AS_OF_ASKED) or None
        kwargs["text"] = (kwargs.get("text") or "").strip()
        kwargs["min_confidence"] = float(kwargs.get("min_confidence") or 0.0)
        return cls(**kwargs)


_PARAM_OF = {
    "lang": "lang",
    "date_from": "from",
    "date_to": "to",
    "sources": "source",
    "entities": "entity",
    "domains": "domain",
    "actions": "action",
    "text": "q",
    "min_confidence": "conf",
    "terms": "term",
    "measure": "measure",
    "bucket": "bucket",
    "as_of": "asof",
    "level": "level",
    "doc": "doc",
    "event": "event",
    "compare": "compare",
    "compare_measure": "cmeasure",
    "point_term": "point",
    "point_at": "point_at",
    "cell_row": "row",
    "cell_col": "col",
}


def query_label(query: str, names: Mapping[str, str]) -> str:
    """A compared query as the page names it: @ and the entity's name in the page's language, or as typed."""
    if query.startswith(ENTITY_QUERY):
        name = query[len(ENTITY_QUERY) :].strip()
        return ENTITY_QUERY + names.get(name, name)
    return query


def language_of_locale(locale: str | None, *, default: str = "zh") -> str:
    """The page's language for a browser's locale (navigator.language): en-* is English, zh-* Chinese, and
    anything else (or none) the default."""
    primary = (locale or "").strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGS else default


def opening_view(params: Mapping[str, str | Sequence[str]], *, locale: str | None) -> ViewState:
    """The view a new session opens: the link's, in the link's language if it names one, else the browser's."""
    view = ViewState.from_query_params(params)
    asked = params.get("lang", ())
    if any(lang in LANGS for lang in ([asked] if isinstance(asked, str) else asked)):
        return view
    return replace(view, lang=language_of_locale(locale))


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _parse_confidence(value: str | None) -> float:
    """A confidence from a URL: a number from 0 to 1, in steps of 0.05; anything else is 0 (every event)."""
    try:
        number = float(value) if value else 0.0
    except ValueError:
        return 0.0
    return round(min(max(number, 0.0), 1.0) * 20) / 20 if number == number else 0.0


def _clamp(day: date, bounds: tuple[date, date]) -> date:
    return min(max(day, bounds[0]), bounds[1])


def query_string(params: Mapping[str, str | list[str]]) -> str:
    """The parameters as a relative link ("?lang=en&domain=payment"), or "?" for the default view."""
    return "?" + urlencode(params, doseq=True)


def share_url(base: str, params: Mapping[str, str | list[str]]) -> str:
    """The app's address (st.context.url, which has no query) with the view's parameters."""
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query_string(params)[1:], ""))


# ---- chart clicks into filters ---------------------------------------------------------------------
# Every chart puts its row id first in customdata (see hutong.charts); these read it back.


def selected_points(selection: Mapping | None) -> list[dict]:
    """The points of a plotly selection as st.plotly_chart(on_select=...) returns it; [] when none."""
    if not selection:
        return []
    inner = selection.get("selection", selection)
    points = inner.get("points", []) if isinstance(inner, Mapping) else []
    return [p for p in points if isinstance(p, Mapping)]


def selected_customdata(selection: Mapping | None) -> list[list]:
    """The customdata of each selected point (a list, whichever shape plotly sent), without repeats."""
    seen, result = set(), []
    for point in selected_points(selection):
        data = point.get("customdata")
        if data is None:
            continue
        data = list(data) if isinstance(data, (list, tuple)) else [data]
        key = repr(data)
        if key not in seen:
            seen.add(key)
            result.append(data)
    return result


def selected_ids(selection: Mapping | None) -> list[str]:
    return [str(data[0]) for data in selected_customdata(selection) if data and data[0] not in (None, "")]


def entity_filter_from_selection(view: ViewState, selection: Mapping | None) -> ViewState:
    """Clicking an entity (a bar or a network node) filters the page to it; no point leaves the view as is."""
    ids = selected_ids(selection)
    return replace(view, entities=tuple(ids)) if ids else view


def event_from_selection(selection: Mapping | None) -> str | None:
    """The event behind a clicked timeline mark or bar (a bar's first id is its start event)."""
    ids = selected_ids(selection)
    return ids[0] if ids else None


def trend_point_from_selection(selection: Mapping | None) -> tuple[str, date] | None:
    """(term, bucket start) of a clicked point of the keyword trend chart."""
    for data in selected_customdata(selection):
        if len(data) >= 2 and data[0]:
            day = _parse_date(str(data[1])[:10])
            if day:
                return str(data[0]), day
    return None


def matrix_cell_from_selection(selection: Mapping | None) -> tuple[str, str] | None:
    """(row party, column party) of a clicked matrix cell."""
    for data in selected_customdata(selection):
        if len(data) >= 2 and data[0] and data[1]:
            return str(data[0]), str(data[1])
    return None
