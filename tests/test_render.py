"""Tests for hutong.render: escaped HTML and Markdown, marks over article text, links."""

from __future__ import annotations

import pandas as pd

from hutong import render
from hutong.render import Span


def test_article_markup_is_escaped_and_marks_are_added():
    text = "<script>alert('x')</script>京东接入支付宝"
    html = render.marked_html(
        text, [Span(27, 29, "entity", "JD.com"), Span(31, 34, "entity", 'Alipay" onmouseover="x')]
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<mark style="' in html and 'title="JD.com"' in html
    assert 'onmouseover="x' not in html and "&quot; onmouseover=&quot;x" in html


def test_overlapping_or_out_of_range_spans_are_skipped():
    html = render.marked_html("京东物流", [Span(0, 4, "entity"), Span(0, 2, "entity"), Span(3, 9, "time")])
    assert html.count("<mark") == 1


def test_parties_are_marked_in_the_traditional_sentence():
    original, simplified = "微信關閉京東入口", "微信关闭京东入口"
    html = render.highlighted_sentence(original, simplified, [("京东", "party", ""), ("微信", "party", "")])
    assert html.count("<mark") == 2 and ">京東</mark>" in html


def test_links_are_only_http():
    assert render.link_html("javascript:alert(1)", "link") == ""
    assert render.link_html(None, "link") == ""
    assert render.link_html('https://e.com/"x', "链接").startswith('<a href="https://e.com/&quot;x"')


def test_only_http_links_are_kept_in_a_link_column():
    import pandas as pd

    table = pd.DataFrame(
        {
            "title": ["京东接入支付宝", "淘宝开通微信支付", "微信关闭京东入口"],
            "url": ["https://example.com/a", "javascript:alert(1)", None],
        }
    )
    kept = render.only_http_links(table)
    assert kept["url"][0] == "https://example.com/a" and kept["url"][1:].isna().all()
    assert table["url"][1] == "javascript:alert(1)"  # the cached table is not changed


def test_markdown_in_a_title_is_shown_as_text():
    escaped = render.escape_markdown("[点我](javascript:alert(1)) 淘宝**开通**微信支付")
    assert escaped == r"\[点我\]\(javascript\:alert\(1\)\) 淘宝\*\*开通\*\*微信支付"


def test_markup_and_streamlit_directives_are_escaped_too():
    assert render.escape_markdown("<b>京东</b>:red[支付宝] $1$") == r"\<b\>京东\<\/b\>\:red\[支付宝\] \$1\$"


def test_a_button_opening_an_article_shows_its_title_as_text():
    assert render.open_article_label("京东_接入_支付宝", "zh") == r"阅读全文: 京东\_接入\_支付宝"


def test_the_evidence_card_escapes_everything():
    import pandas as pd

    reports = pd.DataFrame(
        [
            {
                "a_surface": "京东",
                "b_surface": "支付宝",
                "date_text": "10月29日",
                "date": "2024-10-29",
                "date_resolution": "same sentence",
                "sentence_original": "10月29日，京东开通<支付宝>支付",
                "sentence_simplified": "10月29日，京东开通<支付宝>支付",
                "evidence": "",
                "title": "T",
                "source": "S",
                "published_at": None,
                "url": None,
            }
        ]
    )
    event = {
        "a": "京东",
        "b": "支付宝",
        "domain": "payment",
        "action": "start",
        "date": "2024-10-29",
        "date_resolution": "same sentence",
    }
    card = render.evidence_card_html(event, reports, names={"京东": "JD.com"}, lang="en")
    assert "JD.com – 支付宝 · payment · start" in card
    assert card.count("<mark") == 3 and "&lt;" in card and "<支付宝>" not in card


def test_the_evidence_card_shows_confidence_rule_and_an_approximate_date():
    event = {
        "event_id": "e1",
        "kind": "partnership",
        "a": "京东",
        "b": "快手",
        "domain": "payment",
        "action": "planned",
        "date": "2025-03",
        "date_resolution": "approximate: a plan reported without a date of its own; the publication month 2025-03",
        "rule": "later subject",
        "confidence": 0.54,
    }
    reports = pd.DataFrame(columns=["a_surface", "b_surface", "date_text", "sentence_original", "evidence"])
    card = render.evidence_card_html(event, reports, names={}, lang="zh")
    assert "≈ 2025-03" in card and "置信度: <b>54%</b>" in card and "与 + 名称 + 触发词" in card
    assert "报道计划但未给出日期" in card


def test_markdown_in_an_article_reads_as_text_with_its_spans_still_in_place():
    text = "## 淘宝开通微信支付\n\n**淘宝**宣布接入*微信支付*，详见[公告](https://e.com/x)。\n- 第一阶段 <b>上线</b>"
    start = text.index("微信支付", 10)
    page = render.article_html(text, [Span(start, start + 4, "entity", "WeChat Pay")], markdown=True)
    assert "## " not in page and "**" not in page and "](" not in page and "*微" not in page
    assert '淘宝宣布接入<mark style="' in page and 'title="WeChat Pay">微信支付</mark>，详见公告。' in page
    assert "• 第一阶段 &lt;b&gt;上线&lt;/b&gt;" in page  # still escaped
    assert "**淘宝**" in render.article_html(text, [])  # a plain-text article keeps its characters


def test_publication_times_are_beijing_time_and_a_day_alone_has_no_midnight():
    assert render.publication_times(
        [pd.Timestamp("2025-12-21 16:00", tz="UTC"), pd.Timestamp("2025-12-22 01:30", tz="UTC"), None]
    ) == ["2025-12-22", "2025-12-22 09:30 +08:00", ""]


def test_concordance_lines_escape_everything_and_mark_the_keyword_between_its_contexts():
    import pandas as pd

    lines = pd.DataFrame(
        [
            {
                "occurrence": 7,
                "left": "<b>開放</b>",
                "keyword": "流量",
                "right": "<script>x</script>入口",
                "title": "<i>京東</i>",
                "source": "測試",
                "published_at": pd.Timestamp("2025-09-28 12:12", tz="UTC"),
                "url": "javascript:alert(1)",
            }
        ]
    )
    html = render.concordance_html(lines, lang="en")
    assert "<b>開放" not in html and "<script" not in html and "<i>" not in html and "javascript:" not in html
    assert "&lt;b&gt;開放&lt;/b&gt;</td>" in html and ">流量</mark>" in html and "2025-09-28 20:12 +08:00" in html
    assert ">7</td>" in html
