"""Limits: an oversized document is rejected with its reason, and no document can make one step run for minutes."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hutong import store
from hutong.events import MAX_REPORTS_PER_ARTICLE
from hutong.normalise import MAX_SENTENCE_CHARS, split_sentences, to_simplified
from hutong.pipeline import build_store

SENTENCE = "京东物流与菜鸟驿站达成合作，双方在末端配送上互联互通。"


# ---------------------------------------------------------------------------- size limits


@pytest.fixture(scope="module")
def limited_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[str, str]]]:
    folder = tmp_path_factory.mktemp("limits")
    raw = folder / "raw"
    raw.mkdir()
    (raw / "short.txt").write_text(SENTENCE, encoding="utf-8")
    (raw / "long.txt").write_text("京东接入支付宝" * 30, encoding="utf-8")  # 210 characters
    rows = [{"text": "淘宝接入微信支付" * 20}, {"text": "抖音与支付宝展开合作。"}]
    (raw / "rows.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    (raw / "big.md").write_text("美团接入云闪付。" * 200, encoding="utf-8")  # 4,800 bytes
    out = folder / "store"
    build_store(raw, out, workers=1, max_chars=100, max_file_bytes=4_000)
    report = store.read_report(out)["inputs"]
    statuses = {
        e["path"] if e["row"] is None else f"{e['path']}#row={e['row']}": (e["status"], e["reason"]) for e in report
    }
    return out, statuses


def test_the_default_limit_is_five_million_characters():
    assert inspect.signature(build_store).parameters["max_chars"].default == 5_000_000


def test_a_document_over_max_chars_is_rejected_with_its_reason(limited_build):
    _, statuses = limited_build
    assert statuses["long.txt"] == ("rejected", "text is 210 characters, over the 100 limit")
    assert statuses["short.txt"][0] == "ingested"


def test_a_row_over_max_chars_is_rejected_and_its_neighbour_kept(limited_build):
    _, statuses = limited_build
    assert statuses["rows.jsonl#row=1"] == ("rejected", "jsonl line 1: text is 160 characters, over the 100 limit")
    assert statuses["rows.jsonl#row=2"][0] == "ingested"


def test_a_file_over_max_file_bytes_is_rejected_unread(limited_build):
    out, statuses = limited_build
    assert statuses["big.md"] == ("rejected", "file is 4,800 bytes, over the 4,000 limit")
    assert not store.read_table(out, "documents")["text"].str.contains("云闪付").any()


# ---------------------------------------------------------------------------- sentence cap


def test_a_run_without_punctuation_is_cut_into_sentences_of_at_most_the_cap():
    text = "互联互通是平台经济发展的大趋势" * 500  # 7,500 characters, no sentence end
    sentences = split_sentences(text, [(0, len(text))])
    assert MAX_SENTENCE_CHARS == 1_000
    assert len(sentences) == 8
    assert max(len(s.text) for s in sentences) <= MAX_SENTENCE_CHARS
    assert "".join(s.text for s in sentences) == text
    assert [s.index for s in sentences] == list(range(8))


def test_a_long_run_is_cut_after_a_comma_where_there_is_one():
    text = "京东与淘宝合作，" * 300  # 2,400 characters, one sentence by punctuation
    sentences = split_sentences(text, [(0, len(text))])
    assert all(s.text.endswith("，") for s in sentences[:-1])
    assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in sentences)
    assert "".join(s.text for s in sentences) == text


def test_cut_sentences_keep_offsets_into_the_original_text():
    original = "前言。\n" + "京東與淘寶之間的壁壘正在逐漸消除 " * 120 + "結尾。"
    simplified = to_simplified(original)
    sentences = split_sentences(simplified, [(0, len(simplified))], max_chars=100)
    assert len(sentences) >= len(simplified) // 100
    for sentence in sentences:
        assert len(sentence.text) <= 100
        assert to_simplified(original[sentence.start : sentence.end]) == sentence.text
        assert not sentence.text[0].isspace() and not sentence.text[-1].isspace()


def test_short_sentences_are_not_changed_by_the_cap():
    text = "10月29日，京东商城正式开通支付宝支付。微信支付页面的京东购物入口将正式下线！"
    assert split_sentences(text, [(0, len(text))]) == split_sentences(text, [(0, len(text))], max_chars=10**9)


# ---------------------------------------------------------------------------- pathological documents

# Each case is (unit, times): the document is the unit repeated, on one line.
PATHOLOGICAL = {
    "2 MB line of Chinese without punctuation": (
        "互联互通是平台经济发展的大趋势京东淘宝微信支付宝之间的壁垒正在逐渐消除",
        19_000,
    ),
    "2024年 written 100,000 times": ("2024年", 100_000),
    "a million digits": ("1", 1_000_000),
    "京东与淘宝 written 50,000 times": ("京东与淘宝", 50_000),
    "two million full stops": ("。", 2_000_000),
}

# Runs in a fresh interpreter so a pathological case that hangs fails the test instead of the suite.
_CHILD = textwrap.dedent("""
    import json, sys, time
    from collections import Counter
    from datetime import datetime, timedelta, timezone
    from hutong.models import RawArticle
    from hutong.pipeline import analyse_article, load_resources

    resources = load_resources()
    published = datetime(2025, 3, 10, tzinfo=timezone(timedelta(hours=8)))
    for name, (unit, times) in json.loads(sys.stdin.read()).items():
        text = unit * times
        article = RawArticle(path="case.txt", text=text, format="txt", encoding="utf-8",
                             published_at=published, published_at_note="given")
        cpu, wall = time.process_time(), time.perf_counter()
        result = analyse_article(article, resources)
        per_sentence = Counter(m["sentence_index"] for m in result.mentions)
        print(json.dumps({
            "name": name, "chars": len(text), "lines": text.count("\\n") + 1,
            "sentences": len(result.sentences),
            "longest_sentence": max((s["end"] - s["start"] for s in result.sentences), default=0),
            "mentions": len(result.mentions), "most_mentions_in_a_sentence": max(per_sentence.values(), default=0),
            "times": len(result.times), "reports": len(result.event_reports),
            "cpu_seconds": round(time.process_time() - cpu, 2), "wall_seconds": round(time.perf_counter() - wall, 2),
        }, ensure_ascii=False), flush=True)
""")


def analyse_in_subprocess(cases: dict[str, tuple[str, int]], *, timeout: float) -> dict[str, dict]:
    """Analyse each case in a child interpreter; cases it did not finish before the timeout are missing."""
    try:
        completed = subprocess.run(
            [sys.executable, "-c", _CHILD], input=json.dumps(cases), capture_output=True, text=True, timeout=timeout
        )
        output = completed.stdout
        assert completed.returncode == 0, completed.stderr[-2000:]
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout or ""
        output = output.decode() if isinstance(output, bytes) else output
    results = {}
    for line in output.splitlines():
        result = json.loads(line)
        results[result["name"]] = result
        print(
            f"{result['name']}: {result['chars']:,} characters, {result['sentences']:,} sentences, "
            f"{result['mentions']:,} mentions, {result['times']:,} time expressions, "
            f"{result['reports']:,} event reports in {result['cpu_seconds']} s CPU ({result['wall_seconds']} s wall)"
        )
    return results


@pytest.mark.slow  # about 5 s a document
@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_a_pathological_document_is_analysed_with_bounded_work(name: str):
    results = analyse_in_subprocess({name: PATHOLOGICAL[name]}, timeout=120)
    assert name in results, f"{name}: not analysed within 120 s"
    result = results[name]
    assert result["longest_sentence"] <= MAX_SENTENCE_CHARS
    assert result["sentences"] <= result["chars"] // MAX_SENTENCE_CHARS + result["lines"]
    # every lexicon name has at least two characters
    assert result["most_mentions_in_a_sentence"] <= MAX_SENTENCE_CHARS // 2
    assert result["times"] <= result["chars"] // 2
    assert result["reports"] <= MAX_REPORTS_PER_ARTICLE


def test_an_article_of_twenty_thousand_short_event_sentences_does_not_stall():
    case = {"20,000 short event sentences": ("京东接入支付宝。", 20_000)}
    result = analyse_in_subprocess(case, timeout=60)
    assert result, "not analysed within 60 s"
    assert result["20,000 short event sentences"]["reports"] <= MAX_REPORTS_PER_ARTICLE
