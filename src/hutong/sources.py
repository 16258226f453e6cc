"""Per source (site), how many articles the store holds and the span of their publication dates."""

from __future__ import annotations

import duckdb
import pandas as pd

SOURCE_COLUMNS = ["source", "articles", "dated", "first_day", "last_day"]
UNNAMED_SOURCE = "(no source)"


def source_spans(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per source, most articles first: articles, how many of them are dated, and the first and last
    publication day (China time, as the page's trends count days; NaT when none is dated)."""
    return con.execute(
        """
        SELECT coalesce(nullif(trim(source), ''), ?) AS source,
               count(*) AS articles,
               count(published_at) AS dated,
               min(CAST(timezone('Asia/Shanghai', published_at) AS DATE)) AS first_day,
               max(CAST(timezone('Asia/Shanghai', published_at) AS DATE)) AS last_day
        FROM documents
        GROUP BY 1
        ORDER BY articles DESC, source
        """,
        [UNNAMED_SOURCE],
    ).df()[SOURCE_COLUMNS]
