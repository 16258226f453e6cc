"""The escaped HTML and Markdown the page shows: article text, evidence, sentences in context and links,
every character of untrusted text escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from hutong.china_time import CHINA_TIME_ZONE
from hutong.labels import (
    action_label,
    confidence_text,
    correction_text,
    date_explanation,
    domain_label,
    event_date_text,
    rule_label,
    t,
)

# ---- escaped Markdown ---------------------------------------------------------------------------------
# st.markdown and widget labels read Markdown: an article's title or a typed term must not become a link.

_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: str) -> str:
    """text shown as itself in Markdown: every ASCII punctuation mark (links, emphasis, raw HTML, Streamlit's
    :colour[...] and $math$) backslash-escaped, which CommonMark allows for all of them."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text))


def open_article_label(title, lang: str) -> str:
    """The label of a button that opens an article in the reader."""
    return f"{t('open_article', lang)}: {escape_markdown(title or '')}"


# ---- escaped HTML -------------------------------------------------------------------------------------
# Article text is untrusted (it may hold <script>): every character of it passes through html.escape.

MARK_STYLES = {
    "entity": "background:#fde68a;border-radius:3px;padding:0 1px",
    "time": "background:#bfdbfe;border-radius:3px;padding:0 1px",
    "party": "background:#fde68a;border-radius:3px;padding:0 1px;font-weight:600",
    "date": "background:#bfdbfe;border-radius:3px;padding:0 1px;font-weight:600",
    "term": "background:#fecaca;border-radius:3px;padding:0 1px;font-weight:600",
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # a key of MARK_STYLES
    title: str = ""


def spans_of(haystack: str, needles: Iterable[tuple[str, str, str]]) -> list[Span]:
    """Every occurrence of each (needle, kind, title) in haystack; longer needles win where they overlap."""
    found: list[Span] = []
    for needle, kind, title in sorted(needles, key=lambda n: -len(n[0] or "")):
        if not needle:
            continue
        start = haystack.find(needle)
        while start != -1:
            found.append(Span(start, start + len(needle), kind, title))
            start = haystack.find(needle, start + len(needle))
    return found


def marked_html(text: str, spans: Iterable[Span]) -> str:
    """text, escaped, with each span wrapped in <mark> (its title shown on hover); overlaps keep the first."""
    parts, position = [], 0
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if span.start < position or span.end > len(text) or span.start >= span.end:
            continue
        parts.append(html.escape(text[position : span.start]))
        position = span.end
        if span.kind == "markup":  # Markdown's own marks: shown as what they mean, never as raw characters
            parts.append(html.escape(span.title))
            continue
        title = f' title="{html.escape(span.title, quote=True)}"' if span.title else ""
        style = MARK_STYLES.get(span.kind, "")
        parts.append(f'<mark style="{style}"{title}>{html.escape(text[span.start : span.end])}</mark>')
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def highlighted_sentence(original: str, simplified: str | None, needles: Iterable[tuple[str, str, str]]) -> str:
    """The original-script sentence with needles (given in simplified script) marked.

    The simplified sentence has the same length as the original, so offsets found in it mark the original."""
    needles = list(needles)
    if simplified and len(simplified) == len(original):
        spans = spans_of(simplified, needles) + spans_of(original, needles)
    else:
        spans = spans_of(original, needles)
    return marked_html(original, spans)


def is_http_url(url) -> bool:
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def only_http_links(table: pd.DataFrame, *, column: str = "url") -> pd.DataFrame:
    """The table with every address that is not http(s) (javascript:, data: …) blanked, for a link column."""
    return table.assign(**{column: table[column].where(table[column].map(is_http_url))})


def link_html(url: str | None, label: str) -> str:
    """A link only for http(s) addresses; anything else is shown as plain escaped text."""
    if is_http_url(url):
        return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{html.escape(label)}</a>'
    return ""


def article_html(text: str, spans: Iterable[Span], *, markdown: bool = False) -> str:
    """An article's text, escaped, with its spans marked; with `markdown`, Markdown's marks (headings,
    emphasis, links, list bullets) shown as what they mean rather than as raw characters."""
    spans = [*spans, *(markdown_markup(text) if markdown else [])]
    return f'<div style="white-space:pre-wrap;line-height:1.8">{marked_html(text, spans)}</div>'


# Markdown's marks, each group a mark to drop (or replace) while the text between stays, with its offsets,
# so that the entity and time spans found in the raw text still fall on the right characters
_MARKDOWN_MARKS = (
    (re.compile(r"^(#{1,6} +)", re.M), ""),
    (re.compile(r"^(> ?)", re.M), ""),
    (re.compile(r"^([-*+] +)", re.M), "• "),
    (re.compile(r"(!?\[)[^\]\n]+(\]\((?:[^()\s]|\([^()\s]*\))*\))"), ""),
    (re.compile(r"(\*\*|__)(?=\S)[^\n]+?(?<=\S)(\*\*|__)"), ""),
    (re.compile(r"(?<![*\\])(\*)(?=[^\s*])[^*\n]+?(?<=[^\s*])(\*)(?!\*)"), ""),
    (re.compile(r"(`)[^`\n]+(`)"), ""),
)


def markdown_markup(text: str) -> list[Span]:
    """The spans of Markdown's marks in text (kind "markup", the title what to show instead)."""
    spans = []
    for pattern, shown in _MARKDOWN_MARKS:
        for match in pattern.finditer(text):
            spans += [Span(match.start(g), match.end(g), "markup", shown) for g in range(1, pattern.groups + 1)]
    return spans


def _when(value) -> str:
    """A publication time as China-time text labelled +08:00 (Beijing time), or only its day when the
    article gave a day without a time (stored as midnight China time); '' when unknown."""
    try:
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return ""
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(CHINA_TIME_ZONE)
        if stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return stamp.strftime("%Y-%m-%d %H:%M") + " +08:00"
    except (TypeError, ValueError):
        return ""


def publication_times(values) -> list[str]:
    """Publication times as the reader's table lists them (see _when)."""
    return [_when(v) for v in values]


def span_text(first: date | None, last: date | None) -> str:
    """A date span short enough for a header: the second date drops the year it shares with the first."""
    if not first or not last:
        return "—"
    if first.year == last.year:
        return f"{first.isoformat()} – {last.strftime('%m-%d')}"
    return f"{first.isoformat()} – {last.isoformat()}"


def source_line(title, source, published_at, url, lang: str) -> str:
    parts = [f"<b>{html.escape(str(title or ''))}</b>"]
    if isinstance(source, str) and source:
        parts.append(html.escape(source))
    when = _when(published_at)
    if when:
        parts.append(html.escape(when))
    link = link_html(url, t("link", lang))
    if link:
        parts.append(link)
    return " · ".join(parts)


def articles_of(rows, *, dated: bool = False) -> dict[str, str]:
    """The distinct articles (doc_id → title, with the day when dated) behind rows such as the
    keyword-in-context sentences, an event's reports or the reader's table."""
    return {
        r.doc_id: article_title(r.title, r.published_at) if dated else str(r.title or "") for r in rows.itertuples()
    }


def evidence_card_html(event: Mapping, reports, *, names: Mapping[str, str], lang: str) -> str:
    """One event's evidence: each report's sentence with both parties and the date text marked, its article,
    source, time and link; the report the timeline shows comes first."""
    parties = names.get(event["a"], event["a"])
    if isinstance(event.get("b"), str):
        parties += f" – {names.get(event['b'], event['b'])}"
    head = (
        f"<h4 style='margin:0 0 .3em 0'>{html.escape(parties)} · {html.escape(domain_label(event['domain'], lang))} · "
        f"{html.escape(action_label(event.get('kind'), event['action'], event.get('rule'), lang))}</h4>"
        f"<div>{t('date', lang)}: <b>{html.escape(event_date_text(event.get('date'), event.get('date_resolution')))}</b> · "
        f"{t('resolution', lang)}: {html.escape(date_explanation(event.get('date_resolution'), lang))}</div>"
        f"<div>{t('confidence', lang)}: <b>{confidence_text(event.get('confidence'))}</b>"
        + (f" · {t('rule', lang)}: {html.escape(rule_label(event.get('rule'), lang))}" if event.get("rule") else "")
        + "</div>"
        + (
            f"<div class='correction' style='color:#b91c1c'>{html.escape(correction_text(event, names=names, lang=lang))}</div>"
            if event.get("corrected")
            else ""
        )
    )
    items = []
    for number, r in enumerate(reports.itertuples()):
        needles = [(x, "party", t("parties", lang)) for x in (r.a_surface, r.b_surface) if isinstance(x, str)]
        if isinstance(r.date_text, str):
            needles.append((r.date_text, "date", f"{r.date} · {r.date_resolution}"))
        original = r.sentence_original if isinstance(r.sentence_original, str) else str(r.evidence)
        sentence = highlighted_sentence(
            original, r.sentence_simplified if isinstance(r.sentence_simplified, str) else None, needles
        )
        label = t("evidence", lang) if number == 0 else t("other_reports", lang) if number == 1 else ""
        items.append(
            (f"<div style='margin-top:.6em;font-weight:600'>{label}</div>" if label else "")
            + f"<blockquote style='margin:.3em 0;padding-left:.8em;border-left:3px solid #94a3b8'>{sentence}</blockquote>"
            + f"<small>{source_line(r.title, r.source, r.published_at, r.url, lang)}</small>"
        )
    return head + "".join(items)


def annotation_spans(annotations, *, names: Mapping[str, str], lang: str) -> list[Span]:
    """Spans for the reader: entities (name in the chosen language on hover) and times (resolved value)."""
    spans = []
    for a in annotations.itertuples():
        if a.kind == "entity":
            title = names.get(a.label, a.label)
        else:
            title = f"{a.label} · {a.detail}" if isinstance(a.detail, str) else str(a.label)
        spans.append(Span(int(a.start), int(a.end), a.kind, title))
    return spans


def article_title(title, published_at) -> str:
    when = _when(published_at)
    return f"{title or ''} · {when[:10]}" if when else str(title or "")


def concordance_html(lines, *, lang: str) -> str:
    """Keyword in context, one line per occurrence (hutong.queries.trends.term_concordance): its number, the
    left context right-aligned against the marked keyword and the right context, all as the article writes
    them, and the article's title, source, time and link below."""
    rows = []
    for line in lines.itertuples():
        rows.append(
            "<tr>"
            f'<td style="color:#64748b;vertical-align:top;padding-right:.5em">{int(line.occurrence)}</td>'
            f'<td style="text-align:right;white-space:nowrap;padding-right:.2em">{html.escape(str(line.left))}</td>'
            f'<td style="white-space:nowrap"><mark style="{MARK_STYLES["term"]}">{html.escape(str(line.keyword))}</mark></td>'
            f'<td style="white-space:nowrap;padding-left:.2em">{html.escape(str(line.right))}</td>'
            "</tr>"
            f'<tr><td></td><td colspan="3" style="padding-bottom:.5em"><small>'
            f"{source_line(line.title, line.source, line.published_at, line.url, lang)}</small></td></tr>"
        )
    return f'<div style="overflow-x:auto"><table style="border-collapse:collapse">{"".join(rows)}</table></div>'
