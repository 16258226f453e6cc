"""Hutong's page: lays out the dashboard and wires widgets to functions in src/hutong."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import streamlit as st

from hutong import charts, corrections, exports, freshness, labels, render, uploads
from hutong import view as v
from hutong.events import ACTIONS, DOMAINS
from hutong.lexicon import Lexicon, load_lexicon
from hutong.paths import PROCESSED_DIR, RAW_DIR
from hutong.pipeline import build_store
from hutong.queries import articles, corpus, entities, filters, matrix, timeline, trends

st.set_page_config(page_title="Hutong 互联互通", page_icon="🔗", layout="wide")

BUNDLED_STORE = Path(os.environ.get("HUTONG_STORE_DIR") or PROCESSED_DIR)
BUNDLED_RAW = Path(os.environ.get("HUTONG_RAW_DIR") or RAW_DIR)
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
FILTER_KEYS = ("sources", "entities", "domains", "actions", "text", "dates", "min_confidence")
# What one run of the page draws at most, so it stays fast however large the corpus (each part says so).
TIMELINE_EVENTS = 1200
EVIDENCE_REPORTS = 50
READER_ROWS = 200


# ---- resources and cached queries ----------------------------------------------------------------------


@st.cache_resource
def lexicon():
    return load_lexicon()


@st.cache_resource(max_entries=16)
def connection(store_dir: str, built_at: str, session_corrections: str = ""):
    """The store's connection, its events corrected by the store's corrections and then a session's (CSV
    text; a session's own connection, so no other visitor sees them)."""
    own = corrections.parse_corrections(session_corrections, source="session") if session_corrections else []
    groups = {n: e.group for n, e in lexicon().entities.items()}
    return filters.connect(store_dir, corrections=own, groups=groups)


@st.cache_resource
def stale_uploads_removed() -> int:
    """Once per server: upload folders left by an earlier server that was killed."""
    return uploads.remove_stale_uploads()


@st.cache_resource
def build_lock() -> threading.Lock:
    return threading.Lock()


@dataclass(frozen=True)
class StoreBuild:
    """One build of one store: what a cached answer is kept for."""

    store_dir: str
    built_at: str
    corrections: str = ""  # the session's corrections, as CSV text (hutong.corrections)


@dataclass(frozen=True)
class Page:
    """What the sections of one run of the page share: the store, the language, the view and its filter,
    and the lexicon's names, groups and colours."""

    build: StoreBuild
    lang: str
    view: v.ViewState
    filt: filters.CorpusFilter
    bucket: str
    names: Mapping[str, str]
    groups: Mapping[str, str]
    colours: Mapping[str, str]
    lexicon: Lexicon


@st.cache_data(show_spinner=False, max_entries=2000)
def _answer(store_dir: str, built_at: str, session_corrections: str, query_name: str, _query: Callable, **kwargs):
    return _query(connection(store_dir, built_at, session_corrections), **kwargs)


def ask(build: StoreBuild, query: Callable, **kwargs):
    """A query of hutong.queries (the function itself) on one build of one store, cached by the build, the
    query's name and its arguments."""
    name = f"{query.__module__}.{query.__qualname__}"
    return _answer(build.store_dir, build.built_at, build.corrections, name, query, **kwargs)


def ensure_bundled_store(lang: str) -> str:
    """Build the bundled store on first load, or when data/raw changed since; returns its build stamp."""
    if freshness.store_is_stale(BUNDLED_STORE, BUNDLED_RAW):
        with build_lock():
            if freshness.store_is_stale(BUNDLED_STORE, BUNDLED_RAW):
                total = max(sum(1 for p in BUNDLED_RAW.rglob("*") if p.is_file()), 1)
                try:
                    build_with_progress(
                        lambda progress: build_store(BUNDLED_RAW, BUNDLED_STORE, workers=1, progress=progress),
                        total=total,
                        lang=lang,
                    )
                except corrections.CorrectionsError as problem:  # the repository's file: name its bad line
                    st.error(render.escape_markdown(str(problem)))
                    st.stop()
    return freshness.built_at(BUNDLED_STORE)


def build_with_progress(build, *, total: int, lang: str):
    bar = st.progress(0.0, text=labels.t("building", lang))
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        bar.progress(min(done / total, 1.0), text=f"{labels.t('building', lang)} {done}")

    result = build(step)
    bar.empty()
    return result


# ---- view state: the URL read once into session state, written back on every change ------------------------


def current_view() -> v.ViewState:
    return v.ViewState.from_widget_values(
        st.session_state, bounds=st.session_state.get("_bounds"), latest=st.session_state.get("_latest")
    )


def url_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def sync_url() -> None:
    params = current_view().to_query_params()
    if v.query_string(params) != v.query_string(url_params()):
        st.query_params.from_dict(params)


def url_view() -> v.ViewState:
    return v.ViewState.from_query_params(url_params())


def opening_view() -> v.ViewState:
    """The URL's view, in the browser's language unless the URL names one."""
    return v.opening_view(url_params(), locale=st.context.locale)


def on_entity_click(chart_key: str) -> None:
    st.session_state.entities = list(
        v.entity_filter_from_selection(current_view(), st.session_state[chart_key]).entities
    )
    sync_url()


def on_event_click() -> None:
    event_id = v.event_from_selection(st.session_state.timeline_chart)
    if event_id:
        st.session_state.event = event_id
        sync_url()


def on_language_change() -> None:
    """Widgets keep their values as displayed labels, which the language changes: write every value back
    as data, so each widget shows the same choice in the new language."""
    view = current_view()
    st.session_state.update(
        view.widget_values(bounds=st.session_state.get("_bounds"), latest=st.session_state.get("_latest"))
    )
    sync_url()


def set_state(**values) -> None:
    st.session_state.update(values)
    sync_url()


def set_state_in(parts: tuple[str, ...], **values) -> None:
    """set_state for a click inside a fragment: reruns only the named parts of the page (fragment keys) and
    the share box, which shows the URL."""
    set_state(**values)
    st.rerun([*parts, "share"])


def on_trend_click() -> None:
    point = v.trend_point_from_selection(st.session_state.trend_chart)
    set_state(point_term=point[0] if point else None, point_at=point[1] if point else None)


def on_cell_click() -> None:
    cell = v.matrix_cell_from_selection(st.session_state.matrix_chart)
    set_state_in(("matrix",), cell_row=cell[0] if cell else None, cell_col=cell[1] if cell else None)


def clear_filters() -> None:
    for key in FILTER_KEYS:
        st.session_state.pop(key, None)
    st.session_state.update(sources=[], entities=[], domains=[], actions=[], text="", min_confidence=0.0, event=None)
    if st.session_state.get("_bounds"):
        st.session_state.dates = st.session_state["_bounds"]
    sync_url()


def on_article_row() -> None:
    rows = st.session_state.article_table.selection.rows
    if rows:
        set_state_in(("reader",), doc=st.session_state["_article_ids"][rows[0]])


# ---- the page --------------------------------------------------------------------------------------------


def main() -> None:
    if "_started" not in st.session_state:
        st.session_state.lang = opening_view().lang
    if st.session_state.pop("_use_upload", False):
        st.session_state.corpus = "uploaded"
    lang = st.session_state.get("lang", "zh")
    lex = lexicon()
    names = labels.entity_labels(lex.entities, {n: e.name_en for n, e in lex.entities.items()}, lang)
    groups = {n: e.group for n, e in lex.entities.items()}
    colours = charts.group_colours(list(groups.values()))

    store_dir, built = choose_corpus(lang)
    if problem := freshness.store_problem(store_dir):
        st.error(problem)
        st.stop()
    build = StoreBuild(str(store_dir), built, session_corrections())
    bounds = ask(build, corpus.date_bounds)
    as_of_range = ask(build, matrix.as_of_range)
    latest = as_of_range[1] if as_of_range else None
    source_options = ask(build, corpus.sources)
    entity_options = ask(build, corpus.entity_names_in_store)
    if "_started" not in st.session_state:
        start = opening_view()  # the URL is read once, at the start of the session
    elif (bounds, latest) != (st.session_state.get("_bounds"), st.session_state.get("_latest")):
        start = current_view()  # another corpus: the same view, read against the corpus it was chosen in
    else:
        start = None
    st.session_state["_bounds"], st.session_state["_latest"] = bounds, latest
    if start is not None:
        start = start.restricted_to(sources=source_options, entities=entity_options)
        st.session_state.update(start.widget_values(bounds=bounds, latest=latest))
        st.session_state._started = True
    keep_state_valid(source_options, entity_options, bounds, as_of_range)

    sidebar(lang, names, lex, source_options, entity_options, bounds)
    with st.sidebar.expander(labels.t("source_table", lang)):
        st.dataframe(labels.source_table(ask(build, corpus.source_spans), lang), hide_index=True)
    view = current_view()
    filt = view.corpus_filter(members_of=lex.members_of)
    bucket = corpus.resolve_bucket(view.bucket, *ask(build, corpus.filtered_span, filt=filt))

    page = Page(
        build=build,
        lang=lang,
        view=view,
        filt=filt,
        bucket=bucket,
        names=names,
        groups=groups,
        colours=colours,
        lexicon=lex,
    )
    header(page)
    trends_section(page)
    compare_section(page)
    entities_section(page)
    timeline_section(page)
    matrix_section(page, as_of_range)
    reader_section(page)
    sync_url()


def choose_corpus(lang: str) -> tuple[Path, str]:
    built = ensure_bundled_store(lang)
    private = st.session_state.get("private_store")
    if private and freshness.has_store(private):
        st.sidebar.radio(
            labels.t("corpus", lang),
            ["bundled", "uploaded"],
            key="corpus",
            horizontal=True,
            format_func=lambda c: labels.t(c, lang),
        )
        if st.session_state.get("corpus") == "uploaded":
            return Path(private), freshness.built_at(Path(private))
    return BUNDLED_STORE, built


def keep_state_valid(source_options, entity_options, bounds, as_of_range) -> None:
    """Drop widget values the current corpus cannot show (after switching corpus, or from an old link)."""
    state = st.session_state
    state.sources = [s for s in state.get("sources", []) if s in source_options]
    state.entities = [e for e in state.get("entities", []) if e in entity_options]
    dates = state.get("dates")
    if bounds and not (
        isinstance(dates, (tuple, list)) and len(dates) == 2 and all(bounds[0] <= d <= bounds[1] for d in dates)
    ):
        state.dates = bounds
    as_of = state.get("as_of")
    if as_of_range and not (as_of and as_of_range[0] <= as_of <= as_of_range[1]):
        state.as_of = as_of_range[1]


def sidebar(lang, names, lex, source_options, entity_options, bounds) -> None:
    bar = st.sidebar
    bar.radio(
        labels.t("language", lang),
        labels.LANGS,
        key="lang",
        horizontal=True,
        format_func=lambda x: {"zh": "中文", "en": "English"}[x],
        on_change=on_language_change,
    )
    bar.header(labels.t("filters", lang))
    if bounds and bounds[0] < bounds[1]:
        bar.date_input(
            labels.t("dates", lang), key="dates", min_value=bounds[0], max_value=bounds[1], on_change=sync_url
        )
    choose = labels.t("choose", lang)
    bar.multiselect(labels.t("sources", lang), source_options, key="sources", on_change=sync_url, placeholder=choose)

    def entity_name(e: str) -> str:
        members = len(lex.members_of(e)) - 1 if e in lex.entities else 0
        return f"{names.get(e, e)} (+{members})" if members > 0 else names.get(e, e)

    bar.multiselect(
        labels.t("entities", lang),
        entity_options,
        key="entities",
        format_func=entity_name,
        help=labels.t("entities_help", lang),
        on_change=sync_url,
        placeholder=choose,
    )
    bar.multiselect(
        labels.t("domains", lang),
        DOMAINS,
        key="domains",
        format_func=lambda d: labels.domain_label(d, lang),
        on_change=sync_url,
        placeholder=choose,
    )
    bar.multiselect(
        labels.t("actions", lang),
        ACTIONS,
        key="actions",
        format_func=lambda a: labels.t(a, lang),
        on_change=sync_url,
        placeholder=choose,
    )
    bar.slider(
        labels.t("min_confidence", lang),
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        key="min_confidence",
        help=labels.t("min_confidence_help", lang),
        on_change=sync_url,
    )
    bar.text_input(labels.t("search", lang), key="text", on_change=sync_url)
    bar.button(labels.t("reset", lang), on_click=clear_filters)
    upload_panel(lang)


def upload_panel(lang: str) -> None:
    limits = uploads.UploadLimits.from_env()
    if not limits.enabled:
        return
    stale_uploads_removed()
    with st.sidebar.expander(labels.t("upload", lang)):
        st.caption(
            labels.t("upload_help", lang)
            + " "
            + labels.t("upload_limits", lang).format(files=limits.max_files, mb=round(limits.max_bytes / 2**20))
        )
        files = st.file_uploader(
            labels.t("upload", lang),
            type=list(uploads.UPLOAD_FORMATS),
            accept_multiple_files=True,
            key="uploads",
            label_visibility="collapsed",
        )
        if outcomes := st.session_state.get("_upload_outcomes"):
            st.caption(labels.t("upload_outcomes", lang))
            st.dataframe(labels.upload_outcome_table(outcomes, lang), hide_index=True)
        if st.button(labels.t("upload_build", lang), disabled=not files):
            try:
                store_dir = build_with_progress(
                    lambda progress: uploads.build_private_store(
                        [(f.name, f.getvalue()) for f in files], limits=limits, build=build_store, progress=progress
                    ),
                    total=len(files),
                    lang=lang,
                )
            except uploads.UploadRejected as problem:
                st.error(render.escape_markdown(str(problem)))
                return
            except Exception:  # a visitor sees what happened, never a traceback or a server path; the log has both
                logging.getLogger(__name__).exception("building an upload failed")
                st.error(labels.t("upload_failed", lang))
                return
            previous = st.session_state.get("_private_corpus")
            if previous is not None:
                previous.discard()
            st.session_state._private_corpus = uploads.PrivateCorpus(store_dir)  # removed with the session
            st.session_state.private_store = str(store_dir)
            st.session_state._upload_outcomes = uploads.upload_outcomes(store_dir)
            st.session_state._use_upload = True
            st.rerun()


def header(page: Page) -> None:
    lang = page.lang
    st.title(labels.t("title", lang))
    overview = ask(page.build, corpus.corpus_overview)
    # four short numbers and the span, each in a column wide enough for its value (a metric cuts what does
    # not fit); the scripts and the undated articles go in a line below
    cols = st.columns([1, 1, 4, 1])
    undated = f" · {overview['undated']} {labels.t('undated', lang)}" if overview["undated"] else ""
    scripts = " · ".join(f"{labels.t(s, lang)} {n}" for s, n in overview["scripts"].items()) or "—"
    cols[0].metric(labels.t("articles", lang), overview["articles"])
    cols[1].metric(labels.t("sources", lang), overview["sources"])
    cols[2].metric(
        labels.t("span", lang),
        render.span_text(overview["first"], overview["last"]),
        help=f"{overview['first']} – {overview['last']}",
    )
    cols[3].metric(labels.t("events", lang), overview["events"])
    st.caption(f"{labels.t('scripts', lang)}: {scripts}{undated}")
    share_box(lang)


@st.fragment(key="share")
def share_box(lang: str) -> None:
    """The link to this view; a fragment, so a click inside another fragment can redraw it too."""
    with st.expander(labels.t("share", lang)):
        st.caption(labels.t("share_help", lang))
        params = current_view().to_query_params()
        st.code(v.query_string(params), language=None)
        if st.context.url:
            st.code(v.share_url(st.context.url, params), language=None)


def trends_section(page: Page) -> None:
    lang, view, filt, bucket = page.lang, page.view, page.filt, page.bucket
    st.header(labels.t("trends", lang))
    rising = ask(page.build, trends.rising_terms, filt=filt, bucket=bucket)
    c1, c2, c3 = st.columns([2, 1, 3])
    c1.radio(
        labels.t("measure", lang),
        trends.MEASURES,
        key="measure",
        horizontal=True,
        on_change=sync_url,
        format_func=lambda m: labels.measure_label(m, lang),
    )
    # A widget's labels must not change between reruns of one language: Streamlit keeps its value as the label.
    c2.selectbox(
        labels.t("bucket", lang),
        ("auto", *filters.BUCKETS),
        key="bucket",
        on_change=sync_url,
        format_func=lambda b: labels.t(b, lang),
        help=f"{labels.t('auto', lang)}: {labels.t(bucket, lang)}",
    )
    options = list(dict.fromkeys([*view.terms, *rising, *ask(page.build, trends.frequent_terms, filt=filt)]))
    c3.multiselect(
        labels.t("terms", lang),
        options,
        key="terms",
        accept_new_options=True,
        on_change=sync_url,
        help=labels.t("terms_help", lang),
        placeholder=" · ".join(rising[:5]),
    )
    terms = list(view.terms) or rising
    st.plotly_chart(
        charts.attention_figure(ask(page.build, corpus.attention, filt=filt, bucket=bucket), lang=lang),
        key="attention_chart",
        config=PLOTLY_CONFIG,
    )
    terms_over_time = ask(page.build, trends.keyword_trends, filt=filt, terms=terms, bucket=bucket)
    st.plotly_chart(
        charts.keyword_trend_figure(terms_over_time, measure=view.measure, lang=lang),
        key="trend_chart",
        on_select=on_trend_click,
        selection_mode="points",
        config=PLOTLY_CONFIG,
    )
    st.caption(labels.t("click_point", lang))
    point = view.clicked_point
    concordance_section(page, terms, point)
    st.download_button(
        f"{labels.t('csv', lang)} · {labels.t('trends', lang)}",
        exports.csv_bytes(terms_over_time),
        "hutong-keyword-trends.csv",
        "text/csv",
        on_click="ignore",
    )


CONCORDANCE_LINES = 20


def concordance_section(page: Page, terms: list[str], point: tuple[str, date] | None) -> None:
    """Every occurrence of a term in the filtered articles, a page at a time; a clicked trend point picks its
    term and, while "only the clicked period" is ticked, narrows the lines to its bucket."""
    lang, state = page.lang, st.session_state
    if point and state.get("_kwic_point") != point:
        state.update(_kwic_point=point, kwic_term=point[0], kwic_period=True, kwic_page=1)
    state.setdefault("kwic_term", None)
    with st.container(border=True):
        c1, c2 = st.columns([3, 2])
        c1.selectbox(
            labels.t("concordance", lang),
            list(dict.fromkeys([t for t in (state.kwic_term, *terms) if t])),
            key="kwic_term",
            accept_new_options=True,
            placeholder=labels.t("concordance_term", lang),
            help=labels.t("concordance_help", lang),
            on_change=lambda: state.update(kwic_page=1),
        )
        term = state.kwic_term
        if not term:
            return
        period = point if point and point[0] == term else None
        if period:
            c2.checkbox(
                labels.t("concordance_period", lang).format(period=period[1]),
                key="kwic_period",
                on_change=lambda: state.update(kwic_page=1),
            )
        day = period[1] if period and state.get("kwic_period") else None
        where = {"filt": page.filt, "term": term, "bucket": page.bucket, "bucket_start": day}
        found = ask(page.build, trends.term_occurrences, **where)
        if not found["occurrences"]:
            st.caption(labels.t("concordance_none", lang))
            return
        pages = -(-found["occurrences"] // CONCORDANCE_LINES)
        state.kwic_page = min(max(int(state.get("kwic_page") or 1), 1), pages)
        number = c2.number_input(f"{labels.t('page', lang)} (1–{pages})", 1, pages, key="kwic_page")
        lines = ask(page.build, trends.term_concordance, page=number, page_size=CONCORDANCE_LINES, **where)
        first = (number - 1) * CONCORDANCE_LINES + 1
        st.markdown(f"**{labels.t('kwic', lang)}: {render.escape_markdown(term)}{f' · {day}' if day else ''}**")
        st.caption(
            labels.t("concordance_count", lang).format(
                **found, first=first, last=min(first + CONCORDANCE_LINES - 1, found["occurrences"])
            )
        )
        st.html(render.concordance_html(lines, lang=lang))
        for doc_id, title in render.articles_of(lines).items():
            st.button(
                render.open_article_label(title, lang),
                key=f"kwic_read_{doc_id}",
                on_click=set_state,
                kwargs={"doc": doc_id},
            )


def compare_section(page: Page) -> None:
    """Two or more queries (words, phrases, boolean text, @entities) side by side over time, as a share of
    the period's articles or as articles; the queries are part of the view, so a link reopens them."""
    lang, view = page.lang, page.view
    st.subheader(labels.t("compare", lang))
    c1, c2 = st.columns([3, 1])
    entity_queries = [v.ENTITY_QUERY + e for e in ask(page.build, corpus.entity_names_in_store)]
    c1.multiselect(
        labels.t("compare_queries", lang),
        list(dict.fromkeys([*view.compare, *entity_queries])),
        key="compare",
        accept_new_options=True,
        max_selections=v.MAX_COMPARED,
        format_func=lambda q: v.query_label(q, page.names),
        help=labels.t("compare_help", lang),
        placeholder=labels.t("compare_empty", lang),
        on_change=sync_url,
    )
    c2.radio(
        labels.t("compare_measure", lang),
        v.COMPARE_MEASURES,
        key="compare_measure",
        format_func=lambda m: labels.measure_label(m, lang),
        on_change=sync_url,
    )
    queries = view.compared_filters(members_of=page.lexicon.members_of)
    if not queries:
        st.caption(labels.t("compare_empty", lang))
        return
    frame = ask(page.build, trends.compared_queries, filt=page.filt, queries=queries, bucket=page.bucket)
    names = {q: v.query_label(q, page.names) for q in queries}
    st.plotly_chart(
        charts.compare_figure(frame, measure=view.compare_measure, query_names=names, lang=lang),
        key="compare_chart",
        config=PLOTLY_CONFIG,
    )
    st.download_button(
        f"{labels.t('csv', lang)} · {labels.t('compare', lang)}",
        exports.csv_bytes(frame),
        "hutong-compare.csv",
        "text/csv",
        on_click="ignore",
    )


def entities_section(page: Page) -> None:
    lang, filt, names, groups, colours = page.lang, page.filt, page.names, page.groups, page.colours
    st.header(labels.t("mentions", lang))
    left, right = st.columns(2)
    counts = ask(page.build, entities.entity_counts, filt=filt, groups=groups)
    with left:
        st.plotly_chart(
            charts.entity_bar_figure(counts, names=names, lang=lang, colours=colours),
            key="entity_chart",
            on_select=lambda: on_entity_click("entity_chart"),
            selection_mode="points",
            config=PLOTLY_CONFIG,
        )
    nodes, edges = ask(page.build, entities.entity_cooccurrence, filt=filt, groups=groups)
    with right:
        st.plotly_chart(
            charts.cooccurrence_figure(charts.circular_layout(nodes), edges, names=names, lang=lang, colours=colours),
            key="network_chart",
            on_select=lambda: on_entity_click("network_chart"),
            selection_mode="points",
            config=PLOTLY_CONFIG,
        )
    st.caption(labels.t("click_entity", lang))
    series = entities.mention_series(page.view.entities, counts, members_of=page.lexicon.members_of)
    over_time = ask(page.build, entities.entity_mentions_over_time, filt=filt, series=series, bucket=page.bucket)
    st.plotly_chart(
        charts.entity_trend_figure(over_time, names=names, lang=lang, measure=page.view.measure),
        key="entity_trend_chart",
        config=PLOTLY_CONFIG,
    )
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        f"{labels.t('csv', lang)} · {labels.t('top_entities', lang)}",
        exports.csv_bytes(counts),
        "hutong-entities.csv",
        "text/csv",
        on_click="ignore",
    )
    c2.download_button(
        f"{labels.t('csv', lang)} · {labels.t('network', lang)}",
        exports.csv_bytes(edges),
        "hutong-cooccurrence.csv",
        "text/csv",
        on_click="ignore",
    )
    c3.download_button(
        f"{labels.t('csv', lang)} · {labels.t('entities_over_time', lang)}",
        exports.csv_bytes(over_time),
        "hutong-entity-mentions.csv",
        "text/csv",
        on_click="ignore",
    )


def timeline_section(page: Page) -> None:
    lang, filt, names = page.lang, page.filt, page.names
    st.header(labels.t("timeline", lang))
    until = ask(page.build, corpus.last_article_day)
    drawn = ask(page.build, timeline.timeline, filt=filt, groups=page.groups, until=until, max_events=TIMELINE_EVENTS)
    st.plotly_chart(
        charts.timeline_figure(drawn.bars, drawn.marks, drawn.events, names=names, lang=lang),
        key="timeline_chart",
        on_select=on_event_click,
        selection_mode="points",
        config=PLOTLY_CONFIG,
    )
    if drawn.rows < drawn.total_rows:
        st.caption(
            labels.t("timeline_bounded", lang).format(
                rows=drawn.rows, total=drawn.total_rows, events=drawn.total_events
            )
        )
    st.caption(labels.t("click_event", lang))
    evidence_card(page)
    corrections_panel(page)
    c1, c2 = st.columns(2)
    # the data are made when the button is clicked (a callable), not on every run of the page
    c1.download_button(
        labels.t("events_csv", lang),
        lambda: exports.csv_bytes(ask(page.build, exports.events_with_citations, filt=filt)),
        "hutong-events.csv",
        "text/csv",
        on_click="ignore",
    )
    c2.download_button(
        labels.t("events_json", lang),
        lambda: exports.json_bytes(ask(page.build, exports.events_with_reports, filt=filt)),
        "hutong-events.json",
        "application/json",
        on_click="ignore",
    )


@st.fragment(key="evidence")
def evidence_card(page: Page) -> None:
    lang, names = page.lang, page.names
    event = ask(page.build, timeline.event, event_id=st.session_state.get("event"))
    if not event:
        return
    reports = ask(page.build, timeline.event_reports, event_ids=[event["event_id"]], limit=EVIDENCE_REPORTS)
    with st.container(border=True):
        st.html(render.evidence_card_html(event, reports, names=names, lang=lang))
        if event["reports"] > len(reports):
            st.caption(labels.t("reports_bounded", lang).format(shown=len(reports), total=event["reports"]))
        c1, c2 = st.columns([1, 5])
        c1.button(
            labels.t("close", lang),
            key="close_event",
            on_click=set_state_in,
            args=(("evidence",),),
            kwargs={"event": None},
        )
        for doc_id, title in render.articles_of(reports).items():
            c2.button(
                render.open_article_label(title, lang),
                key=f"event_read_{doc_id}",
                on_click=set_state_in,
                args=(("reader",),),
                kwargs={"doc": doc_id},
            )
        correction_form(page, event)


# ---- analysts' corrections: held in the session (never written to the store) until downloaded ------------


def session_corrections() -> str:
    """The session's corrections as CSV text ('' for none): what its connection and cached answers are keyed by."""
    mine = st.session_state.get("_corrections", [])
    return corrections.corrections_csv(mine) if mine else ""


def add_corrections(added: list[corrections.Correction]) -> None:
    st.session_state["_corrections"] = [*st.session_state.get("_corrections", []), *added]


def on_correction(page: Page, event: dict) -> None:
    """The evidence card's correction form, submitted: a reject, a fix or a merge of the event shown."""
    state, key = st.session_state, event["event_id"]
    change, note = state[f"fix_change_{key}"], state.get(f"fix_note_{key}", "")
    try:
        if change == "merge":
            other = ask(page.build, timeline.event, event_id=state.get(f"fix_merge_{key}"))
            if other is None:
                state["_correction_problem"] = labels.t("merge_needs_target", page.lang)
                return
            added = corrections.merge_of(event, other, note=note)
        else:
            fixes = {} if change == "reject" else {f"new_{f}": state.get(f"fix_{f}_{key}") for f in corrections.FIXABLE}
            added = [corrections.correction_of(event, change=change, note=note, **fixes)]
    except corrections.CorrectionsError as problem:
        state["_correction_problem"] = f"{labels.t('correction_invalid', page.lang)}: {problem}"
        return
    add_corrections(added)
    if change != "fix":
        set_state(event=None)  # the event shown is gone (rejected) or may be another's (merged)
    st.rerun()  # the whole page: the timeline, the matrix and the exports read the corrected events


def correction_form(page: Page, event: dict) -> None:
    lang, names, key = page.lang, page.names, event["event_id"]
    if problem := st.session_state.pop("_correction_problem", None):
        st.error(render.escape_markdown(problem))
    with st.expander(labels.t("correct_event", lang)), st.form(f"correction_{key}", border=False):
        st.radio(
            labels.t("change", lang),
            corrections.CHANGES,
            key=f"fix_change_{key}",
            format_func=lambda c: labels.t(f"change_{c}", lang),
            horizontal=True,
        )
        parties = sorted({*page.lexicon.entities, *(p for p in (event["a"], event["b"]) if isinstance(p, str))})
        c1, c2, c3, c4, c5 = st.columns(5)
        for column, field in ((c1, "a"), (c2, "b")):
            if isinstance(event.get(field), str):
                column.selectbox(
                    labels.t(f"party_{field}", lang),
                    parties,
                    index=parties.index(event[field]),
                    key=f"fix_{field}_{key}",
                    format_func=lambda p: names.get(p, p),
                )
        c3.selectbox(
            labels.t("domain", lang),
            DOMAINS,
            index=DOMAINS.index(event["domain"]) if event["domain"] in DOMAINS else 0,
            key=f"fix_domain_{key}",
            format_func=lambda d: labels.domain_label(d, lang),
        )
        c4.selectbox(
            labels.t("action", lang),
            ACTIONS,
            index=ACTIONS.index(event["action"]) if event["action"] in ACTIONS else 0,
            key=f"fix_action_{key}",
            format_func=lambda a: labels.t(a, lang),
        )
        c5.text_input(
            labels.t("date", lang),
            value=event["date"] if isinstance(event.get("date"), str) else "",
            key=f"fix_date_{key}",
            help=labels.t("new_date_help", lang),
        )
        # the events of the view that share a party with this one: where a duplicate is (and a list that stays short)
        sharing = tuple(p for p in (event["a"], event["b"]) if isinstance(p, str))
        others = ask(page.build, timeline.events, filt=replace(page.filt, entities=sharing))
        others = others[others["event_id"] != key]
        titles = {
            e["event_id"]: " · ".join(
                [e["event_id"], " – ".join(names.get(p, p) for p in (e["a"], e["b"]) if isinstance(p, str))]
                + [labels.domain_label(e["domain"], lang), labels.t(e["action"], lang), str(e["date"] or "—")]
            )
            for e in others[["event_id", "a", "b", "domain", "action", "date"]].to_dict("records")
        }
        st.selectbox(
            labels.t("merge_target", lang),
            list(titles),
            index=None,
            key=f"fix_merge_{key}",
            format_func=titles.get,
            placeholder=labels.t("choose", lang),
        )
        st.text_area(labels.t("note", lang), key=f"fix_note_{key}", height=68)
        st.form_submit_button(labels.t("save_correction", lang), on_click=on_correction, args=(page, event))


def import_corrections(lang: str) -> None:
    upload = st.session_state.get("corrections_upload")
    if upload is None:
        return
    try:
        add_corrections(corrections.parse_corrections(upload.getvalue().decode("utf-8-sig"), source=upload.name))
    except (corrections.CorrectionsError, UnicodeDecodeError) as problem:
        st.session_state["_correction_problem"] = f"{labels.t('correction_invalid', lang)}: {problem}"


def corrections_panel(page: Page) -> None:
    """The session's corrections: listed, downloaded, imported, cleared; and those that change nothing."""
    lang, names = page.lang, page.names
    mine = st.session_state.get("_corrections", [])
    stale = ask(page.build, corrections.stale_corrections)
    with st.expander(f"{labels.t('my_corrections', lang)} ({len(mine)})", expanded=bool(mine) or not stale.empty):
        st.caption(labels.t("corrections_private", lang))
        if problem := st.session_state.pop("_correction_problem", None):
            st.error(render.escape_markdown(problem))
        if mine:
            st.dataframe(labels.corrections_table(mine, names=names, lang=lang), hide_index=True)
        if not stale.empty:
            st.warning(labels.t("corrections_stale", lang).format(n=len(stale)))
            stale_rows = [corrections.Correction(**r) for r in stale.drop(columns="reason").to_dict("records")]
            table = labels.corrections_table(stale_rows, names=names, lang=lang)
            for row, reason in zip(table, stale["reason"], strict=True):
                row[labels.t("reason", lang)] = labels.stale_reason(reason, lang)
            st.dataframe(table, hide_index=True)
        c1, c2 = st.columns(2)
        c1.download_button(
            labels.t("corrections_csv", lang),
            corrections.corrections_csv(mine).encode("utf-8-sig"),
            "hutong-corrections.csv",
            "text/csv",
            on_click="ignore",
            disabled=not mine,
        )
        c2.button(
            labels.t("corrections_clear", lang),
            on_click=st.session_state.update,
            kwargs={"_corrections": []},
            disabled=not mine,
        )
        if uploads.UploadLimits.from_env().enabled:  # an operator who turns uploads off turns off all of them
            st.file_uploader(
                labels.t("corrections_import", lang),
                type=["csv"],
                key="corrections_upload",
                on_change=import_corrections,
                args=(lang,),
            )


@st.fragment(key="matrix")
def matrix_section(page: Page, as_of_range: tuple[date, date] | None) -> None:
    lang, view, filt, names = page.lang, current_view(), page.filt, page.names
    st.header(labels.t("matrix", lang))
    c1, c2 = st.columns([3, 1])
    c2.radio(
        labels.t("level", lang),
        v.LEVELS,
        key="level",
        horizontal=True,
        format_func=lambda x: labels.t(x, lang),
        on_change=set_state_in,
        args=(("matrix",),),
        kwargs={"cell_row": None, "cell_col": None},  # a cell of one level is not a cell of the other
    )
    as_of = as_of_range[1] if as_of_range else None
    if as_of_range and as_of_range[0] < as_of_range[1]:
        c1.slider(
            labels.t("as_of", lang),
            min_value=as_of_range[0],
            max_value=as_of_range[1],
            key="as_of",
            on_change=set_state_in,
            args=(("matrix",),),
            kwargs={v.AS_OF_ASKED: None},
            format="YYYY-MM-DD",
        )
        as_of = st.session_state.as_of
    if as_of is not None and view.as_of and view.as_of > as_of:
        st.info(labels.t("after_last_article", lang).format(asked=view.as_of, last=as_of))
    if as_of is None:
        st.info(labels.t("no_data", lang))
        return
    states = ask(page.build, matrix.interop_matrix, filt=filt, as_of=as_of, level=view.level)
    every_party = ask(page.build, matrix.matrix_parties, filt=filt, level=view.level)
    # too many parties leave no room for their labels: the most active, and always those asked for
    parties = matrix.leading_parties(states, every_party, keep=[*filt.entities, *(view.clicked_cell or ())])
    st.plotly_chart(
        charts.interop_matrix_figure(states, parties, names=names, lang=lang, as_of=as_of),
        key="matrix_chart",
        on_select=on_cell_click,
        selection_mode="points",
        config=PLOTLY_CONFIG,
    )
    st.caption(labels.t("click_cell", lang))
    if len(parties) < len(every_party):
        st.caption(labels.t("matrix_top_parties", lang).format(shown=len(parties), total=len(every_party)))
    cell = view.clicked_cell
    if cell:
        behind = ask(page.build, matrix.cell_events, filt=filt, row=cell[0], col=cell[1], as_of=as_of, level=view.level)
        row, column = (render.escape_markdown(names.get(party, party)) for party in cell)
        st.markdown(f"**{row} × {column}**")
        if behind.empty:
            st.info(labels.t("no_events_cell", lang))
        else:
            st.dataframe(labels.cell_events_table(behind, names=names, lang=lang), hide_index=True)
    st.download_button(
        f"{labels.t('csv', lang)} · {labels.t('matrix', lang)}",
        exports.csv_bytes(states),
        "hutong-matrix.csv",
        "text/csv",
        on_click="ignore",
    )


@st.fragment(key="reader")
def reader_section(page: Page) -> None:
    lang, view, filt, names = page.lang, current_view(), page.filt, page.names
    st.header(labels.t("reader", lang))
    table = render.only_http_links(ask(page.build, articles.articles, filt=filt, limit=READER_ROWS))
    titles = render.articles_of(table, dated=True)
    table = table.assign(
        published_at=render.publication_times(table["published_at"]),
        script=[labels.t(s, lang) if isinstance(s, str) else s for s in table["script"]],
    )
    total = ask(page.build, articles.article_count, filt=filt)
    st.session_state["_article_ids"] = list(titles)
    columns = {
        "title": labels.t("title_col", lang),
        "source": labels.t("source", lang),
        "published_at": labels.t("published", lang),
        "script": labels.t("script", lang),
        "chars": labels.t("chars", lang),
        "event_reports": labels.t("event_reports", lang),
    }
    st.dataframe(
        table,
        hide_index=True,
        key="article_table",
        on_select=on_article_row,
        selection_mode="single-row",
        column_config={
            **columns,
            "doc_id": None,
            "url": st.column_config.LinkColumn(labels.t("link", lang)),
            "published_at": st.column_config.TextColumn(columns["published_at"], help=labels.t("china_time", lang)),
        },
    )
    if total > len(table):
        st.caption(labels.t("reader_bounded", lang).format(shown=len(table), total=total))
    st.download_button(
        labels.t("articles_csv", lang).format(total=total),
        lambda: exports.csv_bytes(ask(page.build, exports.matching_articles, filt=filt)),
        "hutong-articles.csv",
        "text/csv",
        key="articles_csv",
        on_click="ignore",
    )
    options = list(titles)
    if view.doc and view.doc not in titles:
        doc = ask(page.build, articles.article, doc_id=view.doc)
        if doc:
            titles[view.doc] = render.article_title(doc["title"], doc["published_at"])
            options.insert(0, view.doc)
    if not options:
        st.info(labels.t("no_data", lang))
        return
    if st.session_state.get("doc") not in options:
        st.session_state.doc = None
    st.selectbox(
        labels.t("pick_article", lang),
        options,
        key="doc",
        format_func=titles.get,
        on_change=set_state_in,
        args=(("reader",),),
        placeholder=titles[options[0]],
    )
    doc = ask(page.build, articles.article, doc_id=st.session_state.doc or options[0])  # the newest until one is picked
    if doc:
        spans = render.annotation_spans(
            ask(page.build, articles.article_annotations, doc_id=doc["doc_id"]), names=names, lang=lang
        )
        with st.container(border=True, height=600):
            st.html(
                f"<small>{render.source_line(doc['title'], doc['source'], doc['published_at'], doc['url'], lang)}</small>"
            )
            st.html(render.article_html(doc["text"], spans, markdown=doc.get("format") == "md"))


main()
