"""Hutong's page: lays out the dashboard and wires widgets to functions in src/hutong."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import streamlit as st

from hutong import charts
from hutong import queries as q
from hutong import view as v
from hutong.events import ACTIONS, DOMAINS
from hutong.lexicon import load_lexicon
from hutong.paths import PROCESSED_DIR, RAW_DIR
from hutong.pipeline import build_store

st.set_page_config(page_title="Hutong 互联互通", page_icon="🔗", layout="wide")

BUNDLED_STORE = Path(os.environ.get("HUTONG_STORE_DIR") or PROCESSED_DIR)
BUNDLED_RAW = Path(os.environ.get("HUTONG_RAW_DIR") or RAW_DIR)
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
FILTER_KEYS = ("sources", "entities", "domains", "actions", "text", "dates")
# What one run of the page draws at most, so it stays fast however large the corpus (each part says so).
TIMELINE_EVENTS = 1200
EVIDENCE_REPORTS = 50
READER_ROWS = 200


# ---- resources and cached queries ----------------------------------------------------------------------


@st.cache_resource
def lexicon():
    return load_lexicon()


@st.cache_resource(max_entries=16)
def connection(store_dir: str, built_at: str):
    return q.connect(store_dir)


@st.cache_resource
def stale_uploads_removed() -> int:
    """Once per server: upload folders left by an earlier server that was killed."""
    return q.remove_stale_uploads()


@st.cache_resource
def build_lock() -> threading.Lock:
    return threading.Lock()


@st.cache_data(show_spinner=False, max_entries=2000)
def ask(store_dir: str, built_at: str, query: str, **kwargs):
    """Any query of hutong.queries on one build of one store, cached by all of those and its arguments."""
    return getattr(q, query)(connection(store_dir, built_at), **kwargs)


def ensure_bundled_store(lang: str) -> str:
    """Build the bundled store on first load, or when data/raw changed since; returns its build stamp."""
    if q.store_is_stale(BUNDLED_STORE, BUNDLED_RAW):
        with build_lock():
            if q.store_is_stale(BUNDLED_STORE, BUNDLED_RAW):
                total = max(sum(1 for p in BUNDLED_RAW.rglob("*") if p.is_file()), 1)
                build_with_progress(
                    lambda progress: build_store(BUNDLED_RAW, BUNDLED_STORE, workers=1, progress=progress),
                    total=total,
                    lang=lang,
                )
    return q.built_at(BUNDLED_STORE)


def build_with_progress(build, *, total: int, lang: str):
    bar = st.progress(0.0, text=v.t("building", lang))
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        bar.progress(min(done / total, 1.0), text=f"{v.t('building', lang)} {done}")

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


def clear_filters() -> None:
    for key in FILTER_KEYS:
        st.session_state.pop(key, None)
    st.session_state.update(sources=[], entities=[], domains=[], actions=[], text="", event=None)
    if st.session_state.get("_bounds"):
        st.session_state.dates = st.session_state["_bounds"]
    sync_url()


def on_article_row() -> None:
    rows = st.session_state.article_table.selection.rows
    if rows:
        set_state(doc=st.session_state["_article_ids"][rows[0]])


# ---- the page --------------------------------------------------------------------------------------------


def main() -> None:
    if "_started" not in st.session_state:
        st.session_state.lang = url_view().lang
    if st.session_state.pop("_use_upload", False):
        st.session_state.corpus = "uploaded"
    lang = st.session_state.get("lang", "zh")
    lex = lexicon()
    names = v.entity_labels(lex.entities, {n: e.name_en for n, e in lex.entities.items()}, lang)
    groups = {n: e.group for n, e in lex.entities.items()}
    colours = charts.group_colours(list(groups.values()))

    store_dir, built = choose_corpus(lang)
    if problem := q.store_problem(store_dir):
        st.error(problem)
        st.stop()
    ctx = (str(store_dir), built)
    bounds = ask(*ctx, "date_bounds")
    as_of_range = ask(*ctx, "as_of_range")
    latest = as_of_range[1] if as_of_range else None
    source_options = ask(*ctx, "sources")
    entity_options = ask(*ctx, "entity_names_in_store")
    if "_started" not in st.session_state:
        start = url_view()  # the URL is read once, at the start of the session
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
    view = current_view()
    filt = view.corpus_filter(members_of=lex.members_of)
    bucket = q.resolve_bucket(view.bucket, *ask(*ctx, "filtered_span", filt=filt))

    header(ctx, lang, view)
    trends_section(ctx, lang, view, filt, bucket)
    entities_section(ctx, lang, view, filt, bucket, names, groups, colours, lex)
    timeline_section(ctx, lang, filt, names, groups)
    matrix_section(ctx, lang, view, filt, names, as_of_range)
    reader_section(ctx, lang, view, filt, names)
    sync_url()


def choose_corpus(lang: str) -> tuple[Path, str]:
    built = ensure_bundled_store(lang)
    private = st.session_state.get("private_store")
    if private and q.has_store(private):
        st.sidebar.radio(
            v.t("corpus", lang),
            ["bundled", "uploaded"],
            key="corpus",
            horizontal=True,
            format_func=lambda c: v.t(c, lang),
        )
        if st.session_state.get("corpus") == "uploaded":
            return Path(private), q.built_at(Path(private))
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
        v.t("language", lang),
        v.LANGS,
        key="lang",
        horizontal=True,
        format_func=lambda x: {"zh": "中文", "en": "English"}[x],
        on_change=on_language_change,
    )
    bar.header(v.t("filters", lang))
    if bounds and bounds[0] < bounds[1]:
        bar.date_input(v.t("dates", lang), key="dates", min_value=bounds[0], max_value=bounds[1], on_change=sync_url)
    choose = v.t("choose", lang)
    bar.multiselect(v.t("sources", lang), source_options, key="sources", on_change=sync_url, placeholder=choose)

    def entity_name(e: str) -> str:
        members = len(lex.members_of(e)) - 1 if e in lex.entities else 0
        return f"{names.get(e, e)} (+{members})" if members > 0 else names.get(e, e)

    bar.multiselect(
        v.t("entities", lang),
        entity_options,
        key="entities",
        format_func=entity_name,
        help=v.t("entities_help", lang),
        on_change=sync_url,
        placeholder=choose,
    )
    bar.multiselect(
        v.t("domains", lang),
        DOMAINS,
        key="domains",
        format_func=lambda d: v.domain_label(d, lang),
        on_change=sync_url,
        placeholder=choose,
    )
    bar.multiselect(
        v.t("actions", lang),
        ACTIONS,
        key="actions",
        format_func=lambda a: v.t(a, lang),
        on_change=sync_url,
        placeholder=choose,
    )
    bar.text_input(v.t("search", lang), key="text", on_change=sync_url)
    bar.button(v.t("reset", lang), on_click=clear_filters)
    upload_panel(lang)


def upload_panel(lang: str) -> None:
    limits = q.UploadLimits.from_env()
    if not limits.enabled:
        return
    stale_uploads_removed()
    with st.sidebar.expander(v.t("upload", lang)):
        st.caption(
            v.t("upload_help", lang)
            + " "
            + v.t("upload_limits", lang).format(files=limits.max_files, mb=round(limits.max_bytes / 2**20))
        )
        files = st.file_uploader(
            v.t("upload", lang),
            type=list(q.UPLOAD_FORMATS),
            accept_multiple_files=True,
            key="uploads",
            label_visibility="collapsed",
        )
        if outcomes := st.session_state.get("_upload_outcomes"):
            st.caption(v.t("upload_outcomes", lang))
            st.dataframe(v.upload_outcome_table(outcomes, lang), hide_index=True)
        if st.button(v.t("upload_build", lang), disabled=not files):
            try:
                store_dir = build_with_progress(
                    lambda progress: q.build_private_store(
                        [(f.name, f.getvalue()) for f in files], limits=limits, build=build_store, progress=progress
                    ),
                    total=len(files),
                    lang=lang,
                )
            except q.UploadRejected as problem:
                st.error(v.escape_markdown(str(problem)))
                return
            except Exception:  # a visitor sees what happened, never a traceback or a server path; the log has both
                logging.getLogger(__name__).exception("building an upload failed")
                st.error(v.t("upload_failed", lang))
                return
            previous = st.session_state.get("_private_corpus")
            if previous is not None:
                previous.discard()
            st.session_state._private_corpus = q.PrivateCorpus(store_dir)  # removed with the session
            st.session_state.private_store = str(store_dir)
            st.session_state._upload_outcomes = q.upload_outcomes(store_dir)
            st.session_state._use_upload = True
            st.rerun()


def header(ctx, lang: str, view: v.ViewState) -> None:
    st.title(v.t("title", lang))
    overview = ask(*ctx, "corpus_overview")
    cols = st.columns([1, 1, 3, 2.2, 1])
    undated = f" ({overview['undated']} {v.t('undated', lang)})" if overview["undated"] else ""
    scripts = " · ".join(f"{v.t(s, lang)} {n}" for s, n in overview["scripts"].items()) or "—"
    cols[0].metric(v.t("articles", lang), f"{overview['articles']}{undated}")
    cols[1].metric(v.t("sources", lang), overview["sources"])
    cols[2].metric(
        v.t("span", lang),
        v.span_text(overview["first"], overview["last"]),
        help=f"{overview['first']} – {overview['last']}",
    )
    cols[3].metric(v.t("scripts", lang), scripts)
    cols[4].metric(v.t("events", lang), overview["events"])
    with st.expander(v.t("share", lang)):
        st.caption(v.t("share_help", lang))
        params = view.to_query_params()
        st.code(v.query_string(params), language=None)
        if st.context.url:
            st.code(v.share_url(st.context.url, params), language=None)


def trends_section(ctx, lang: str, view: v.ViewState, filt: q.CorpusFilter, bucket: str) -> None:
    st.header(v.t("trends", lang))
    rising = ask(*ctx, "rising_terms", filt=filt, bucket=bucket)
    c1, c2, c3 = st.columns([2, 1, 3])
    c1.radio(
        v.t("measure", lang),
        q.MEASURES,
        key="measure",
        horizontal=True,
        on_change=sync_url,
        format_func=lambda m: v.t("per10k" if m == "per10k" else "share_articles", lang),
    )
    # A widget's labels must not change between reruns of one language: Streamlit keeps its value as the label.
    c2.selectbox(
        v.t("bucket", lang),
        ("auto", *q.BUCKETS),
        key="bucket",
        on_change=sync_url,
        format_func=lambda b: v.t(b, lang),
        help=f"{v.t('auto', lang)}: {v.t(bucket, lang)}",
    )
    options = list(dict.fromkeys([*view.terms, *rising, *ask(*ctx, "frequent_terms", filt=filt)]))
    c3.multiselect(
        v.t("terms", lang),
        options,
        key="terms",
        accept_new_options=True,
        on_change=sync_url,
        help=v.t("terms_help", lang),
        placeholder=" · ".join(rising[:5]),
    )
    terms = list(view.terms) or rising
    trends = ask(*ctx, "keyword_trends", filt=filt, terms=terms, bucket=bucket)
    event = st.plotly_chart(
        charts.keyword_trend_figure(trends, measure=view.measure, lang=lang),
        key="trend_chart",
        on_select="rerun",
        selection_mode="points",
        config=PLOTLY_CONFIG,
    )
    st.caption(v.t("click_point", lang))
    point = v.trend_point_from_selection(event)
    if point:
        term, day = point
        sentences = ask(*ctx, "term_in_context", filt=filt, term=term, bucket=bucket, bucket_start=day)
        with st.container(border=True):
            st.markdown(f"**{v.t('kwic', lang)}: {v.escape_markdown(term)} · {day}** ({len(sentences)})")
            st.html(v.kwic_html(sentences, term=term, lang=lang))
            for doc_id, title in v.articles_of(sentences).items():
                st.button(
                    v.open_article_label(title, lang),
                    key=f"kwic_read_{doc_id}",
                    on_click=set_state,
                    kwargs={"doc": doc_id},
                )
    st.download_button(
        f"{v.t('csv', lang)} · {v.t('trends', lang)}",
        q.csv_bytes(trends),
        "hutong-keyword-trends.csv",
        "text/csv",
        on_click="ignore",
    )


def entities_section(ctx, lang, view: v.ViewState, filt, bucket, names, groups, colours, lex) -> None:
    st.header(v.t("mentions", lang))
    left, right = st.columns(2)
    counts = ask(*ctx, "entity_counts", filt=filt, groups=groups)
    with left:
        st.plotly_chart(
            charts.entity_bar_figure(counts, names=names, lang=lang, colours=colours),
            key="entity_chart",
            on_select=lambda: on_entity_click("entity_chart"),
            selection_mode="points",
            config=PLOTLY_CONFIG,
        )
    nodes, edges = ask(*ctx, "entity_cooccurrence", filt=filt, groups=groups)
    with right:
        st.plotly_chart(
            charts.cooccurrence_figure(q.circular_layout(nodes), edges, names=names, lang=lang, colours=colours),
            key="network_chart",
            on_select=lambda: on_entity_click("network_chart"),
            selection_mode="points",
            config=PLOTLY_CONFIG,
        )
    st.caption(v.t("click_entity", lang))
    series = q.mention_series(view.entities, counts, members_of=lex.members_of)
    over_time = ask(*ctx, "entity_mentions_over_time", filt=filt, series=series, bucket=bucket)
    st.plotly_chart(
        charts.entity_trend_figure(over_time, names=names, lang=lang), key="entity_trend_chart", config=PLOTLY_CONFIG
    )
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        f"{v.t('csv', lang)} · {v.t('top_entities', lang)}",
        q.csv_bytes(counts),
        "hutong-entities.csv",
        "text/csv",
        on_click="ignore",
    )
    c2.download_button(
        f"{v.t('csv', lang)} · {v.t('network', lang)}",
        q.csv_bytes(edges),
        "hutong-cooccurrence.csv",
        "text/csv",
        on_click="ignore",
    )
    c3.download_button(
        f"{v.t('csv', lang)} · {v.t('entities_over_time', lang)}",
        q.csv_bytes(over_time),
        "hutong-entity-mentions.csv",
        "text/csv",
        on_click="ignore",
    )


def timeline_section(ctx, lang, filt, names, groups) -> None:
    st.header(v.t("timeline", lang))
    timeline = ask(
        *ctx, "timeline", filt=filt, groups=groups, until=ask(*ctx, "last_article_day"), max_events=TIMELINE_EVENTS
    )
    st.plotly_chart(
        charts.timeline_figure(timeline.bars, timeline.marks, timeline.events, names=names, lang=lang),
        key="timeline_chart",
        on_select=on_event_click,
        selection_mode="points",
        config=PLOTLY_CONFIG,
    )
    if timeline.rows < timeline.total_rows:
        st.caption(
            v.t("timeline_bounded", lang).format(
                rows=timeline.rows, total=timeline.total_rows, events=timeline.total_events
            )
        )
    st.caption(v.t("click_event", lang))
    chosen = ask(*ctx, "event", event_id=st.session_state.get("event"))
    if chosen:
        evidence_card(ctx, lang, names, chosen)
    c1, c2 = st.columns(2)
    # the data are made when the button is clicked (a callable), not on every run of the page
    c1.download_button(
        v.t("events_csv", lang),
        lambda: q.csv_bytes(ask(*ctx, "events", filt=filt)),
        "hutong-events.csv",
        "text/csv",
        on_click="ignore",
    )
    c2.download_button(
        v.t("events_json", lang),
        lambda: q.json_bytes(ask(*ctx, "events_with_reports", filt=filt)),
        "hutong-events.json",
        "application/json",
        on_click="ignore",
    )


def evidence_card(ctx, lang, names, event: dict) -> None:
    reports = ask(*ctx, "event_reports", event_ids=[event["event_id"]], limit=EVIDENCE_REPORTS)
    with st.container(border=True):
        st.html(v.evidence_card_html(event, reports, names=names, lang=lang))
        if event["reports"] > len(reports):
            st.caption(v.t("reports_bounded", lang).format(shown=len(reports), total=event["reports"]))
        c1, c2 = st.columns([1, 5])
        c1.button(v.t("close", lang), key="close_event", on_click=set_state, kwargs={"event": None})
        for doc_id, title in v.articles_of(reports).items():
            c2.button(
                v.open_article_label(title, lang),
                key=f"event_read_{doc_id}",
                on_click=set_state,
                kwargs={"doc": doc_id},
            )


def matrix_section(ctx, lang, view: v.ViewState, filt, names, as_of_range) -> None:
    st.header(v.t("matrix", lang))
    c1, c2 = st.columns([3, 1])
    c2.radio(
        v.t("level", lang),
        v.LEVELS,
        key="level",
        horizontal=True,
        format_func=lambda x: v.t(x, lang),
        on_change=sync_url,
    )
    as_of = as_of_range[1] if as_of_range else None
    if as_of_range and as_of_range[0] < as_of_range[1]:
        c1.slider(
            v.t("as_of", lang),
            min_value=as_of_range[0],
            max_value=as_of_range[1],
            key="as_of",
            on_change=sync_url,
            format="YYYY-MM-DD",
        )
        as_of = st.session_state.as_of
    if as_of is None:
        st.info(v.t("no_data", lang))
        return
    matrix = ask(*ctx, "interop_matrix", filt=filt, as_of=as_of, level=view.level)
    parties = ask(*ctx, "matrix_parties", filt=filt, level=view.level)
    event = st.plotly_chart(
        charts.interop_matrix_figure(matrix, parties, names=names, lang=lang, as_of=as_of),
        key="matrix_chart",
        on_select="rerun",
        selection_mode="points",
        config=PLOTLY_CONFIG,
    )
    st.caption(v.t("click_cell", lang))
    cell = v.matrix_cell_from_selection(event)
    if cell:
        behind = ask(*ctx, "cell_events", filt=filt, row=cell[0], col=cell[1], as_of=as_of, level=view.level)
        row, column = (v.escape_markdown(names.get(party, party)) for party in cell)
        st.markdown(f"**{row} × {column}**")
        if behind.empty:
            st.info(v.t("no_events_cell", lang))
        else:
            st.dataframe(behind, hide_index=True)
    st.download_button(
        f"{v.t('csv', lang)} · {v.t('matrix', lang)}",
        q.csv_bytes(matrix),
        "hutong-matrix.csv",
        "text/csv",
        on_click="ignore",
    )


def reader_section(ctx, lang, view: v.ViewState, filt, names) -> None:
    st.header(v.t("reader", lang))
    table = v.only_http_links(ask(*ctx, "articles", filt=filt, limit=READER_ROWS))
    total = ask(*ctx, "article_count", filt=filt)
    titles = v.articles_of(table, dated=True)
    st.session_state["_article_ids"] = list(titles)
    columns = {
        "title": v.t("title_col", lang),
        "source": v.t("source", lang),
        "published_at": v.t("published", lang),
        "script": v.t("script", lang),
        "chars": v.t("chars", lang),
        "event_reports": v.t("event_reports", lang),
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
            "url": st.column_config.LinkColumn(v.t("link", lang)),
            "published_at": st.column_config.DatetimeColumn(columns["published_at"], format="YYYY-MM-DD HH:mm"),
        },
    )
    if total > len(table):
        st.caption(v.t("reader_bounded", lang).format(shown=len(table), total=total))
    options = list(titles)
    if view.doc and view.doc not in titles:
        doc = ask(*ctx, "article", doc_id=view.doc)
        if doc:
            titles[view.doc] = v.article_title(doc["title"], doc["published_at"])
            options.insert(0, view.doc)
    if not options:
        st.info(v.t("no_data", lang))
        return
    if st.session_state.get("doc") not in options:
        st.session_state.doc = None
    st.selectbox(
        v.t("pick_article", lang),
        options,
        key="doc",
        format_func=titles.get,
        on_change=sync_url,
        placeholder=titles[options[0]],
    )
    doc = ask(*ctx, "article", doc_id=st.session_state.doc or options[0])  # the newest until one is picked
    if doc:
        spans = v.annotation_spans(ask(*ctx, "article_annotations", doc_id=doc["doc_id"]), names=names, lang=lang)
        with st.container(border=True, height=600):
            st.html(
                f"<small>{v.source_line(doc['title'], doc['source'], doc['published_at'], doc['url'], lang)}</small>"
            )
            st.html(v.article_html(doc["text"], spans))


main()
