"""The page's view state: the filters as a dataclass, to and from URL query parameters, chart clicks into
filters, the interface's words in both languages, and the escaped HTML the page shows. No Streamlit here."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd

from hutong.events import ACTIONS, DOMAINS
from hutong.queries import BUCKETS, MEASURES, CorpusFilter

LANGS = ("zh", "en")
LEVELS = ("entity", "group")


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
    terms: tuple[str, ...] = ()  # terms added to the trend chart
    measure: str = "per10k"
    bucket: str = "auto"
    as_of: date | None = None  # None: the latest date
    level: str = "entity"
    doc: str | None = None  # the article open in the reader
    event: str | None = None  # the event whose evidence card is open

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
            terms=many("term")[:20],
            measure=choice("measure", MEASURES, "per10k"),
            bucket=choice("bucket", ("auto", *BUCKETS), "auto"),
            as_of=_parse_date(one("asof")),
            level=choice("level", LEVELS, "entity"),
            doc=one("doc"),
            event=one("event"),
        )

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
        )

    def widget_values(self, *, bounds: tuple[date, date] | None, latest: date | None) -> dict[str, Any]:
        """The value of each widget showing this view, by widget key."""
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("sources", "entities", "domains", "actions", "terms"):
            values[key] = list(values[key])
        del values["date_from"], values["date_to"]
        if bounds:
            low, high = bounds
            values["dates"] = (_clamp(self.date_from or low, bounds), _clamp(self.date_to or high, bounds))
        if latest:
            values["as_of"] = min(self.as_of or latest, latest)
        return values

    @classmethod
    def from_widget_values(
        cls, values: Mapping[str, Any], *, bounds: tuple[date, date] | None, latest: date | None
    ) -> ViewState:
        """The view the widgets show; a date range over the whole corpus and the latest as-of day are defaults."""
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in values:
                value = values[f.name]
                kwargs[f.name] = tuple(value) if isinstance(value, list) else value
        dates = values.get("dates")
        if bounds and isinstance(dates, (tuple, list)) and len(dates) == 2:
            kwargs["date_from"] = dates[0] if dates[0] != bounds[0] else None
            kwargs["date_to"] = dates[1] if dates[1] != bounds[1] else None
        if kwargs.get("as_of") == latest:
            kwargs["as_of"] = None
        kwargs["text"] = (kwargs.get("text") or "").strip()
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
    "terms": "term",
    "measure": "measure",
    "bucket": "bucket",
    "as_of": "asof",
    "level": "level",
    "doc": "doc",
    "event": "event",
}


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


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


# ---- words of the interface --------------------------------------------------------------------------

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Hutong 互联互通 · 平台互联互通新闻看板", "Hutong 互联互通 · platform interoperability in the news"),
    "articles": ("文章", "Articles"),
    "sources": ("来源", "Sources"),
    "span": ("时间跨度", "Date span"),
    "scripts": ("文字", "Scripts"),
    "events": ("事件", "Events"),
    "filters": ("筛选", "Filters"),
    "language": ("界面语言", "Language"),
    "corpus": ("语料", "Corpus"),
    "bundled": ("内置语料", "Bundled corpus"),
    "uploaded": ("我上传的文章", "My uploaded articles"),
    "dates": ("日期范围", "Date range"),
    "entities": ("实体或集团", "Entities or groups"),
    "entities_help": (
        "选择集团（如阿里巴巴）即包含其全部成员（淘宝、天猫、支付宝、菜鸟……）",
        "A group (e.g. Alibaba) includes all its members (Taobao, Tmall, Alipay, Cainiao …)",
    ),
    "domains": ("事件领域", "Event domains"),
    "actions": ("事件动作", "Event actions"),
    "search": ("全文搜索", "Search the text"),
    "share": ("分享此视图", "Share this view"),
    "share_help": ("复制此链接即可重新打开完全相同的视图：", "Copy this link to reopen exactly this view:"),
    "reset": ("清除筛选", "Clear filters"),
    "trends": ("关键词趋势", "Keyword trends"),
    "measure": ("度量", "Measure"),
    "per10k": ("每万词出现次数", "per 10,000 tokens"),
    "share_articles": ("文章占比", "share of articles"),
    "bucket": ("时间粒度", "Time bucket"),
    "auto": ("自动", "auto"),
    "day": ("日", "day"),
    "week": ("周", "week"),
    "month": ("月", "month"),
    "quarter": ("季度", "quarter"),
    "terms": ("关键词（可添加）", "Terms (add any)"),
    "terms_help": ("默认显示筛选范围内上升最快的词", "By default, the terms rising most in the filtered span"),
    "click_point": ("点击图中的点，查看其背后的句子。", "Click a point to see the sentences behind it."),
    "kwic": ("上下文", "In context"),
    "mentions": ("实体提及", "Entity mentions"),
    "top_entities": ("提及最多的实体", "Most mentioned entities"),
    "entities_over_time": ("实体提及趋势", "Mentions over time"),
    "network": ("同句共现网络", "Co-occurrence in sentences"),
    "click_entity": ("点击实体即可按其筛选整页。", "Click an entity to filter the page to it."),
    "timeline": ("合作时间线", "Partnership timeline"),
    "click_event": ("点击事件查看证据。", "Click an event to see its evidence."),
    "timeline_bounded": (
        "只画出报道最多的 {rows} 行（共 {total} 行、{events} 个事件）；按实体或领域筛选可看到其他行。",
        "Drawing the {rows} rows with the most reports (of {total} rows, {events} events); "
        "filter by entity or domain to see the others.",
    ),
    "reports_bounded": ("列出前 {shown} 篇报道（共 {total} 篇）。", "Listing the first {shown} of {total} reports."),
    "reader_bounded": (
        "列出最新的 {shown} 篇（共 {total} 篇）；缩小筛选范围可看到更早的文章。",
        "Listing the newest {shown} of {total} articles; narrow the filters to reach older ones.",
    ),
    "evidence": ("证据", "Evidence"),
    "other_reports": ("同一事件的其他报道", "Other reports of the same event"),
    "close": ("关闭", "Close"),
    "matrix": ("互联互通矩阵", "Interoperability matrix"),
    "as_of": ("截至日期", "As of"),
    "level": ("粒度", "Level"),
    "entity": ("实体", "entities"),
    "group": ("集团", "groups"),
    "click_cell": ("点击单元格查看其背后的事件。", "Click a cell to list the events behind it."),
    "reader": ("文章阅读", "Article reader"),
    "pick_article": ("选择文章", "Pick an article"),
    "open_article": ("阅读全文", "Read the article"),
    "exports": ("导出", "Exports"),
    "csv": ("CSV", "CSV"),
    "events_csv": ("事件 CSV", "Events CSV"),
    "events_json": ("事件 JSON", "Events JSON"),
    "upload": ("上传你自己的文章", "Your own articles"),
    "upload_help": (
        "仅在本次浏览会话中可见；内置语料不会改变。",
        "Visible in this browser session only; the bundled corpus is never changed.",
    ),
    "upload_build": ("处理上传的文章", "Process the uploaded files"),
    "upload_outcomes": ("每个上传文件的处理结果", "What became of each uploaded file"),
    "upload_failed": (
        "处理上传的文章时出错，未能建立语料。请检查文件后重试。",
        "Processing the uploaded files failed, and no corpus was made. Check the files and try again.",
    ),
    "upload_file": ("文件", "File"),
    "upload_row": ("行", "Row"),
    "upload_status": ("结果", "Result"),
    "upload_reason": ("说明", "Reason"),
    "status_ingested": ("已收录", "ingested"),
    "status_duplicate": ("重复", "duplicate"),
    "status_rejected": ("未收录", "rejected"),
    "upload_limits": ("上限：{files} 个文件，共 {mb} MB", "Limits: {files} files, {mb} MB in all"),
    "building": ("正在处理文章……", "Processing articles …"),
    "no_data": ("当前筛选下没有数据。", "No data for the current filters."),
    "source": ("来源", "Source"),
    "published": ("发布时间", "Published"),
    "link": ("链接", "Link"),
    "date": ("日期", "Date"),
    "resolution": ("日期依据", "How the date was resolved"),
    "precision": ("精度", "Precision"),
    "count": ("次数", "Count"),
    "legend": ("图例", "Legend"),
    "undated": ("篇无发布时间", "undated"),
    "milestone": ("监管/里程碑", "milestone"),
    "open": ("开通", "open"),
    "closed": ("关闭", "closed"),
    "planned": ("计划", "planned"),
    "none": ("无", "none"),
    "start": ("开通", "start"),
    "end": ("中断", "end"),
    "end_without_start": ("中断（未知开始）", "end, start unknown"),
    "still_open": ("至今（最后一篇文章）", "still open (last article)"),
    "inherited": ("开始取自集团层面的事件", "start taken from the group-level event"),
    "year": ("年", "year"),
    "simplified": ("简体", "simp."),
    "traditional": ("繁体", "trad."),
    "mixed": ("简繁混合", "mixed"),
    "choose": ("请选择", "Choose options"),
    "title_col": ("标题", "title"),
    "script": ("文字", "script"),
    "chars": ("字数", "characters"),
    "event_reports": ("事件报道", "event reports"),
    "mentions_axis": ("提及次数", "mentions"),
    "mentions_per10k": ("每万词提及", "mentions per 10,000 tokens"),
    "sentences": ("共现句子数", "shared sentences"),
    "domain": ("领域", "domain"),
    "action": ("动作", "action"),
    "parties": ("双方", "parties"),
    "event_id": ("事件编号", "event"),
    "no_events_cell": ("该单元格在此日期之前没有事件。", "No events for this cell up to that date."),
}
_DOMAIN_ZH = {
    "payment": "支付",
    "logistics": "物流",
    "traffic": "流量",
    "storefront": "店铺",
    "capital": "资本",
    "other": "其他",
    "milestone": "里程碑",
}


def t(key: str, lang: str) -> str:
    """The interface's word for key in the language ("zh" or "en"); the key itself when unknown."""
    pair = _TEXT.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def upload_outcome_table(outcomes: list[dict], lang: str) -> list[dict]:
    """queries.upload_outcomes as the upload panel lists them: one row a file (or a file's row), labelled in
    the page's language."""
    return [
        {
            t("upload_file", lang): o["file"],
            t("upload_row", lang): "" if o["row"] is None else str(o["row"]),
            t("upload_status", lang): t(f"status_{o['status']}", lang),
            t("upload_reason", lang): o["reason"],
        }
        for o in outcomes
    ]


def domain_label(domain: str, lang: str) -> str:
    return domain if lang == "en" else f"{_DOMAIN_ZH.get(domain, domain)} {domain}"


def entity_label(name: str, names_en: Mapping[str, str], lang: str) -> str:
    """An entity in the chosen language: the lexicon's English name, else the Chinese one."""
    if lang == "en":
        return names_en.get(name) or name
    return name


def entity_labels(names: Iterable[str], names_en: Mapping[str, str], lang: str) -> dict[str, str]:
    return {n: entity_label(n, names_en, lang) for n in names if isinstance(n, str)}


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
        title = f' title="{html.escape(span.title, quote=True)}"' if span.title else ""
        style = MARK_STYLES.get(span.kind, "")
        parts.append(f'<mark style="{style}"{title}>{html.escape(text[span.start : span.end])}</mark>')
        position = span.end
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


def article_html(text: str, spans: Iterable[Span]) -> str:
    return f'<div style="white-space:pre-wrap;line-height:1.8">{marked_html(text, spans)}</div>'


def _when(value) -> str:
    """A publication time as China-time text; '' when unknown."""
    try:
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return ""
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("Asia/Shanghai")
        return stamp.strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return ""


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


def kwic_html(sentences, *, term: str, lang: str) -> str:
    """Keyword in context: each sentence (original script) with the term marked, under its article."""
    items = []
    for s in sentences.itertuples():
        sentence = highlighted_sentence(str(s.original), str(s.text), [(term, "term", term)])
        items.append(
            f'<li style="margin-bottom:.6em">{sentence}<br><small>'
            f"{source_line(s.title, s.source, s.published_at, s.url, lang)}</small></li>"
        )
    return "<ol>" + "".join(items) + "</ol>"


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
        f"{html.escape(t(event['action'], lang))}</h4>"
        f"<div>{t('date', lang)}: <b>{html.escape(str(event.get('date') or '—'))}</b> · "
        f"{t('resolution', lang)}: {html.escape(str(event.get('date_resolution') or ''))}</div>"
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
