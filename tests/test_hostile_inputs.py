"""A whole build over a folder of awkward and hostile inputs: every good article in, every other input explained."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hutong import store
from hutong.pipeline import build_store

# A word in a file outside the input folder; it must never reach the store.
CANARY = "金丝雀外泄检测词"

# Short real news sentences, one per good file, so no two good files are duplicates by accident.
SENTENCES = [
    "2024年10月29日，京东商城正式开通支付宝支付。",
    "淘宝天猫宣布全面接入微信支付，用户可以直接使用微信付款。",
    "京东物流与菜鸟驿站达成合作，双方在末端配送上互联互通。",
    "微信支付页面的京东购物入口将于9月30日正式下线。",
    "抖音电商与支付宝展开合作，支付体验进一步改善。",
    "美团宣布接入云闪付，消费者可以在外卖订单中使用云闪付支付。",
    "拼多多上线微信支付分先用后付功能，覆盖更多商品类目。",
    "快手与京东签署战略合作协议，京东为快手小店提供供应链服务。",
    "饿了么正式接入微信小程序，阿里巴巴和腾讯的合作继续推进。",
    "顺丰速运与淘宝在退货物流上展开合作，退货更加方便。",
    "小红书开通支付宝支付，平台之间的壁垒正在逐渐消除。",
    "今年三八妇女节，京东服务加官方旗舰店正式入驻淘宝天猫。",
    "网易严选接入京东物流，双方在仓储配送方面深度合作。",
    "哔哩哔哩与淘宝联盟恢复合作，视频内容可以挂载商品链接。",
    "高德地图接入微信小程序，用户出行服务更加便利。",
    "唯品会宣布支持微信支付与支付宝支付两种方式。",
    "苏宁易购与天猫合作多年，双方在家电品类上互相导流。",
    "支付宝与银联云闪付实现二维码互认，扫码支付互联互通。",
    "京东到家与美团闪购在即时零售领域展开竞争。",
    "百度智能小程序接入支付宝支付，开发者可以一次接入。",
    "携程旅行正式接入抖音团购，酒店商品可以在短视频中购买。",
    "得物上线微信支付，用户购买潮流商品更加方便。",
    "盒马鲜生接入饿了么外卖，配送范围进一步扩大。",
    "当当网与京东合作开设图书旗舰店，图书销售渠道拓宽。",
    "中国人民银行推动支付机构与银行之间的条码支付互联互通。",
    "工业和信息化部要求平台企业按标准解除屏蔽网址链接。",
    "网经社认为，互联网巨头正在走向开放共生的合作模式。",
]
TRADITIONAL = "網經社陳虎東：京東與微信合作變化，互聯網巨頭走向開放共生合作模式。微信支付頁面的京東購物入口將正式下線。"


@dataclass
class HostileCorpus:
    """The input folder and what a correct build must report for it."""

    root: Path
    ingested: set[str] = field(default_factory=set)  # input ids
    duplicates: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)  # input id -> part of the reason
    notes: dict[str, str] = field(default_factory=dict)  # input id -> part of its ingested note
    texts: dict[str, list[str]] = field(default_factory=dict)  # input id -> the sentences written into it


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _front_matter(published_at: str, text: str) -> str:
    return f"---\ntitle: 测试文章\npublished_at: {published_at}\n---\n\n{text}\n"


def make_hostile_corpus(base: Path) -> HostileCorpus:
    root = base / "input"
    corpus = HostileCorpus(root)
    unused = iter(SENTENCES)

    def good(rel: str) -> str:
        """The next unused sentence, noted as part of rel's text."""
        sentence = next(unused)
        corpus.texts.setdefault(rel, []).append(sentence)
        return sentence

    def ingested(rel: str, content: str | bytes, *, note: str | None = None) -> None:
        _write(root / rel, content)
        corpus.ingested.add(rel)
        if note:
            corpus.notes[rel] = note

    def rejected(rel: str, content: str | bytes, reason: str) -> None:
        _write(root / rel, content)
        corpus.rejected[rel] = reason

    # every encoding ingest claims
    ingested("enc/utf8.txt", good("enc/utf8.txt").encode("utf-8"))
    ingested("enc/utf8-bom.txt", good("enc/utf8-bom.txt").encode("utf-8-sig"))
    ingested("enc/utf16.txt", good("enc/utf16.txt").encode("utf-16"))
    ingested("enc/gbk.txt", good("enc/gbk.txt").encode("gbk"))
    ingested("enc/gb18030.txt", (good("enc/gb18030.txt") + "𠮷").encode("gb18030"))
    ingested("enc/big5.txt", TRADITIONAL.encode("big5"))
    # a download cut off in the middle of the last character: the article is kept without it
    ingested("enc/truncated-utf8.txt", (good("enc/truncated-utf8.txt") + "结束").encode("utf-8")[:-1])

    # dates: missing, invalid, in the future, before 1990 (the article is kept, the date is not)
    ingested("dates/missing.md", next(unused), note="no publication time (missing)")
    ingested("dates/invalid.md", _front_matter("上周二下午", next(unused)), note="unparseable date")
    ingested("dates/future.md", _front_matter("2999-01-01", next(unused)), note="in the future")
    ingested("dates/ancient.md", _front_matter("1066-10-14", next(unused)), note="before 1990")
    ingested(
        "dates/broken-yaml.md",
        f"---\ntitle: [未闭合\npublished_at: 2025-01-01\n---\n\n{next(unused)}\n",
        note="front matter is not valid YAML",
    )
    laughs = "".join(f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))
    ingested(
        "dates/yaml-bomb.md",
        f"---\na: &a [哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈]\n{laughs}---\n\n{next(unused)}\n",
        note="YAML aliases",
    )
    ingested(
        "dates/deep-yaml.md",
        f"---\ntitle: {'[' * 5_000}{']' * 5_000}\n---\n\n{next(unused)}\n",
        note="nested more than 50 levels deep",
    )

    # names: spaces, quotes, dots, Chinese, deep folders
    ingested("names/with spaces in it.txt", next(unused))
    ingested('names/quote\'s "double".txt', next(unused))
    ingested("names/a..b.txt", next(unused))
    ingested("names/中文文件名.txt", next(unused))
    ingested("a/b/c/d/e/深层文章.md", next(unused))
    ingested("english-only.txt", "Alibaba and JD.com agreed to open their platforms to each other's payment tools.")

    # markup: scripts and event handlers must end up as text, never as markup that runs
    para = [good("markup/page.html"), good("markup/page.html")]
    ingested(
        "markup/page.html",
        (
            "<html><head><title>淘宝接入微信支付</title>"
            "<script>document.write('恶意脚本内容')</script></head><body><article>"
            f"<h1>淘宝接入微信支付</h1><p>{para[0]}</p><p>{para[1]}</p>"
            "<img src=x onerror=\"alert('图片错误')\"><script>alert('正文脚本')</script>"
            "</article></body></html>"
        ),
    )
    para = [good("markup/tags.txt"), good("markup/tags.txt")]
    ingested(
        "markup/tags.txt",
        (f"<script>alert('x')</script>{para[0]}\n<a href=\"javascript:alert(1)\">点击这里</a><b>{para[1]}</b>\n"),
    )

    # rows: good jsonl lines and csv rows beside broken ones
    jsonl = [
        json.dumps({"text": next(unused), "published_at": "2025-01-02"}, ensure_ascii=False),
        '{"text": "没有结束的对象", ',
        json.dumps({"text": next(unused)}, ensure_ascii=False),
        json.dumps(["不是", "对象"], ensure_ascii=False),
        json.dumps({"title": "只有标题"}, ensure_ascii=False),
        json.dumps({"text": 12345}),
        "[" * 100_000,
        '{"text": "京东接入支付宝", "views": ' + "9" * 5_000 + "}",
    ]
    _write(root / "rows/articles.jsonl", "\n".join(jsonl) + "\n")
    corpus.ingested |= {"rows/articles.jsonl#row=1", "rows/articles.jsonl#row=3"}
    corpus.rejected |= {
        "rows/articles.jsonl#row=2": "not valid JSON",
        "rows/articles.jsonl#row=4": "not a JSON object",
        "rows/articles.jsonl#row=5": "no text",
        "rows/articles.jsonl#row=6": "no text",
        "rows/articles.jsonl#row=7": "nested too deeply",
        "rows/articles.jsonl#row=8": "digits",
    }
    _write(
        root / "rows/articles.csv",
        (
            "title,published_at,text\n"
            f"第一条,2025-01-03,{next(unused)}\n"
            "多出字段,2025-01-04,正文,多余的一列\n"
            "没有正文,2025-01-05,\n"
            f'第四条,2025-01-06,"{next(unused)}"\n'
        ),
    )
    corpus.ingested |= {"rows/articles.csv#row=1", "rows/articles.csv#row=4"}
    corpus.rejected |= {"rows/articles.csv#row=2": "fields but the header has", "rows/articles.csv#row=3": "no text"}

    # exact duplicates under other names (one in another folder, one in another encoding)
    first = (root / "enc/utf8.txt").read_bytes()
    _write(root / "重复/utf8 copy.txt", first)
    _write(root / "重复/副本.md", first.decode("utf-8").encode("gb18030"))
    corpus.duplicates |= {"重复/utf8 copy.txt", "重复/副本.md"}

    # files that are not articles
    rejected("bad/empty.txt", b"", "empty file")
    rejected("bad/whitespace-only.txt", " \n\t\u3000\n  \n", "no text")
    rejected("bad/photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary")
    rejected("bad/nul-bytes.txt", "京东与淘宝".encode() + b"\x00\x00\x00" + "合作加深".encode(), "NUL")
    rejected("bad/random.md", bytes((i * 7919 + 13) % 251 + 1 for i in range(4000)), "not valid text")
    rejected("bad/report.docx", "京东与淘宝合作。", "unsupported file type .docx")
    rejected("bad/data.xyz", "京东与淘宝合作。", "unsupported file type .xyz")
    rejected("bad/README", "京东与淘宝合作。", "(no extension)")
    rejected("bad/empty-page.html", "<html><body><script>alert(1)</script></body></html>", "no article text")
    rejected("bad/no-text-column.csv", "title,url\n标题,https://example.com\n", "no text column")
    rejected("bad/.hidden.txt", "京东与淘宝合作。", "hidden file")

    # a long single line: about 2 MB of Chinese in UTF-8, no line break
    line = "互联互通是平台经济发展的大趋势京东淘宝微信支付宝之间的壁垒正在逐渐消除"
    ingested("big/one-line.txt", line * (2_000_000 // len(line.encode())))

    # links: a loop, a link out of the folder, a folder link back to the root
    outside = _write(base / "outside" / "secret.txt", f"{CANARY}。京东与淘宝达成合作。")
    (root / "links").mkdir()
    os.symlink(root / "links" / "loop-b.txt", root / "links" / "loop-a.txt")
    os.symlink(root / "links" / "loop-a.txt", root / "links" / "loop-b.txt")
    os.symlink(outside, root / "links" / "outside.txt")
    os.symlink(base / "outside", root / "links" / "outside-folder")
    os.symlink(root, root / "links" / "back-to-root")
    corpus.rejected |= {
        "links/loop-a.txt": "symbolic link loop",
        "links/loop-b.txt": "symbolic link loop",
        "links/outside.txt": "outside the input folder",
        "links/outside-folder": "outside the input folder",
        "links/back-to-root": "not followed",
    }
    return corpus


def _every_input(root: Path) -> set[str]:
    """Every file, and every link to a folder, under root, as relative POSIX names."""
    names = set()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        names |= {(here / n).relative_to(root).as_posix() for n in filenames}
        names |= {(here / n).relative_to(root).as_posix() for n in dirnames if (here / n).is_symlink()}
    return names


def _input_id(entry: dict) -> str:
    return entry["path"] if entry["row"] is None else f"{entry['path']}#row={entry['row']}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileCorpus:
    return make_hostile_corpus(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def api_store(hostile: HostileCorpus) -> Path:
    out = hostile.root.parent / "store-api"
    build_store(hostile.root, out, workers=1)
    return out


@pytest.fixture(scope="module")
def cli_run(hostile: HostileCorpus) -> tuple[subprocess.CompletedProcess, Path]:
    out = hostile.root.parent / "store-cli"
    command = [
        sys.executable,
        "-m",
        "hutong",
        "build",
        "--input",
        str(hostile.root),
        "--out",
        str(out),
        "--workers",
        "2",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300), out


def test_the_corpus_is_hostile_enough(hostile: HostileCorpus):
    assert len(_every_input(hostile.root)) >= 30
    assert len(hostile.ingested) + len(hostile.duplicates) + len(hostile.rejected) >= 45


def test_cli_build_exits_cleanly_and_matches_the_library_build(cli_run, api_store: Path):
    result, out = cli_run
    assert result.returncode == 0, result.stderr
    assert "rejected" in result.stdout
    assert _statuses(out) == _statuses(api_store)


def _statuses(out: Path) -> dict[str, tuple[str, str]]:
    return {_input_id(e): (e["status"], e["reason"]) for e in store.read_report(out)["inputs"]}


def test_exactly_the_good_articles_are_ingested(hostile: HostileCorpus, api_store: Path):
    statuses = _statuses(api_store)
    ingested = {name for name, (status, _) in statuses.items() if status == "ingested"}
    assert ingested == hostile.ingested


def test_every_input_file_and_bad_row_is_in_the_report_with_its_reason(hostile: HostileCorpus, api_store: Path):
    statuses = _statuses(api_store)
    reported_files = {name.split("#row=")[0] for name in statuses}
    assert _every_input(hostile.root) <= reported_files
    for name, reason in hostile.rejected.items():
        assert statuses[name][0] == "rejected", name
        assert reason in statuses[name][1], (name, statuses[name][1])


def test_undated_and_badly_dated_articles_say_why_they_have_no_date(hostile: HostileCorpus, api_store: Path):
    statuses = _statuses(api_store)
    for name, note in hostile.notes.items():
        assert note in statuses[name][1], (name, statuses[name][1])


def test_duplicates_are_reported_and_stored_once(hostile: HostileCorpus, api_store: Path):
    statuses = _statuses(api_store)
    assert {name for name, (status, _) in statuses.items() if status == "duplicate"} == hostile.duplicates
    for name in hostile.duplicates:
        assert "enc/utf8.txt" in statuses[name][1]
    documents = store.read_table(api_store, "documents")
    assert documents["content_hash"].is_unique
    assert len(documents) == sum(1 for status, _ in statuses.values() if status == "ingested")
    assert set(documents["input_id"]) == hostile.ingested


def test_nothing_outside_the_input_folder_is_read(api_store: Path):
    for name in store.TABLES:
        table = store.read_table(api_store, name)
        text_columns = table.select_dtypes(include=["object", "string"])
        for column in text_columns:
            assert not text_columns[column].astype(str).str.contains(CANARY).any(), (name, column)
    assert CANARY not in (api_store / "report.json").read_text(encoding="utf-8")


def test_every_encoding_reads_as_the_same_chinese(hostile: HostileCorpus, api_store: Path):
    documents = store.read_table(api_store, "documents").set_index("input_id")
    for name in ("enc/utf8.txt", "enc/utf8-bom.txt", "enc/utf16.txt", "enc/gbk.txt"):
        assert documents.loc[name, "text"] == hostile.texts[name][0], name
    assert documents.loc["enc/gb18030.txt", "text"] == hostile.texts["enc/gb18030.txt"][0] + "𠮷"
    assert documents.loc["enc/big5.txt", "text"] == TRADITIONAL
    assert documents.loc["enc/big5.txt", "script"] == "traditional"


def test_a_cut_off_last_character_is_dropped_and_noted(hostile: HostileCorpus, api_store: Path):
    documents = store.read_table(api_store, "documents").set_index("input_id")
    assert documents.loc["enc/truncated-utf8.txt", "text"] == hostile.texts["enc/truncated-utf8.txt"][0] + "结"
    assert "cut off" in json.loads(documents.loc["enc/truncated-utf8.txt", "metadata"])["decoding"]


def test_scripts_in_html_are_dropped_and_in_plain_text_kept_as_text(hostile: HostileCorpus, api_store: Path):
    documents = store.read_table(api_store, "documents").set_index("input_id")
    page = documents.loc["markup/page.html", "text"]
    assert all(sentence in page for sentence in hostile.texts["markup/page.html"])
    assert "alert" not in page and "恶意脚本内容" not in page and "onerror" not in page
    plain = documents.loc["markup/tags.txt", "text"]
    assert all(sentence in plain for sentence in hostile.texts["markup/tags.txt"])
    assert "<script>alert('x')</script>" in plain and 'href="javascript:alert(1)"' in plain
    sentences = store.read_table(api_store, "sentences")
    assert sentences["original"].str.contains("<script>", regex=False).any()


def test_the_long_line_is_stored_whole_in_bounded_sentences(api_store: Path):
    documents = store.read_table(api_store, "documents").set_index("input_id")
    long_doc = documents.loc["big/one-line.txt"]
    assert long_doc["chars"] > 600_000
    sentences = store.read_table(api_store, "sentences")
    mine = sentences[sentences["doc_id"] == long_doc["doc_id"]]
    assert (mine["end"] - mine["start"]).max() <= 1_000
    assert mine["end"].max() == long_doc["chars"]


def test_later_incremental_builds_over_the_folder_succeed(hostile: HostileCorpus, api_store: Path, tmp_path: Path):
    out = tmp_path / "store"
    shutil.copytree(api_store, out)
    before = _statuses(out)
    build_store(hostile.root, out, workers=1)
    assert _statuses(out) == before
    edited = hostile.root / "names" / "a..b.txt"
    original = edited.read_bytes()
    try:
        edited.write_text("京东与拼多多在物流方面展开合作，双方共享仓储网络。", encoding="utf-8")
        build_store(hostile.root, out, workers=1)
    finally:
        edited.write_bytes(original)
    assert _statuses(out) == before
    documents = store.read_table(out, "documents").set_index("input_id")
    assert documents.loc["names/a..b.txt", "text"] == "京东与拼多多在物流方面展开合作，双方共享仓储网络。"
