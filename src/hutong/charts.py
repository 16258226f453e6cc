"""One function per chart of the page: data in, a plotly Figure out (never shown here). Each clickable
point carries its row id first in customdata, so hutong.view can map a click back to rows."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from hutong import labels
from hutong.labels import domain_label, t
from hutong.queries.matrix import MATRIX_STATES
from hutong.timeline import period_end

DOMAIN_COLOURS = {
    "payment": "#2563eb",
    "logistics": "#ea580c",
    "traffic": "#16a34a",
    "storefront": "#9333ea",
    "capital": "#a16207",
    "other": "#64748b",
}
STATE_COLOURS = {"none": "#f8fafc", "closed": "#f87171", "planned": "#fbbf24", "open": "#4ade80"}
CORRECTED_COLOUR = "#dc2626"  # the ring around an event an analyst corrected
STATE_MARKS = {"open": "✓", "closed": "✗", "planned": "○"}  # not "…", which reads as text cut off
_MARK_SYMBOLS = {
    "start": "circle",
    "end": "x",
    "planned": "circle-open",
    "end_without_start": "line-ns-open",
    "planned_fulfilled": "circle-open-dot",
    "milestone_regulatory": "star",
    "milestone_company": "diamond",
}
BAR_LABEL_CHARS = 18  # a longer entity name is cut with "…" on the bar chart's axis (whole in the hover)
MATRIX_NAMED_DOMAINS = 12  # up to this many parties, a matrix cell names its domains; beyond, only their marks
NETWORK_LABELS = 12  # the network names this many of its most mentioned nodes on the chart
_FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"


def _layout(fig: go.Figure, *, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": _escape(title), "x": 0, "xanchor": "left"},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        font={"family": _FONT},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        clickmode="event+select",
        hoverlabel={"align": "left"},
    )
    return fig


def _legend_below(fig: go.Figure, *, gap: float = 0.16) -> None:
    """The legend under the plot, left-aligned: a legend of long English names beside the title reached it."""
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -gap, "xanchor": "left", "x": 0})


def _legend_under_title(fig: go.Figure) -> None:
    """The title at the top of the figure and a one-line legend on its own line below it, above the plot: for a
    chart whose bottom holds long labels and whose title is long."""
    fig.update_layout(
        title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        margin={"t": 80},
    )


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(
        text=_escape(message),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 14, "color": "#64748b"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _escape(text) -> str:
    """Text for plotly's labels and hovers, which read a few HTML tags and entities: <, > and & escaped, but
    not quotes, which plotly would show as a literal &quot;."""
    return html.escape(str(text), quote=False)


def _wrap(text: str, width: int = 42, *, limit: int = 240) -> str:
    """Escaped text broken into hover-sized lines."""
    text = " ".join(str(text or "").split())
    if len(text) > limit:
        text = text[:limit] + "…"
    return "<br>".join(_escape(text[i : i + width]) for i in range(0, len(text), width))


def group_colours(groups: Sequence[str]) -> dict[str, str]:
    """A colour per group, from the sorted list of groups: pass every group of the lexicon and each
    group keeps its colour on every chart and under every filter."""
    palette = qualitative.Plotly + qualitative.Dark2 + qualitative.Set1
    return {g: palette[i % len(palette)] for i, g in enumerate(sorted(set(groups)))}


# ---- keyword trends -----------------------------------------------------------------------------------


def _measure_axis(fig: go.Figure, measure: str, lang: str) -> str:
    """The y axis of a measure, a share in per cent; returns its title for the hover."""
    title = labels.measure_label(measure, lang)
    fig.update_yaxes(title=title, tickformat=".0%" if measure.startswith("share") else None, rangemode="tozero")
    return title


def _all_articles(rows: pd.DataFrame) -> pd.Series:
    """The bucket's articles of the whole date range (a frame without them: those the filters keep)."""
    return rows["all_articles"] if "all_articles" in rows else rows["articles"]


def keyword_trend_figure(trends: pd.DataFrame, *, measure: str = "per10k", lang: str = "zh") -> go.Figure:
    """One line per term over calendar buckets; y is a measure of hutong.queries.trends.MEASURES (per 10,000
    tokens, the share of the matching articles, the share of all the period's articles), the raw count is in
    the hover. customdata: [term, bucket day, count, articles using it, articles, tokens, all articles]."""
    fig = go.Figure()
    _layout(fig, title=t("trends", lang))
    _legend_below(fig)
    if trends.empty:
        return _empty(fig, t("no_data", lang))
    y_title = _measure_axis(fig, measure, lang)
    for term, rows in trends.groupby("term", sort=False):
        fig.add_trace(
            go.Scatter(
                x=rows["bucket"],
                y=rows[measure],
                mode="lines+markers",
                name=_escape(str(term)),
                customdata=list(
                    zip(
                        rows["term"],
                        rows["bucket"].dt.strftime("%Y-%m-%d"),
                        rows["count"],
                        rows["docs"],
                        rows["articles"],
                        rows["tokens"],
                        _all_articles(rows),
                        strict=True,
                    )
                ),
                hovertemplate=(
                    f"<b>%{{customdata[0]}}</b> · %{{customdata[1]}}<br>{y_title}: %{{y:.3~f}}<br>"
                    f"{t('count', lang)}: %{{customdata[2]}} · {t('articles', lang)}: %{{customdata[3]}}/%{{customdata[4]}}"
                    f" ({t('all_articles', lang)} %{{customdata[6]}})<extra></extra>"
                ),
                marker={"size": 9},
            )
        )
    _date_axis(fig, trends["bucket"])
    return fig


def attention_figure(frame: pd.DataFrame, *, lang: str = "zh") -> go.Figure:
    """The attention baseline: articles per bucket, all of them (grey) and those matching the filters, so a
    rise elsewhere on the page can be read against how much was published. customdata: [bucket day,
    matching, all articles]."""
    fig = go.Figure()
    _layout(fig, title=t("attention", lang), height=260)
    if frame.empty:
        return _empty(fig, t("no_data", lang))
    days = frame["bucket"].dt.strftime("%Y-%m-%d")
    data = list(zip(days, frame["matching"], frame["all_articles"], strict=True))
    hover = f"%{{customdata[0]}}<br>{t('matching', lang)}: %{{customdata[1]}} / %{{customdata[2]}}<extra></extra>"
    for name, column, colour in (("all_articles", "all_articles", "#cbd5e1"), ("matching", "matching", "#2563eb")):
        fig.add_trace(
            go.Bar(
                x=frame["bucket"],
                y=frame[column],
                name=_escape(t(name, lang)),
                marker={"color": colour},
                customdata=data,
                hovertemplate=hover,
            )
        )
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(title=t("articles", lang), rangemode="tozero")
    _date_axis(fig, frame["bucket"])
    return fig


def compare_figure(
    frame: pd.DataFrame, *, measure: str = "share", query_names: Mapping[str, str] | None = None, lang: str = "zh"
) -> go.Figure:
    """Compared queries side by side: a line per query (hutong.queries.trends.compared_queries) over calendar
    buckets, y the share of the period's matching articles (share), of all its articles (share_all) or the
    articles themselves (docs); `query_names` names a query in the legend (an entity in the page's language).
    customdata: [query, bucket day, articles matching it, matching articles, all articles]."""
    fig = go.Figure()
    _layout(fig, title=t("compare", lang), height=380)
    if frame.empty:
        return _empty(fig, t("no_data", lang))
    y_title = _measure_axis(fig, measure, lang)
    y_format = "%{y}" if measure == "docs" else "%{y:.1%}"
    for query, rows in frame.groupby("query", sort=False):
        label = _escape((query_names or {}).get(query, query))
        fig.add_trace(
            go.Scatter(
                x=rows["bucket"],
                y=rows[measure],
                mode="lines+markers",
                name=label,
                customdata=list(
                    zip(
                        rows["query"],
                        rows["bucket"].dt.strftime("%Y-%m-%d"),
                        rows["docs"],
                        rows["articles"],
                        rows["all_articles"],
                        strict=True,
                    )
                ),
                hovertemplate=f"<b>{label}</b> · %{{customdata[1]}}<br>{y_title}: {y_format}<br>"
                f"{t('articles', lang)}: %{{customdata[2]}}/%{{customdata[3]}} "
                f"({t('all_articles', lang)} %{{customdata[4]}})<extra></extra>",
                marker={"size": 8},
            )
        )
    _date_axis(fig, frame["bucket"])
    return fig


def _date_axis(fig: go.Figure, buckets: pd.Series) -> None:
    """An x axis of calendar days: ticks are days, never times of day, and a single bucket gets a month
    on either side rather than an axis zoomed into its last millisecond."""
    days = pd.to_datetime(buckets).dropna().unique()
    fig.update_xaxes(title=None, type="date", tickformat="%Y-%m-%d", hoverformat="%Y-%m-%d")
    if len(days) == 1:
        day = pd.Timestamp(days[0])
        fig.update_xaxes(range=[day - pd.Timedelta(days=31), day + pd.Timedelta(days=31)], dtick="M1")


# ---- entities -------------------------------------------------------------------------------------------


def entity_bar_figure(
    counts: pd.DataFrame, *, names: Mapping[str, str], lang: str = "zh", colours: Mapping[str, str] | None = None
) -> go.Figure:
    """The most mentioned entities, coloured by group (named in the hover: a legend of many groups with long
    English names crushed the bars). customdata: [entity, group, mentions, articles]."""
    fig = go.Figure()
    _layout(fig, title=t("top_entities", lang), height=max(420, 80 + 24 * len(counts)))
    fig.update_layout(showlegend=False)
    if counts.empty:
        return _empty(fig, t("no_data", lang))
    colours = {**group_colours(counts["group"].tolist()), **(colours or {})}
    order = [names.get(e, e) for e in counts["entity"]]
    for group, rows in counts.groupby("group", sort=False):
        fig.add_trace(
            go.Bar(
                x=rows["mentions"],
                y=[names.get(e, e) for e in rows["entity"]],
                orientation="h",
                name=_escape(names.get(group, group)),
                marker_color=colours[group],
                customdata=list(zip(rows["entity"], rows["group"], rows["mentions"], rows["articles"], strict=True)),
                hovertemplate=f"%{{y}} ({_escape(names.get(group, group))})<br>{t('mentions_axis', lang)}: %{{x}} · "
                f"{t('articles', lang)}: %{{customdata[3]}}<extra></extra>",
            )
        )
    # long names cut on the axis (whole in the hover): in a half-width column they left the bars 60 px
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=order[::-1],
        tickvals=order,
        ticktext=[_escape(short_label(name, limit=BAR_LABEL_CHARS)) for name in order],
        title=None,
        automargin=True,
    )
    fig.update_xaxes(title=t("mentions_axis", lang), nticks=5)
    fig.update_layout(barmode="stack", legend={"title": None})
    return fig


def entity_trend_figure(
    frame: pd.DataFrame, *, names: Mapping[str, str], lang: str = "zh", measure: str = "per10k"
) -> go.Figure:
    """Mentions over time for chosen entities: per 10,000 tokens, or (measure share, share_all) the share of
    the period's matching or of all its articles naming them. customdata: [entity, bucket day, mentions,
    articles naming it, articles in the bucket, all articles of the bucket] (what each point rests on)."""
    fig = go.Figure()
    _layout(fig, title=t("entities_over_time", lang), height=400)
    _legend_below(fig)
    if frame.empty:
        return _empty(fig, t("no_data", lang))
    y_title = t("mentions_per10k", lang) if measure == "per10k" else _measure_axis(fig, measure, lang)
    y_format = "%{y:.1f}" if measure == "per10k" else "%{y:.1%}"
    for entity, rows in frame.groupby("entity", sort=False):
        label = _escape(names.get(entity, entity))
        fig.add_trace(
            go.Scatter(
                x=rows["bucket"],
                y=rows[measure],
                mode="lines+markers",
                name=label,
                customdata=list(
                    zip(
                        rows["entity"],
                        rows["bucket"].dt.strftime("%Y-%m-%d"),
                        rows["mentions"],
                        rows["docs"] if "docs" in rows else [None] * len(rows),
                        rows["articles"],
                        _all_articles(rows),
                        strict=True,
                    )
                ),
                hovertemplate=f"<b>{label}</b> · %{{customdata[1]}}<br>{y_title}: {y_format}<br>"
                f"{t('mentions_axis', lang)}: %{{customdata[2]}} · {t('articles', lang)}: "
                f"%{{customdata[3]}}/%{{customdata[4]}} ({t('all_articles', lang)} %{{customdata[5]}})<extra></extra>",
            )
        )
    if measure == "per10k":
        fig.update_yaxes(title=y_title, rangemode="tozero")
    _date_axis(fig, frame["bucket"])
    return fig


def cooccurrence_figure(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    names: Mapping[str, str],
    lang: str = "zh",
    colours: Mapping[str, str] | None = None,
) -> go.Figure:
    """Entities named in the same sentence: nodes (with x, y from a layout) sized by mentions and coloured
    by group, lines as thick as the sentences shared. Node customdata: [entity, group, mentions]."""
    fig = go.Figure()
    _layout(fig, title=t("network", lang), height=560)
    # the legend below the circle, which keeps the width; labels on the most mentioned nodes only, so that
    # they do not overlap (every node names itself on hover)
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0})
    if nodes.empty:
        return _empty(fig, t("no_data", lang))
    where = {e: (x, y) for e, x, y in zip(nodes["entity"], nodes["x"], nodes["y"], strict=True)}
    top = max(int(edges["sentences"].max()), 1) if not edges.empty else 1
    for low, high, width in ((0, 0.34, 1), (0.34, 0.67, 3), (0.67, 1.01, 6)):
        xs, ys = [], []
        for a, b, n in zip(edges["a"], edges["b"], edges["sentences"], strict=True):
            if low <= n / top < high:
                xs += [where[a][0], where[b][0], None]
                ys += [where[a][1], where[b][1], None]
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"width": width, "color": "rgba(100,116,139,0.45)"},
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
    colours = {**group_colours(nodes["group"].tolist()), **(colours or {})}
    biggest = max(int(nodes["mentions"].max()), 1)
    labelled = _network_labels(nodes, names=names, biggest=biggest)
    for group, rows in nodes.groupby("group", sort=True):
        fig.add_trace(
            go.Scatter(
                x=rows["x"],
                y=rows["y"],
                mode="markers+text",
                name=_escape(names.get(group, group)),
                text=[_escape(labelled.get(e, "")) for e in rows["entity"]],
                hovertext=[_escape(names.get(e, e)) for e in rows["entity"]],
                textposition=[_label_position(x, y) for x, y in zip(rows["x"], rows["y"], strict=True)],
                cliponaxis=False,
                marker={
                    "size": [12 + 30 * (m / biggest) ** 0.5 for m in rows["mentions"]],
                    "color": colours[group],
                    "line": {"width": 1, "color": "white"},
                },
                customdata=list(zip(rows["entity"], rows["group"], rows["mentions"], strict=True)),
                hovertemplate=f"%{{hovertext}}<br>{t('mentions_axis', lang)}: %{{customdata[2]}}<extra></extra>",
            )
        )
    fig.update_xaxes(visible=False, range=[-1.35, 1.35])
    fig.update_yaxes(visible=False, range=[-1.25, 1.3], scaleanchor="x")
    return fig


# A node label's size in the network's axis units, for a half-width column of a 1000 px page (about 100 px per
# unit, the narrowest the page draws it): a CJK character, a Latin one, the line height
_NETWORK_CHAR_CJK, _NETWORK_CHAR_LATIN, _NETWORK_LINE = 0.13, 0.075, 0.18
NETWORK_LABEL_CHARS = 16  # a longer name is cut with "…" on the chart (whole in the hover)


def short_label(name: str, *, limit: int) -> str:
    """A name cut to `limit` characters with "…", for a label with little room (the hover has it whole)."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _label_position(x: float, y: float) -> str:
    """Above a node on the upper half of the circle, below one on the lower (away from the lines); near the left
    or right edge, running inward, so that a long name is not cut by the figure's edge."""
    side = "right" if x < -0.6 else "left" if x > 0.6 else "center"
    return f"{'top' if y >= 0 else 'bottom'} {side}"


def _label_box(x: float, y: float, text: str, size: float) -> tuple[float, float, float, float]:
    """Where a node's label falls (left, right, bottom, top) in axis units, placed as _label_position says."""
    width = sum(_NETWORK_CHAR_CJK if ord(c) > 0x2E80 else _NETWORK_CHAR_LATIN for c in text)
    gap = size / 2 / 100
    low = y + gap if y >= 0 else y - gap - _NETWORK_LINE
    side = _label_position(x, y).split()[1]
    left = {"right": x + gap, "left": x - gap - width, "center": x - width / 2}[side]
    return left, left + width, low, low + _NETWORK_LINE


def _network_labels(nodes: pd.DataFrame, *, names: Mapping[str, str], biggest: int) -> dict[str, str]:
    """Labels for the most mentioned nodes, up to NETWORK_LABELS, skipping a node whose label would meet one
    already placed (nodes on a circle in a narrow column sit close); entity → its shortened name."""
    placed: dict[str, str] = {}
    boxes: list[tuple[float, float, float, float]] = []
    ranked = nodes.sort_values(["mentions", "entity"], ascending=[False, True])
    for entity, x, y, mentions in zip(ranked["entity"], ranked["x"], ranked["y"], ranked["mentions"], strict=True):
        if len(placed) == NETWORK_LABELS:
            break
        text = short_label(names.get(entity, entity), limit=NETWORK_LABEL_CHARS)
        box = _label_box(x, y, text, 12 + 30 * (mentions / biggest) ** 0.5)
        if not any(box[0] < b[1] and b[0] < box[1] and box[2] < b[3] and b[2] < box[3] for b in boxes):
            placed[entity] = text
            boxes.append(box)
    return placed


# ---- partnership timeline ----------------------------------------------------------------------------------


def row_label(row: tuple, names: Mapping[str, str], lang: str) -> str:
    """京东 – 支付宝 · payment for a pair's row, 工信部 · milestone for a milestone maker's."""
    first, second, domain = row
    if second is None:
        return f"{names.get(first, first)} · {t('milestone', lang)}"
    return f"{names.get(first, first)} – {names.get(second, second)} · {domain_label(domain, lang)}"


def _ms(start: date, end: date) -> float:
    return (datetime.combine(end, time()) - datetime.combine(start, time())).total_seconds() * 1000


def timeline_figure(
    bars: pd.DataFrame, marks: pd.DataFrame, events: pd.DataFrame, *, names: Mapping[str, str], lang: str = "zh"
) -> go.Figure:
    """Rows of partnerships (pair and domain) and milestones over time: a bar from a start to its end (or to
    the last article while still open) and a mark per event, coloured by domain. Bar customdata:
    [start event, end event]; mark customdata: [event id]. Year- or month-precise dates sit at the period
    start and the hover says the precision."""
    fig = go.Figure()
    if marks.empty and bars.empty:
        return _empty(_layout(fig, title=t("timeline", lang)), t("no_data", lang))
    info = {e["event_id"]: e for e in events.to_dict("records")}  # plain dicts: .loc per event is slow
    rows = _timeline_rows(bars, marks)
    labels = {row: _escape(row_label(row, names, lang)) for row in rows}
    _layout(fig, title=t("timeline", lang), height=140 + 30 * len(rows))
    for domain, part in bars.groupby("domain", sort=False):
        fig.add_trace(
            go.Bar(
                y=[labels[r] for r in part["row"]],
                base=[d.isoformat() for d in part["start"]],
                x=[max(_ms(s, e), 86_400_000.0) for s, e in zip(part["start"], part["end"], strict=True)],
                orientation="h",
                marker={"color": DOMAIN_COLOURS.get(domain, "#64748b"), "opacity": 0.55},
                name=_escape(domain_label(domain, lang)),
                legendgroup=domain,
                width=0.5,
                customdata=[
                    [s, e if isinstance(e, str) else ""]
                    for s, e in zip(part["start_event"], part["end_event"], strict=True)
                ],
                hovertext=[_bar_hover(b, info, names, lang) for b in part.to_dict("records")],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    _add_periods(fig, marks, info, labels, lang)
    for mark, part in marks.groupby("mark", sort=False):
        fig.add_trace(
            go.Scatter(
                x=[d.isoformat() for d in part["when"]],
                y=[labels[r] for r in part["row"]],
                mode="markers",
                name=_escape(t(mark, lang)),
                marker={
                    "symbol": _MARK_SYMBOLS.get(mark, "circle"),
                    "size": 13 if mark != "end_without_start" else 22,
                    "color": [DOMAIN_COLOURS.get(d, "#64748b") for d in part["domain"]],
                    "line": {
                        "width": 2 if mark != "end_without_start" else 4,
                        "color": [DOMAIN_COLOURS.get(d, "#64748b") for d in part["domain"]],
                    },
                },
                customdata=[[e] for e in part["event_id"]],
                hovertext=[_event_hover(info[e], e, names, lang) for e in part["event_id"]],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    _add_corrected(fig, marks, info, labels, names, lang)
    fig.update_yaxes(categoryorder="array", categoryarray=[labels[r] for r in rows][::-1], title=None, automargin=True)
    fig.update_xaxes(type="date", title=None)
    fig.update_layout(barmode="overlay", legend={"title": None})
    return fig


def _add_corrected(
    fig: go.Figure, marks: pd.DataFrame, info: Mapping[str, dict], labels: Mapping, names: Mapping[str, str], lang: str
) -> None:
    """A ring around the mark of every event an analyst corrected (hutong.corrections), its own legend entry;
    the hover says what changed and the note."""
    corrected = [(row, e) for row, e in zip(marks["row"], marks["event_id"], strict=True) if info[e].get("corrected")]
    if not corrected:
        return
    fig.add_trace(
        go.Scatter(
            x=[info[e]["when"].isoformat() for _, e in corrected],
            y=[labels[row] for row, _ in corrected],
            mode="markers",
            name=_escape(t("corrected", lang)),
            marker={"symbol": "circle-open", "size": 24, "color": CORRECTED_COLOUR, "line": {"width": 2}},
            customdata=[[e] for _, e in corrected],
            hovertext=[_event_hover(info[e], e, names, lang) for _, e in corrected],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )


def _add_periods(fig: go.Figure, marks: pd.DataFrame, info: Mapping[str, dict], labels: Mapping, lang: str) -> None:
    """A thin band over the whole period of each event dated only to a year or a month: the event happened
    somewhere in it, not on the period's first day where its mark sits."""
    coarse = [
        (row, info[e]) for row, e in zip(marks["row"], marks["event_id"], strict=True) if period_end(info[e]["date"])
    ]
    coarse = [(row, e) for row, e in coarse if e["precision"] in ("year", "month")]
    if not coarse:
        return
    xs, ys, ids, hovers = [], [], [], []
    for row, e in coarse:  # one segment per event, the segments apart (None between them)
        hover = f"{_escape(_date_shown(e))} ({_escape(t(str(e['precision']), lang))})"
        xs += [e["when"].isoformat(), period_end(e["date"]).isoformat(), None]
        ys += [labels[row], labels[row], None]
        ids += [[e["event_id"]]] * 3
        hovers += [hover, hover, ""]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": "rgba(100,116,139,0.35)", "width": 7},
            name=_escape(t("period_band", lang)),
            customdata=ids,
            hovertext=hovers,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )


def _timeline_rows(bars: pd.DataFrame, marks: pd.DataFrame) -> list[tuple]:
    """Partnership rows by their first date, milestone rows after them."""
    first: dict[tuple, date] = {}
    for row, when in [*zip(bars["row"], bars["start"], strict=True), *zip(marks["row"], marks["when"], strict=True)]:
        first[row] = min(first.get(row, when), when)
    return sorted(first, key=lambda r: (r[1] is None, first[r], str(r)))


def _event_hover(e, event_id: str, names: Mapping[str, str], lang: str) -> str:
    parties = (
        names.get(e["a"], e["a"])
        if not isinstance(e["b"], str)
        else f"{names.get(e['a'], e['a'])} – {names.get(e['b'], e['b'])}"
    )
    action = labels.action_label(e.get("kind"), e["action"], e.get("rule"), lang)
    return (
        f"<b>{_escape(parties)}</b> · {_escape(domain_label(e['domain'], lang))} · "
        f"{_escape(action)} ({_escape(event_id)})<br>"
        f"{t('date', lang)}: {_escape(_date_shown(e))} ({t('precision', lang)}: {_escape(t(str(e['precision']), lang))})<br>"
        f"{t('resolution', lang)}: {_wrap(labels.date_explanation(e['date_resolution'], lang), 60, limit=160)}<br>"
        f"{t('confidence', lang)}: {labels.confidence_text(e.get('confidence'))}"
        + (f" · {t('rule', lang)}: {_escape(labels.rule_label(e.get('rule'), lang))}" if e.get("rule") else "")
        + f"<br>{t('evidence', lang)}: {_wrap(e['evidence'])}"
        + (f"<br>{_wrap(labels.correction_text(e, names=names, lang=lang))}" if e.get("corrected") else "")
    )


def _date_shown(e: Mapping) -> str:
    """An event's date as written, at its precision ("2024", never 2024-01-01), ≈ when only approximate."""
    return labels.event_date_text(e.get("date"), e.get("date_resolution"))


def _bar_hover(bar: dict, info: Mapping[str, dict], names: Mapping[str, str], lang: str) -> str:
    start = info[bar["start_event"]]
    lines = [f"{t('start', lang)}: {_escape(_date_shown(start))} ({_escape(t(str(start['precision']), lang))})"]
    if isinstance(bar["end_event"], str) and bar["end_event"]:
        lines.append(f"{t('end', lang)}: {_escape(_date_shown(info[bar['end_event']]))}")
    else:
        lines.append(f"{t('end', lang)}: {t('still_open', lang)} {bar['end'].isoformat()}")
    if isinstance(bar["inherited_from"], str) and bar["inherited_from"]:
        lines.append(
            f"{t('inherited', lang)} {_escape(bar['inherited_from'])} "
            f"({_escape(names.get(start['a'], start['a']))} – {_escape(names.get(start['b'], start['b']))})"
        )
    lines.append(f"{t('confidence', lang)}: {labels.confidence_text(start.get('confidence'))}")
    lines.append(f"{t('evidence', lang)}: {_wrap(start['evidence'])}")
    return "<br>".join(lines)


# ---- interoperability matrix ----------------------------------------------------------------------------------


def interop_matrix_figure(
    matrix: pd.DataFrame,
    parties: Sequence[str],
    *,
    names: Mapping[str, str],
    lang: str = "zh",
    as_of: date | None = None,
) -> go.Figure:
    """Parties × parties: each cell lists the domains open (✓), closed (✗) or planned (…) between the two,
    coloured by the best of them. Clicks land on an invisible marker per cell: customdata [row party, column party]."""
    title = t("matrix", lang) + (f" · {t('as_of', lang)} {as_of.isoformat()}" if as_of else "")
    fig = go.Figure()
    n = len(parties)
    _layout(fig, title=title, height=max(380, 170 + 44 * n))
    _legend_under_title(fig)
    if matrix.empty or not n:
        return _empty(fig, t("no_data", lang))
    labels = [_escape(names.get(p, p)) for p in parties]
    index = {p: i for i, p in enumerate(parties)}
    z = [[0] * n for _ in range(n)]
    text = [[""] * n for _ in range(n)]
    hover = [[""] * n for _ in range(n)]
    by_cell: dict[tuple[int, int], list[tuple]] = {}  # plain lists: a pandas group per cell is slow at scale
    if "since_date" not in matrix:
        matrix = matrix.assign(since_date=None, settled=True)
    columns = (matrix[c].tolist() for c in ("row_party", "col_party", "domain", "state", "since_date", "settled"))
    for row, col, domain, state, since, settled in zip(*columns, strict=True):
        if row in index and col in index:
            by_cell.setdefault((index[row], index[col]), []).append((domain, state, since, bool(settled)))
    for (i, j), cell in by_cell.items():
        z[i][j] = max(MATRIX_STATES.index(s) for _, s, _, _ in cell)
        # a matrix of many parties has cells too narrow for a domain's name: its marks only (the hover names it)
        text[i][j] = "<br>".join(
            f"{'' if n > MATRIX_NAMED_DOMAINS else _short_domain(d, lang)}{STATE_MARKS.get(s, '')}"
            f"{'' if settled else '?'}"
            for d, s, _, settled in cell
        )
        hover[i][j] = "<br>".join(
            f"{_escape(domain_label(d, lang))}: {_escape(t(s, lang))} {_escape(_since_text(since, settled, lang))}"
            for d, s, since, settled in cell
        )
    scale = [[k / 3, STATE_COLOURS[s]] for k, s in enumerate(MATRIX_STATES)]
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            zmin=0,
            zmax=3,
            colorscale=scale,
            showscale=False,
            xgap=2,
            ygap=2,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 11},
            hoverinfo="skip",
        )
    )
    cells = [(i, j) for i in range(n) for j in range(n) if z[i][j] > 0]
    fig.add_trace(
        go.Scatter(
            x=[labels[j] for _, j in cells],
            y=[labels[i] for i, _ in cells],
            mode="markers",
            marker={"symbol": "square", "size": 30, "opacity": 0},
            showlegend=False,
            customdata=[[parties[i], parties[j]] for i, j in cells],
            hovertext=[f"<b>{labels[i]} × {labels[j]}</b><br>{hover[i][j]}" for i, j in cells],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    for state in ("open", "planned", "closed"):  # a legend for the colours
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=f"{STATE_MARKS[state]} {t(state, lang)}",
                marker={"symbol": "square", "size": 12, "color": STATE_COLOURS[state]},
            )
        )
    fig.update_yaxes(autorange="reversed", title=None, automargin=True)
    # upright column labels: slanted ones of long English names overlap their neighbours
    fig.update_xaxes(side="bottom", title=None, tickangle=-90, automargin=True)
    fig.update_layout(plot_bgcolor="white")
    return fig


def _since_text(since, settled: bool, lang: str) -> str:
    """When a cell's state began, at its date's precision: "(2024)", or "(sometime in 2024)" while the
    as-of day falls inside that period, so that a link dated only to the year is never plainly open."""
    if not isinstance(since, str) or not since:
        return ""
    return f"({t('sometime_in', lang).format(period=since)})" if not settled else f"({since})"


def _short_domain(domain: str, lang: str) -> str:
    label = domain_label(domain, lang)
    return label.split(" ")[0] if lang != "en" else label


def circular_layout(nodes: pd.DataFrame) -> pd.DataFrame:
    """Nodes placed on a circle, grouped by group then by mentions, so members of a group sit together."""
    ordered = nodes.sort_values(["group", "mentions", "entity"], ascending=[True, False, True]).reset_index(drop=True)
    n = max(len(ordered), 1)
    angles = [math.pi / 2 - 2 * math.pi * i / n for i in range(len(ordered))]
    return ordered.assign(x=[math.cos(a) for a in angles], y=[math.sin(a) for a in angles])
