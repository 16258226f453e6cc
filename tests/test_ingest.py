"""Tests for hutong.ingest: reading a folder of articles into RawArticle / InputProblem records."""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hutong.ingest import decode_bytes, parse_published_at, read_corpus, read_file
from hutong.models import InputProblem, RawArticle

SEEDS = Path("/work/shared/seeds")
CHINA = timezone(timedelta(hours=8))

SIMPLIFIED = (
    "自2011年京东宣布停止使用支付宝作为支付方式以来，时隔14年，如今京东和淘宝之间的壁垒"
    "正在逐渐消除，双方合作持续加深。今年三八妇女节，“京东服务+”官方旗舰店正式入驻淘宝天猫。"
    "这是京东和淘宝天猫首次在该类目进行合作，以满足消费者对洗衣洗鞋、家纺清洗、家电维修等"
    "一系列服务的需求。为了吸引更多消费者，大促期间京东服务旗舰店还推出了一系列优惠活动。"
)
TRADITIONAL = (
    "網經社陳虎東：京東與微信合作變化，互聯網巨頭走向開放共生合作模式。9月30日，一個持續了"
    "十年的電商入口神話將在微信生態中終結。據京東購物公眾號最新公告，微信支付頁面的京東"
    "購物入口將正式下線。業內人士認為，這標誌著雙方的合作進入新的階段，平台之間的壁壘"
    "正在逐步打破，用戶將在更多場景中享受互聯互通帶來的便利。"
)


@pytest.fixture
def deadline() -> Iterator[None]:
    """Turn a hang (a blocking FIFO, a followed link loop) into a test failure."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("reading the folder took more than 5 seconds")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(5)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def records(folder: Path, **options: int) -> list[RawArticle | InputProblem]:
    return list(read_corpus(folder, **options))


def only(folder: Path, kind: type) -> list:
    return [record for record in records(folder) if isinstance(record, kind)]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("text", "data", "encodings"),
    [
        (SIMPLIFIED, SIMPLIFIED.encode("utf-8"), {"utf-8"}),
        (SIMPLIFIED, SIMPLIFIED.encode("utf-8-sig"), {"utf-8-sig"}),
        (SIMPLIFIED, SIMPLIFIED.encode("utf-16"), {"utf-16"}),
        (SIMPLIFIED, SIMPLIFIED.encode("utf-16-le"), {"utf-16-le"}),
        (SIMPLIFIED, SIMPLIFIED.encode("gbk"), {"gb18030"}),
        (SIMPLIFIED, SIMPLIFIED.encode("gb18030"), {"gb18030"}),
        (TRADITIONAL, TRADITIONAL.encode("gbk"), {"gb18030"}),
        (TRADITIONAL, TRADITIONAL.encode("big5"), {"cp950"}),
        (TRADITIONAL, TRADITIONAL.encode("utf-16"), {"utf-16"}),
    ],
    ids=[
        "utf-8",
        "utf-8-sig",
        "utf-16-bom",
        "utf-16-le-no-bom",
        "gbk",
        "gb18030",
        "gbk-traditional",
        "big5",
        "utf-16-traditional",
    ],
)
def test_decode_bytes_picks_the_encoding(text: str, data: bytes, encodings: set[str]) -> None:
    decoded, encoding = decode_bytes(data)
    assert decoded == text
    assert encoding in encodings


@pytest.mark.parametrize(
    ("text", "codec"),
    # charset-normalizer alone reads these as UTF-16-BE, CP949 and UTF-16-BE.
    [(SIMPLIFIED[:20], "gbk"), ("網經社陳虎東:京", "big5"), ("互聯網巨頭走向開放", "big5")],
)
def test_short_chinese_text_is_not_misdetected(text: str, codec: str) -> None:
    assert decode_bytes(text.encode(codec))[0] == text


def test_gb18030_only_characters_decode() -> None:
    text = "𠀀字与€符号：" + SIMPLIFIED  # 𠀀 needs GB18030's four-byte form
    assert decode_bytes(text.encode("gb18030")) == (text, "gb18030")


def test_decode_bytes_rejects_binary_with_nul_bytes() -> None:
    with pytest.raises(ValueError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20)


def test_decode_bytes_rejects_control_characters() -> None:
    with pytest.raises(ValueError, match="binary|not valid text"):
        decode_bytes(bytes(range(1, 32)) * 50)


def test_file_text_has_unix_newlines_no_bom_and_no_trailing_space(
    tmp_path: Path,
) -> None:
    write(tmp_path / "a.txt", "\ufeff  第一行\r\n第二行\r第三行 \r\n\r\n".encode())
    [article] = records(tmp_path)
    assert article.text == "  第一行\n第二行\n第三行"
    assert article.encoding == "utf-8-sig"


def test_utf8_cut_off_inside_the_last_character_keeps_the_article(tmp_path: Path) -> None:
    write(tmp_path / "cut.txt", SIMPLIFIED.encode("utf-8")[:-2])
    [article] = records(tmp_path)
    assert isinstance(article, RawArticle)
    assert article.text == SIMPLIFIED[:-1]
    assert article.encoding == "utf-8"
    assert "cut off" in article.metadata["decoding"]


def test_utf8_broken_inside_the_text_is_still_rejected(tmp_path: Path) -> None:
    data = SIMPLIFIED.encode("utf-8")
    write(tmp_path / "broken.txt", data[:30] + data[31:])
    [problem] = records(tmp_path)
    assert problem == InputProblem("broken.txt", "not valid text in any supported encoding")


# ---------------------------------------------------------------------------- rejected files


def test_binary_file_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    [problem] = records(tmp_path)
    assert isinstance(problem, InputProblem)
    assert problem.path == "image.txt"
    assert "binary" in problem.reason


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "empty.txt", b"")
    write(tmp_path / "blank.md", "  \n\n")
    problems = records(tmp_path)
    assert [(p.path, p.reason) for p in problems] == [
        ("blank.md", "no text"),
        ("empty.txt", "empty file"),
    ]


def test_unknown_extension_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "报告.DOCX", b"PK\x03\x04")
    [problem] = records(tmp_path)
    assert problem == InputProblem("报告.DOCX", "unsupported file type .docx")


def test_hidden_files_and_folders_are_reported(tmp_path: Path) -> None:
    write(tmp_path / ".secret.txt", SIMPLIFIED)
    write(tmp_path / ".cache" / "a.txt", SIMPLIFIED)
    reasons = {p.path: p.reason for p in records(tmp_path)}
    assert reasons == {
        ".cache": "hidden folder (not read)",
        ".secret.txt": "hidden file",
    }


def test_text_over_the_character_limit_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "long.txt", "京东" * 30)
    [problem] = records(tmp_path, max_chars=50)
    assert problem.reason == "text is 60 characters, over the 50 limit"


def test_file_over_the_byte_limit_is_rejected_unread(tmp_path: Path) -> None:
    write(tmp_path / "big.txt", "京东" * 100)
    [problem] = records(tmp_path, max_file_bytes=100)
    assert problem.reason == "file is 600 bytes, over the 100 limit"


# ---------------------------------------------------------------------------- txt / md front matter


def test_front_matter_gives_title_date_and_metadata(tmp_path: Path) -> None:
    write(
        tmp_path / "a.md",
        "---\ntitle: 京东入驻淘宝\ndate: 2025-09-28 20:12\nsource: 电商报\n"
        "url: https://dsb.cn/p/1\nauthor: 张三\ntags: [电商, 合作]\n---\n\n" + SIMPLIFIED,
    )
    [article] = records(tmp_path)
    assert article.text == SIMPLIFIED
    assert (article.title, article.source, article.url) == (
        "京东入驻淘宝",
        "电商报",
        "https://dsb.cn/p/1",
    )
    assert article.published_at == datetime(2025, 9, 28, 20, 12, tzinfo=CHINA)
    assert article.published_at_note == "given"
    assert article.metadata == {"author": "张三", "tags": '["电商", "合作"]'}
    assert article.format == "md"


def test_front_matter_without_source_and_url_takes_author_and_source_url(tmp_path: Path) -> None:
    write(
        tmp_path / "a.md",
        '---\ntitle: "京东与微信合作变化"\ndate: 2025-09-28\nsource_url: "https://openaxo.com/p/1"\n'
        'author: "OpenAxo"\ncategory: "电商"\n---\n\n' + SIMPLIFIED,
    )
    [article] = records(tmp_path)
    assert (article.source, article.url) == ("OpenAxo", "https://openaxo.com/p/1")
    assert article.metadata == {"category": "电商"}


def test_front_matter_published_at_key_with_offset(tmp_path: Path) -> None:
    write(
        tmp_path / "a.txt",
        "---\npublished_at: 2025-03-10T17:47:56+08:00\n---\n" + TRADITIONAL,
    )
    [article] = records(tmp_path)
    assert article.published_at.isoformat() == "2025-03-10T17:47:56+08:00"
    assert article.text == TRADITIONAL


def test_broken_front_matter_keeps_the_body_and_says_why(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "---\ntitle: [未闭合\ndate: 2025-09-28\n---\n" + SIMPLIFIED)
    [article] = records(tmp_path)
    assert article.text == SIMPLIFIED
    assert article.published_at is None
    assert article.published_at_note.startswith("front matter is not valid YAML: ")
    assert article.metadata["front_matter_problem"] == article.published_at_note


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        # nested repeats: a few lines that would expand to gigabytes of metadata
        ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n", "aliases"),
        ("key: " + "[" * 5_000 + "]" * 5_000 + "\n", "nested more than 50 levels deep"),
        ("".join(f"key{i}: 值\n" for i in range(10_000)), "over 65,536 characters"),
    ],
)
def test_hostile_front_matter_keeps_the_body_and_says_why(tmp_path: Path, header: str, problem: str) -> None:
    write(tmp_path / "a.md", f"---\n{header}---\n\n{SIMPLIFIED}")
    [article] = records(tmp_path)
    assert article.text == SIMPLIFIED
    assert problem in article.published_at_note
    assert set(article.metadata) == {"front_matter_problem"}


def test_unparseable_date_is_noted_not_guessed(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "---\ndate: 上周三\n---\n" + SIMPLIFIED)
    [article] = records(tmp_path)
    assert article.published_at is None
    assert article.published_at_note == "unparseable date '上周三'"


def test_text_without_metadata_has_no_date(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "2024年10月29日，" + SIMPLIFIED)
    [article] = records(tmp_path)
    assert (article.published_at, article.published_at_note, article.title) == (
        None,
        "missing",
        None,
    )


# ---------------------------------------------------------------------------- html

ARTICLE_HTML = "".join(f"<p>{SIMPLIFIED[i : i + 60]}</p>" for i in range(0, len(SIMPLIFIED), 60))


def test_html_gives_main_text_title_and_meta_date_without_script(
    tmp_path: Path,
) -> None:
    page = (
        "<html><head><title>京东入驻淘宝 - 电商报</title>"
        '<meta property="article:published_time" content="2025-03-10T17:47:56+08:00">'
        '<script>var leaked = "脚本内容不应出现";</script></head>'
        "<body><nav>首页 新闻 科技</nav><article><h1>京东入驻淘宝</h1>"
        f"{ARTICLE_HTML}<script>document.write('另一段脚本')</script></article></body></html>"
    )
    write(tmp_path / "page.html", page)
    [article] = records(tmp_path)
    assert article.format == "html"
    assert article.title == "京东入驻淘宝"
    assert article.published_at.isoformat() == "2025-03-10T17:47:56+08:00"
    assert "双方合作持续加深" in article.text
    assert "脚本" not in article.text and "leaked" not in article.text


def test_html_without_a_date_gives_none_even_with_dates_in_the_text(
    tmp_path: Path,
) -> None:
    page = (
        f"<html><body><article><h1>无日期</h1><p>2024年10月29日，微信宣布。</p>{ARTICLE_HTML}</article></body></html>"
    )
    write(tmp_path / "page.htm", page)
    [article] = records(tmp_path)
    assert article.published_at is None
    assert article.published_at_note == "missing"


def test_html_in_gbk_with_declared_charset(tmp_path: Path) -> None:
    page = f'<html><head><meta charset="gb2312"></head><body><article>{ARTICLE_HTML}</article></body></html>'
    write(tmp_path / "page.html", page.encode("gbk"))
    [article] = records(tmp_path)
    assert article.encoding == "gb18030"
    assert "双方合作持续加深" in article.text


def test_html_without_article_text_is_rejected(tmp_path: Path) -> None:
    write(
        tmp_path / "page.html",
        "<html><head><script>alert(1)</script></head><body></body></html>",
    )
    [problem] = records(tmp_path)
    assert problem.reason == "no article text found in HTML"


# ---------------------------------------------------------------------------- jsonl / csv


def test_jsonl_bad_line_is_reported_and_good_lines_kept(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {"text": SIMPLIFIED, "title": "一", "date": "2025/09/28", "tags": ["电商"]},
            ensure_ascii=False,
        ),
        '{"text": "坏行',
        "",
        json.dumps({"content": TRADITIONAL, "source": "網經社"}, ensure_ascii=False),
        json.dumps({"title": "没有正文"}, ensure_ascii=False),
    ]
    write(tmp_path / "news.jsonl", "\n".join(lines) + "\n")
    first, bad, second, empty = records(tmp_path)
    assert (first.row, first.title, first.published_at) == (
        1,
        "一",
        datetime(2025, 9, 28, tzinfo=CHINA),
    )
    assert first.metadata == {"tags": '["电商"]'}
    assert first.input_id == "news.jsonl#row=1"
    assert bad == InputProblem(
        "news.jsonl",
        "jsonl line 2: not valid JSON (Unterminated string starting at)",
        row=2,
    )
    assert (second.row, second.text, second.source) == (4, TRADITIONAL, "網經社")
    assert empty == InputProblem("news.jsonl", "jsonl line 5: no text", row=5)


def test_jsonl_lines_that_json_cannot_hold_are_reported_and_good_lines_kept(tmp_path: Path) -> None:
    good = json.dumps({"text": SIMPLIFIED}, ensure_ascii=False)
    lines = ["[" * 100_000, '{"text": "京东接入支付宝", "n": ' + "1" * 5_000 + "}", good]
    write(tmp_path / "a.jsonl", "\n".join(lines))
    problem_deep, problem_digits, article = records(tmp_path)
    assert problem_deep == InputProblem("a.jsonl", "jsonl line 1: not valid JSON here (nested too deeply)", row=1)
    assert problem_digits.row == 2 and "4300 digits" in problem_digits.reason
    assert article.text == SIMPLIFIED and article.row == 3


def test_csv_row_without_text_is_reported(tmp_path: Path) -> None:
    write(
        tmp_path / "news.csv",
        "Title,Text,published_at,频道\n"
        f'一,"{SIMPLIFIED}",2025年9月28日 20:12,科技\n'
        "二,,2025-09-28,财经\n"
        f'三,"{TRADITIONAL}\n第二段",,\n',
    )
    first, problem, third = records(tmp_path)
    assert (first.row, first.title, first.metadata) == (1, "一", {"频道": "科技"})
    assert first.published_at == datetime(2025, 9, 28, 20, 12, tzinfo=CHINA)
    assert problem == InputProblem("news.csv", "csv row 2: no text", row=2)
    assert (third.row, third.text, third.published_at_note) == (
        3,
        TRADITIONAL + "\n第二段",
        "missing",
    )


def test_csv_without_text_column_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "news.csv", "title,url\n一,https://a.cn\n")
    [problem] = records(tmp_path)
    assert problem.reason.startswith("csv has no text column")


def test_tsv_is_read_with_tabs(tmp_path: Path) -> None:
    write(tmp_path / "news.tsv", f"title\ttext\n一\t{SIMPLIFIED}\n")
    [article] = records(tmp_path)
    assert (article.title, article.text, article.format) == ("一", SIMPLIFIED, "csv")


# ---------------------------------------------------------------------------- manifest


def test_manifest_metadata_is_applied_to_the_seed_files(tmp_path: Path) -> None:
    for seed in SEEDS.iterdir():
        shutil.copy(seed, tmp_path / seed.name)
    found = {record.path: record for record in records(tmp_path)}
    simplified, traditional = (
        found["000_dec19d54dabd6123.txt"],
        found["004_68426414e0c44e0c.txt"],
    )
    assert simplified.published_at.isoformat() == "2025-03-10T17:47:56+08:00"
    assert traditional.published_at.isoformat() == "2025-09-28T20:12:00+08:00"
    assert simplified.title == "马云联手刘强东甩出王炸"
    assert traditional.title.startswith("網經社陳虎東")
    assert simplified.metadata == {"script": "simplified"}
    assert found["MANIFEST.csv"] == InputProblem("MANIFEST.csv", "metadata for 2 files", status="manifest")


def test_front_matter_wins_over_manifest(tmp_path: Path) -> None:
    write(
        tmp_path / "sub" / "a.md",
        "---\ntitle: 自己的标题\ndate: 2025-09-28\n---\n" + SIMPLIFIED,
    )
    write(
        tmp_path / "MANIFEST.csv",
        "file,title,source,published_at\nsub/a.md,清单标题,清单来源,2020-01-01\nnot-here.txt,x,y,2020-01-01\n",
    )
    manifest, missing, article = records(tmp_path)
    assert (article.path, article.title, article.source) == (
        "sub/a.md",
        "自己的标题",
        "清单来源",
    )
    assert article.published_at == datetime(2025, 9, 28, tzinfo=CHINA)
    assert manifest == InputProblem("MANIFEST.csv", "metadata for 1 file", status="manifest")
    reason = "manifest row 2: file 'not-here.txt' not found"
    assert missing == InputProblem("MANIFEST.csv", reason, row=2)


# ---------------------------------------------------------------------------- paths and links


def test_symlink_outside_the_input_folder_is_not_read(tmp_path: Path) -> None:
    write(tmp_path / "outside" / "secret.txt", "机密内容")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "link.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    (corpus / "folder").symlink_to(tmp_path / "outside")
    assert records(corpus) == [
        InputProblem("folder", "symbolic link outside the input folder"),
        InputProblem("link.txt", "symbolic link outside the input folder"),
    ]


def test_symlink_inside_the_input_folder_is_read(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", SIMPLIFIED)
    (tmp_path / "b.txt").symlink_to("a.txt")
    assert [r.text for r in records(tmp_path)] == [SIMPLIFIED, SIMPLIFIED]


@pytest.mark.usefixtures("deadline")
def test_symlink_loops_do_not_hang(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "a.txt", SIMPLIFIED)
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    reasons = {r.path: getattr(r, "reason", "article") for r in records(tmp_path)}
    assert reasons == {
        "self.txt": "broken symbolic link or symbolic link loop",
        "sub/a.txt": "article",
        "sub/up": "symbolic link to a folder (not followed)",
    }


def test_is_unchanged_is_not_asked_about_link_loops_or_links_out(tmp_path: Path) -> None:
    write(tmp_path / "outside.txt", SIMPLIFIED)
    corpus = tmp_path / "corpus"
    write(corpus / "a.txt", SIMPLIFIED)
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "out.txt").symlink_to(tmp_path / "outside.txt")
    asked = []

    def is_unchanged(rel: str, path: Path, manifest_row: object) -> bool:
        asked.append(rel)
        path.stat()  # what an incremental build does; raises on a link loop
        return False

    reasons = {r.path: getattr(r, "reason", "article") for r in read_corpus(corpus, is_unchanged=is_unchanged)}
    assert asked == ["a.txt"]
    assert reasons == {
        "a.txt": "article",
        "loop.txt": "broken symbolic link or symbolic link loop",
        "out.txt": "symbolic link outside the input folder",
    }


def test_a_file_gone_before_is_unchanged_looks_is_read_as_changed(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", SIMPLIFIED)

    def is_unchanged(rel: str, path: Path, manifest_row: object) -> bool:
        raise FileNotFoundError(2, "No such file or directory", str(path))

    [article] = read_corpus(tmp_path, is_unchanged=is_unchanged)
    assert isinstance(article, RawArticle)


def test_chinese_spaced_and_quoted_file_names(tmp_path: Path) -> None:
    names = ["新闻 报道.txt", 'it\'s "quoted".txt', "a..b.md", "子目录/第 1 篇.txt"]
    for name in names:
        write(tmp_path / name, SIMPLIFIED)
    assert [r.path for r in records(tmp_path)] == sorted(names)
    assert all(isinstance(r, RawArticle) for r in records(tmp_path))


def test_read_file_alone_names_the_file_by_its_bare_name(tmp_path: Path) -> None:
    path = write(tmp_path / "deep" / "文章.txt", SIMPLIFIED)
    [article] = read_file(path, relative_to=path.parent)
    assert article.path == "文章.txt"


@pytest.mark.usefixtures("deadline")
def test_fifo_is_rejected_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    [problem] = records(tmp_path)
    assert problem.reason == "not a regular file"


# ---------------------------------------------------------------------------- publication times


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2025-09-28 20:12", "2025-09-28T20:12:00+08:00"),
        ("2025/09/28", "2025-09-28T00:00:00+08:00"),
        ("2025/9/28 8:05", "2025-09-28T08:05:00+08:00"),
        ("2025年9月28日 20:12", "2025-09-28T20:12:00+08:00"),
        ("2025年09月28日20时12分", "2025-09-28T20:12:00+08:00"),
        ("2025-03-10T17:47:56+08:00", "2025-03-10T17:47:56+08:00"),
        ("2025-03-10T09:47:56Z", "2025-03-10T09:47:56+00:00"),
        ("2025-09-28", "2025-09-28T00:00:00+08:00"),
        ("Sun, 28 Sep 2025 20:12:00 +0800", "2025-09-28T20:12:00+08:00"),
    ],
)
def test_publication_time_forms(given: str, expected: str) -> None:
    parsed, note = parse_published_at(given)
    assert (parsed.isoformat(), note) == (expected, "given")


@pytest.mark.parametrize(
    ("given", "note"),
    [
        ("2999-01-01", "date 2999-01-01 is in the future"),
        ("1989-06-01", "date 1989-06-01 is before 1990"),
        ("2025-13-40", "unparseable date '2025-13-40'"),
        ("明天", "unparseable date '明天'"),
    ],
)
def test_implausible_publication_times_are_dropped(given: str, note: str) -> None:
    assert parse_published_at(given, now=datetime(2025, 10, 1, tzinfo=UTC)) == (
        None,
        note,
    )


def test_the_report_of_hutong_collect_describes_the_folder_and_is_no_problem(tmp_path):
    (tmp_path / "collect_report.json").write_text('{\n  "summary": "collect: 3 new page(s)"\n}', encoding="utf-8")
    assert list(read_corpus(tmp_path)) == [
        InputProblem("collect_report.json", "report of hutong collect (no articles)", status="manifest")
    ]


def test_another_file_of_that_name_is_still_an_unsupported_file(tmp_path):
    (tmp_path / "collect_report.json").write_text('{"文章": "腾讯与阿里巴巴恢复合作"}', encoding="utf-8")
    assert list(read_corpus(tmp_path)) == [InputProblem("collect_report.json", "unsupported file type .json")]
