"""Tests of analysts' corrections: reading and checking the CSV, finding each correction's event across
rebuilds, and applying a reject, a fix or a merge to the events the timeline, the matrix and the exports read."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from hutong import corrections as corr
from hutong import labels
from hutong.cli import main
from hutong.exports import events_with_citations
from hutong.lexicon import load_lexicon
from hutong.pipeline import build_store
from hutong.queries import filters, matrix, timeline

# Five short articles: a payment link (reported again a month later, with another date), a logistics link,
# a payment partnership, and a traffic link closed.
ARTICLES = [
    {
        "title": "淘宝接入微信支付",
        "source": "测试日报",
        "published_at": "2024-03-06T09:00:00+08:00",
        "text": "2024年3月5日，淘宝正式接入微信支付。",
    },
    {
        "title": "京东物流接入菜鸟驿站",
        "source": "测试日报",
        "published_at": "2024-05-10T09:00:00+08:00",
        "text": "2023年8月，京东物流正式接入菜鸟驿站。",
    },
    {
        "title": "抖音与支付宝合作",
        "source": "测试晚报",
        "published_at": "2024-07-02T09:00:00+08:00",
        "text": "2024年7月1日，抖音宣布与支付宝展开合作。",
    },
    {
        "title": "微信关闭京东入口",
        "source": "测试晚报",
        "published_at": "2024-09-20T09:00:00+08:00",
        "text": "9月18日，微信关闭京东购物一级入口，流量合作结束。",
    },
    {
        "title": "淘宝与微信支付打通",
        "source": "测试周刊",
        "published_at": "2024-10-08T09:00:00+08:00",
        "text": "今年4月，淘宝打通了微信支付。",
    },
]
GROUPS = {n: e.group for n, e in load_lexicon().entities.items()}


def write_articles(raw: Path, articles: list[dict]) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    lines = (json.dumps(article, ensure_ascii=False) for article in articles)
    (raw / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corrections")
    write_articles(folder / "raw", ARTICLES)
    build_store(folder / "raw", folder / "store", workers=1, corrections_path=None)
    return folder / "store"


def event_of(con, a: str, b: str, *, date_prefix: str = "") -> dict:
    """The one event between a and b (either order) whose date starts with date_prefix."""
    frame = con.execute(
        "SELECT * FROM events WHERE least(a, b) = least(?, ?) AND greatest(a, b) = greatest(?, ?) "
        "AND starts_with(date, ?)",
        [a, b, a, b, date_prefix],
    ).df()
    assert len(frame) == 1, frame
    return frame.iloc[0].to_dict()


def connected(store_dir: Path, corrections: list[corr.Correction]):
    return filters.connect(store_dir, corrections=corrections, groups=GROUPS)


def test_an_uncorrected_event_says_so_and_keeps_no_old_values(store_dir):
    con = connected(store_dir, [])
    frame = con.execute("SELECT * FROM events").df()
    assert not frame["corrected"].any()
    assert frame[list(corr.EXTRACTED)].isna().all().all()  # the extractor's values stand
    assert corr.stale_corrections(con).empty


def test_a_rejected_event_leaves_the_timeline_and_opens_no_link_in_the_matrix(store_dir):
    plain = connected(store_dir, [])
    event = event_of(plain, "抖音", "支付宝")
    as_of = date(2024, 12, 31)
    before = matrix.interop_matrix(plain, filters.NO_FILTER, as_of=as_of)
    assert ((before["row_party"] == "抖音") & (before["state"] == "open")).any()

    con = connected(store_dir, [corr.correction_of(event, change="reject", note="只是传闻")])
    assert event["event_id"] not in set(timeline.events(con, filters.NO_FILTER)["event_id"])
    after = matrix.interop_matrix(con, filters.NO_FILTER, as_of=as_of)
    assert not (after["row_party"] == "抖音").any()
    assert event["event_id"] not in set(events_with_citations(con, filters.NO_FILTER)["event_id"])


def test_a_fixed_date_moves_the_event_in_the_matrix_and_says_what_changed(store_dir):
    event = event_of(connected(store_dir, []), "京东物流", "菜鸟")
    assert event["date"] == "2023-08"
    fix = corr.correction_of(event, change="fix", new_date="2024-06", note="原文年份有误")
    con = connected(store_dir, [fix])
    fixed = timeline.event(con, event["event_id"])
    assert (fixed["date"], fixed["was_date"], fixed["corrected"]) == ("2024-06", "2023-08", True)
    assert fixed["date_resolution"] == corr.DATE_CORRECTED and fixed["correction_note"] == "原文年份有误"

    def state(as_of: date) -> str:
        states = matrix.interop_matrix(con, filters.NO_FILTER, as_of=as_of)
        return states[(states["row_party"] == "京东物流") & (states["col_party"] == "菜鸟")]["state"].tolist()

    assert state(date(2024, 1, 1)) == []  # the link no longer opens in 2023
    assert state(date(2024, 7, 1)) == ["open"]
    exported = events_with_citations(con, filters.NO_FILTER).set_index("event_id").loc[event["event_id"]]
    assert (exported["corrected"], exported["was_date"], exported["correction_note"]) == (
        True,
        "2023-08",
        "原文年份有误",
    )


def test_a_fixed_party_takes_its_group_from_the_lexicon(store_dir):
    event = event_of(connected(store_dir, []), "微信", "京东")
    side = "a" if event["a"] == "微信" else "b"
    con = connected(store_dir, [corr.correction_of(event, change="fix", **{f"new_{side}": "腾讯"})])
    fixed = timeline.event(con, event["event_id"])
    assert (fixed[side], fixed[f"{side}_group"], fixed[f"was_{side}"]) == ("腾讯", "腾讯", "微信")
    assert timeline.events(con, filters.CorpusFilter(entities=("腾讯",)))["event_id"].tolist() == [event["event_id"]]


def test_two_merged_events_become_the_first_reported_with_both_reports(store_dir):
    plain = connected(store_dir, [])
    march, april = (
        event_of(plain, "淘宝", "微信支付", date_prefix="2024-03"),
        event_of(plain, "淘宝", "微信支付", date_prefix="2024-04"),
    )
    con = connected(store_dir, corr.merge_of(april, march, note="同一次接入"))
    kept = timeline.events(con, filters.CorpusFilter(entities=("淘宝",)))
    assert kept["event_id"].tolist() == [march["event_id"]]
    merged = kept.iloc[0]
    assert (merged["reports"], merged["articles"], merged["merged_events"]) == (
        march["reports"] + april["reports"],
        2,
        1,
    )
    reports = timeline.event_reports(con, [march["event_id"]])
    assert {"2024年3月5日，淘宝正式接入微信支付。", "今年4月，淘宝打通了微信支付。"} <= set(reports["evidence"])


def test_a_reject_wins_over_a_fix_and_a_later_fix_over_an_earlier(store_dir):
    event = event_of(connected(store_dir, []), "京东物流", "菜鸟")
    first, second = (corr.correction_of(event, change="fix", new_date=d) for d in ("2022", "2021-05"))
    con = connected(store_dir, [first, second])
    assert timeline.event(con, event["event_id"])["date"] == "2021-05"
    con = connected(store_dir, [first, corr.correction_of(event, change="reject")])
    assert timeline.event(con, event["event_id"]) is None


def test_apply_corrections_is_a_plain_function_over_events():
    events = corr.with_correction_columns(
        pd.DataFrame(
            {
                "event_id": ["e00001", "e00002"],
                "a": ["淘宝", "京东"],
                "b": ["微信支付", "菜鸟"],
                "a_group": ["阿里巴巴", "京东"],
                "b_group": ["腾讯", "阿里巴巴"],
                "domain": ["payment", "logistics"],
                "action": ["start", "start"],
                "date": ["2024-03", "2023"],
                "date_resolution": ["same clause", "same clause"],
                "reports": [1, 1],
                "articles": [1, 1],
            }
        )
    )
    key = {"doc_id": "d1", "evidence": "京东物流接入菜鸟驿站。", "a": "京东", "b": "菜鸟", "domain": "logistics"}
    fix = corr.Correction(**key, action="start", change="fix", new_action="planned", note="只是计划")
    gone = corr.Correction(**key, action="end", change="reject")
    applied = corr.apply_corrections(events, [fix, gone], [["e00002"], []], groups={})
    assert applied.events.set_index("event_id").loc["e00002", "action"] == "planned"
    assert applied.events.set_index("event_id").loc["e00001", "corrected"] == False  # noqa: E712 (a numpy bool)
    assert [s.correction for s in applied.stale] == [gone]


def test_a_fix_that_makes_both_parties_one_is_stale_not_applied(store_dir):
    event = event_of(connected(store_dir, []), "抖音", "支付宝")
    other = "支付宝" if event["a"] == "抖音" else "抖音"
    side = "a" if event["a"] == "抖音" else "b"
    con = connected(store_dir, [corr.correction_of(event, change="fix", **{f"new_{side}": other})])
    assert timeline.event(con, event["event_id"])["corrected"] == False  # noqa: E712
    assert corr.stale_corrections(con)["reason"].tolist() == [corr.SAME_PARTIES]


def test_a_correction_outlives_a_rebuild_that_numbers_the_events_again(tmp_path):
    raw, out, file = tmp_path / "raw", tmp_path / "store", tmp_path / "corrections.csv"
    write_articles(raw, ARTICLES)
    build_store(raw, out, workers=1, corrections_path=None)
    with filters.connect(out) as con:
        event = event_of(con, "抖音", "支付宝")
    file.write_text(corr.corrections_csv([corr.correction_of(event, change="reject", note="传闻")]), encoding="utf-8")
    earlier = {
        "title": "拼多多接入微信支付",
        "source": "测试日报",
        "published_at": "2023-01-06T09:00:00+08:00",
        "text": "2023年1月5日，拼多多接入微信支付。",
    }
    write_articles(raw, [earlier, *ARTICLES])
    summary = build_store(raw, out, workers=1, corrections_path=file)
    assert (summary.corrections, summary.stale_corrections) == (1, ())
    with filters.connect(out) as con:  # the store's own corrections, with no session's
        assert event_of(con, "拼多多", "微信支付")["event_id"] == "e00001"
        assert con.execute("SELECT count(*) FROM events WHERE a = '抖音' OR b = '抖音'").fetchone() == (0,)


def test_a_correction_whose_sentence_is_gone_after_a_rebuild_is_named_not_dropped(tmp_path, capsys):
    raw, out, file = tmp_path / "raw", tmp_path / "store", tmp_path / "corrections.csv"
    write_articles(raw, ARTICLES)
    build_store(raw, out, workers=1, corrections_path=None)
    with filters.connect(out) as con:
        event = event_of(con, "抖音", "支付宝")
    file.write_text(corr.corrections_csv([corr.correction_of(event, change="reject")]), encoding="utf-8")
    write_articles(raw, [a for a in ARTICLES if "抖音" not in a["text"]])
    assert main(["build", "--input", str(raw), "--out", str(out), "--corrections", str(file), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "1 corrections, 1 of which change nothing" in printed
    assert f"{file}: line 2: reject of 抖音 – 支付宝" in printed and "no event has this report" in printed
    with filters.connect(out) as con:
        assert corr.stale_corrections(con)["reason"].tolist() == [corr.NO_EVENT]


def test_changed_corrections_alone_make_a_build_that_applies_them(tmp_path):
    raw, out, file = tmp_path / "raw", tmp_path / "store", tmp_path / "corrections.csv"
    write_articles(raw, ARTICLES)
    file.write_text(",".join(corr.COLUMNS) + "\n", encoding="utf-8")
    build_store(raw, out, workers=1, corrections_path=file)
    assert build_store(raw, out, workers=1, corrections_path=file).up_to_date
    with filters.connect(out) as con:
        event = event_of(con, "京东物流", "菜鸟")
    file.write_text(corr.corrections_csv([corr.correction_of(event, change="fix", new_date="2024")]), encoding="utf-8")
    summary = build_store(raw, out, workers=1, corrections_path=file)
    assert not summary.up_to_date and summary.corrections == 1
    with filters.connect(out) as con:
        assert event_of(con, "京东物流", "菜鸟")["date"] == "2024"


def test_corrections_written_are_read_back_the_same_with_their_lines():
    made = [
        corr.Correction(
            "d1", "淘宝接入微信支付。", "淘宝", "微信支付", "payment", "start", "reject", note="重复，\n见另一篇"
        ),
        corr.Correction("d2", "京东关闭微信入口。", "京东", "微信", "traffic", "end", "fix", new_date="2019-06"),
    ]
    read = corr.parse_corrections(corr.corrections_csv(made), source="x.csv")
    assert [c.line for c in read] == [2, 4]  # the note runs over two lines
    assert [c.__class__(**{**c.__dict__, "line": 0}) for c in read] == made


def test_a_missing_file_holds_no_corrections_and_the_shipped_one_none(tmp_path):
    assert corr.read_corrections(tmp_path / "none.csv") == []
    assert corr.read_corrections(Path(corr.__file__).parents[2] / "data" / "corrections" / "corrections.csv") == []


KEY = "d1,淘宝接入微信支付。,淘宝,微信支付,payment,start"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (f"{KEY},delete,,,,,,,", "change 'delete' is not one of reject, fix, merge"),
        (f"{KEY},fix,,,,,,,", "a fix sets at least one of new_a, new_b, new_domain, new_action, new_date"),
        (f"{KEY},fix,,,,,2024/10,,", "new_date '2024/10' is not a date written 2024, 2024-10 or 2024-10-29"),
        (f"{KEY},fix,,,shopping,,,,", "new_domain 'shopping' is not one of payment, logistics"),
        (f"{KEY},fix,,,,paused,,,", "new_action 'paused' is not one of start, end, planned"),
        (f"{KEY},reject,,,,,2024,,", "a reject sets no new_ column"),
        (f"{KEY},merge,,,,,,,", "merge_with names the merge of a merge, and only of a merge"),
        (f"{KEY},fix,京东,京东,,,,,", "new_a and new_b name the same party"),
        ("d1,,淘宝,微信支付,payment,start,reject,,,,,,,", "evidence is empty"),
        (f"{KEY},reject,,,,", "11 fields, the header has 14"),
    ],
)
def test_a_bad_line_is_named_with_its_file_line_and_reason(tmp_path, row, reason):
    path = tmp_path / "corrections.csv"
    good = f"{KEY},reject,,,,,,,"
    path.write_text("\n".join([",".join(corr.COLUMNS), good, row]) + "\n", encoding="utf-8")
    with pytest.raises(corr.CorrectionsError) as error:
        corr.read_corrections(path)
    assert str(error.value).startswith(f"{path}: line 3: {reason}")


def test_a_header_without_the_columns_is_named():
    with pytest.raises(corr.CorrectionsError, match=r"x\.csv: line 1: header columns: missing .*note; unknown comment"):
        corr.parse_corrections("doc_id,evidence,a,b,domain,action,change,comment\n", source="x.csv")


def test_the_build_stops_on_a_bad_corrections_file_before_any_work(tmp_path, capsys):
    raw, out, file = tmp_path / "raw", tmp_path / "store", tmp_path / "corrections.csv"
    write_articles(raw, ARTICLES[:1])
    file.write_text(",".join(corr.COLUMNS) + f"\n{KEY},fix,,,,,20240,,\n", encoding="utf-8")
    assert main(["build", "--input", str(raw), "--out", str(out), "--corrections", str(file)]) != 0
    assert f"{file}: line 2: new_date '20240'" in capsys.readouterr().err
    assert not out.exists()


def test_every_reason_a_correction_changes_nothing_is_worded_in_chinese():
    assert all(labels.stale_reason(r, "zh") != r for r in corr.STALE_REASONS)
    assert all(labels.stale_reason(r, "en") == r for r in corr.STALE_REASONS)


def test_a_merge_whose_other_event_is_gone_changes_nothing_and_says_why(store_dir):
    plain = connected(store_dir, [])
    march, april = (event_of(plain, "淘宝", "微信支付", date_prefix=d) for d in ("2024-03", "2024-04"))
    kept_side, lost_side = corr.merge_of(march, april, note="同一次接入")
    lost_side = corr.Correction(**{**lost_side.__dict__, "evidence": "这句话已不在文中。"})
    con = connected(store_dir, [kept_side, lost_side])
    assert timeline.event(con, march["event_id"])["corrected"] == False  # noqa: E712 (a numpy bool)
    assert timeline.event(con, april["event_id"]) is not None
    assert sorted(corr.stale_corrections(con)["reason"]) == sorted([corr.NO_EVENT, corr.ONE_TO_MERGE])
