"""Helpers the query tests share: event frames written by hand, and the page's filters as plain SQL over
the raw tables (the reference the aggregate-based queries must match)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from hutong.normalise import to_simplified
from hutong.queries.filters import CorpusFilter
from hutong.timeline import period_start, precision


def synthetic_events(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["event_id", "kind", "a", "b", "a_group", "b_group", "domain", "action", "date"])
    frame["when"] = [period_start(d) for d in frame["date"]]
    frame["precision"] = [precision(d) for d in frame["date"]]
    frame["rule"] = "joined"
    frame["confidence"] = 0.9
    return frame


def raw_where(filt: CorpusFilter, *, dates: bool = True) -> tuple[str, list]:
    """The filters over `documents d` as plain SQL on the raw tables (ILIKE on titles, texts and sentences)."""
    local = "CAST(timezone('Asia/Shanghai', d.published_at) AS DATE)"
    clauses, params = ["TRUE"], []
    if dates and filt.date_from:
        clauses.append(f"{local} >= ?")
        params.append(filt.date_from)
    if dates and filt.date_to:
        clauses.append(f"{local} <= ?")
        params.append(filt.date_to)
    if filt.sources:
        clauses.append("list_contains(?, d.source)")
        params.append(list(filt.sources))
    if filt.entities:
        clauses.append("d.doc_id IN (SELECT doc_id FROM mentions WHERE list_contains(?, entity))")
        params.append(list(filt.entities))
    if filt.text:
        matches = []
        for needle in {filt.text, to_simplified(filt.text)}:
            like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            matches.append(
                "d.title ILIKE ? ESCAPE '\\' OR d.text ILIKE ? ESCAPE '\\' OR d.doc_id IN "
                "(SELECT doc_id FROM sentences WHERE text ILIKE ? ESCAPE '\\')"
            )
            params += [like] * 3
        clauses.append("(" + " OR ".join(matches) + ")")
    return " AND ".join(clauses), params


# Filters that take each way through the queries (aggregates alone, picked articles, most of the corpus).
FILTERS = {
    "none": CorpusFilter(),
    "dates": CorpusFilter(date_from=date(2025, 1, 1), date_to=date(2025, 2, 28)),
    "one source": CorpusFilter(sources=("测试日报", "电商报 (dsb.cn)")),  # a source of each store: some articles
    "every source": CorpusFilter(
        sources=("测试日报", "测试晚报", "电商报 (dsb.cn)", "華盛通 (hstong.com) reprinting 網經社")
    ),
    "entity": CorpusFilter(entities=("支付宝", "京东物流")),
    "text": CorpusFilter(text="京東"),
    "latin text": CorpusFilter(text="app"),
    "dates and source": CorpusFilter(
        date_from=date(2025, 2, 1), sources=("测试晚报", "華盛通 (hstong.com) reprinting 網經社")
    ),
}
