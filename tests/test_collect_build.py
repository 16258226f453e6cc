"""A collected folder is read by `hutong build` as any folder: articles, their dates and sources, the report."""

from __future__ import annotations

import pytest

from hutong import store
from hutong.collect import REPORT_NAME, Sources, collect
from hutong.fetch import Politeness
from hutong.pipeline import build_store
from hutong.sources import source_spans
from news_site import SITE_NAME, serve

FAST = Politeness(rate=0, timeout=0.5, max_bytes=50_000, retries=1, backoff=0.01)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    collected = tmp_path_factory.mktemp("collected")
    with serve() as site:
        feeds = (site.url("/feeds/rss.xml"), site.url("/feeds/atom.xml"), site.url("/sitemap_index.xml"))
        collect(Sources(listings=feeds), collected, politeness=FAST)
    out = tmp_path_factory.mktemp("store") / "store"
    build_store(collected, out, workers=1)
    return out


def test_every_collected_article_is_in_the_store_with_its_date_and_source(built):
    documents = store.read_table(built, "documents").set_index("title")
    assert sorted(documents.index) == sorted(
        [
            "支付宝开放微信分享入口",
            "淘宝接入微信支付",
            "京东物流接入菜鸟驿站",
            "抖音开放外链跳转",
            "美团接入支付宝付款",
            "百度网盘链接可在微信打开",
        ]
    )
    days = documents["published_at"].dt.tz_convert("Asia/Shanghai").dt.strftime("%Y-%m-%d %H:%M")
    assert days.to_dict() == {
        "支付宝开放微信分享入口": "2025-03-01 08:00",
        "淘宝接入微信支付": "2025-04-10 08:00",
        "京东物流接入菜鸟驿站": "2025-05-06 08:00",
        "抖音开放外链跳转": "2025-06-18 10:30",
        "美团接入支付宝付款": "2025-07-02 09:00",
        "百度网盘链接可在微信打开": "2025-08-08 12:00",
    }
    assert set(documents["source"]) == {SITE_NAME}


def test_a_gbk_page_is_read_as_chinese_text(built):
    documents = store.read_table(built, "documents").set_index("title")
    assert "外卖订单可以使用支付宝付款" in documents.loc["美团接入支付宝付款", "text"]
    assert documents.loc["美团接入支付宝付款", "encoding"] == "gb18030"  # the superset of the gbk it declares


def test_the_build_reads_the_manifest_and_the_collect_report_as_descriptions_and_rejects_nothing(built):
    entries = {entry["path"]: entry for entry in store.read_report(built)["inputs"]}
    assert entries[REPORT_NAME]["status"] == entries["MANIFEST.csv"]["status"] == "manifest"
    assert entries[REPORT_NAME]["reason"] == "report of hutong collect (no articles)"
    assert not [entry for entry in entries.values() if entry["status"] == "rejected"]
    assert sum(entry["status"] == "ingested" for entry in entries.values()) == 6
    assert store.read_summary(built)["rejected"] == 0


def test_the_per_source_table_counts_the_collected_articles_and_their_span(built):
    with store.connected(built) as con:
        [row] = source_spans(con).to_dict("records")
    assert (row["source"], row["articles"], row["dated"]) == (SITE_NAME, 6, 6)
    assert (str(row["first_day"])[:10], str(row["last_day"])[:10]) == ("2025-03-01", "2025-08-08")
