"""Tests of the page's corrections with Streamlit's AppTest, in both languages: the evidence card's form
rejects, fixes or merges an event, the timeline rings what was corrected and says why, and a session's
corrections stay in that session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hutong import corrections, labels, render
from hutong.lexicon import load_lexicon
from hutong.queries import filters

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def seed_app(seed_store, monkeypatch) -> AppTest:
    monkeypatch.setenv("HUTONG_STORE_DIR", str(seed_store))
    return AppTest.from_file(APP, default_timeout=60)


@pytest.fixture
def tiny_app(tiny_store, monkeypatch) -> AppTest:
    monkeypatch.setenv("HUTONG_STORE_DIR", str(tiny_store))
    return AppTest.from_file(APP, default_timeout=60)


def event_id_of(store: Path, a: str, b: str, *, action: str = "") -> str:
    """The one event between a and b (either order), with that action when one is given."""
    with filters.connect(store) as con:
        ((event_id,),) = con.execute(
            "SELECT event_id FROM events WHERE least(a, b) = least(?, ?) AND greatest(a, b) = greatest(?, ?) "
            "AND (? = '' OR action = ?)",
            [a, b, a, b, action, action],
        ).fetchall()
    return event_id


def timeline_traces(at: AppTest, lang: str) -> dict[str, dict]:
    """The timeline's traces by name."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"]["title"]["text"].startswith(labels.t("timeline", lang)):
            return {trace.get("name"): trace for trace in spec["data"]}
    raise AssertionError("no timeline")


def drawn_event_ids(at: AppTest, lang: str) -> set[str]:
    return {row[0] for trace in timeline_traces(at, lang).values() for row in trace.get("customdata") or [] if row[0]}


def opened(app: AppTest, event_id: str, lang: str) -> AppTest:
    app.query_params.update({"event": event_id, "lang": lang})
    at = app.run()
    assert not at.exception and not at.error
    return at


def save(at: AppTest, lang: str) -> AppTest:
    (button,) = [b for b in at.button if b.label == labels.t("save_correction", lang)]
    return button.click().run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_date_fixed_in_the_evidence_card_is_ringed_on_the_timeline_with_its_note(tiny_app, tiny_store, lang):
    event_id = event_id_of(tiny_store, "京东物流", "菜鸟")
    at = opened(tiny_app, event_id, lang)
    assert labels.t("corrected", lang) not in timeline_traces(at, lang)
    at.radio(key=f"fix_change_{event_id}").set_value("fix")
    at.text_input(key=f"fix_date_{event_id}").set_value("2024-11")
    at.text_area(key=f"fix_note_{event_id}").set_value("<i>记者写错了年份</i>")
    at = save(at, lang)
    assert not at.exception and not at.error
    ring = timeline_traces(at, lang)[labels.t("corrected", lang)]
    assert ring["customdata"] == [[event_id]] and ring["x"] == ["2024-11-01"]
    hover = ring["hovertext"][0].replace("<br>", "")
    assert "2024-11 (" + labels.t("correction_was", lang) + " 2025-02-08)" in hover
    assert "&lt;i&gt;记者写错了年份&lt;/i&gt;" in hover  # the note is text, never markup
    card = "\n".join(h.proto.body for h in at.get("html"))
    assert "class='correction'" in card and "<i>" not in card
    assert f"{labels.t('my_corrections', lang)} (1)" in [e.label for e in at.expander]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_rejected_event_leaves_the_timeline_and_its_card_closes(tiny_app, tiny_store, lang):
    event_id = event_id_of(tiny_store, "淘宝", "微信支付")
    at = opened(tiny_app, event_id, lang)
    assert event_id in drawn_event_ids(at, lang)
    at.radio(key=f"fix_change_{event_id}").set_value("reject")
    at = save(at, lang)
    assert not at.exception and not at.error
    assert event_id not in drawn_event_ids(at, lang)
    assert at.session_state["event"] is None and "event" not in at.query_params
    (kept,) = at.session_state["_corrections"]
    assert (kept.change, kept.a, kept.b, kept.doc_id) == ("reject", "淘宝", "微信支付", kept.doc_id)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_merge_asks_for_its_other_event_then_makes_one_of_two(seed_app, seed_store, lang):
    # the seed corpus's 京东 – 支付宝 payment link, ended (2011) and started again (2024): merged, say, by mistake
    event_id, other = (event_id_of(seed_store, "京东", "支付宝", action=a) for a in ("start", "end"))
    at = opened(seed_app, event_id, lang)
    offered = at.selectbox(key=f"fix_merge_{event_id}").options  # the events sharing a party, by their titles
    assert any(o.startswith(other) for o in offered) and not any(o.startswith(event_id) for o in offered)
    assert all("京东" in o or "支付宝" in o or "JD" in o or "Alipay" in o for o in offered)
    at.radio(key=f"fix_change_{event_id}").set_value("merge")
    at = save(at, lang)
    assert render.escape_markdown(labels.t("merge_needs_target", lang)) in [e.value for e in at.error]
    at.radio(key=f"fix_change_{event_id}").set_value("merge")
    at.selectbox(key=f"fix_merge_{event_id}").set_value(other)
    at = save(at, lang)
    assert not at.exception and not at.error
    drawn = drawn_event_ids(at, lang)
    assert min(event_id, other) in drawn and max(event_id, other) not in drawn
    assert [c.change for c in at.session_state["_corrections"]] == ["merge", "merge"]


def test_a_sessions_corrections_are_not_seen_by_another_session(tiny_app, tiny_store):
    event_id = event_id_of(tiny_store, "淘宝", "微信支付")
    at = opened(tiny_app, event_id, "zh")
    at.radio(key=f"fix_change_{event_id}").set_value("reject")
    save(at, "zh")
    other = AppTest.from_file(APP, default_timeout=60).run()  # another visitor, on the same store
    assert not other.exception
    assert event_id in drawn_event_ids(other, "zh")
    assert f"{labels.t('my_corrections', 'zh')} (0)" in [e.label for e in other.expander]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_corrections_that_find_no_event_are_listed_with_the_reason(tiny_app, lang):
    lost = corrections.Correction("0" * 16, "没有这句话。", "京东", "淘宝", "payment", "start", "reject")
    tiny_app.session_state["_corrections"] = [lost]
    at = tiny_app.run()
    assert not at.exception and not at.error
    assert labels.t("corrections_stale", "zh").format(n=1) in [w.value for w in at.warning]
    at.sidebar.radio(key="lang").set_value(lang)
    at = at.run()
    assert labels.t("corrections_stale", lang).format(n=1) in [w.value for w in at.warning]
    reasons = [row for frame in at.dataframe for row in frame.value.get(labels.t("reason", lang), [])]
    assert labels.stale_reason(corrections.NO_EVENT, lang) in reasons


def corrections_uploader(at: AppTest):
    (uploader,) = [u for u in at.get("file_uploader") if u.proto.id.endswith("-corrections_upload")]
    return uploader


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_downloaded_corrections_imported_in_a_new_session_apply_again(tiny_app, tiny_store, lang):
    event_id = event_id_of(tiny_store, "京东物流", "菜鸟")
    at = opened(tiny_app, event_id, lang)
    at.radio(key=f"fix_change_{event_id}").set_value("fix")
    at.selectbox(key=f"fix_action_{event_id}").set_value("planned")
    at = save(at, lang)
    downloaded = corrections.corrections_csv(at.session_state["_corrections"]).encode("utf-8-sig")

    later = AppTest.from_file(APP, default_timeout=60)
    later.query_params["lang"] = lang
    later = later.run()
    assert labels.t("corrected", lang) not in timeline_traces(later, lang)
    corrections_uploader(later).set_value([("hutong-corrections.csv", downloaded, "text/csv")]).run()
    assert not later.exception and not later.error
    assert timeline_traces(later, lang)[labels.t("corrected", lang)]["customdata"] == [[event_id]]
    changes = [c for frame in later.dataframe for c in frame.value.get(labels.t("change", lang), [])]
    assert changes == [labels.t("change_fix", lang)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_imported_file_with_a_bad_line_is_refused_naming_the_line(tiny_app, lang):
    tiny_app.query_params["lang"] = lang
    at = tiny_app.run()
    bad = ",".join(corrections.COLUMNS) + "\nd1,淘宝接入微信支付。,淘宝,微信支付,payment,start,pause,,,,,,,\n"
    corrections_uploader(at).set_value([("mine.csv", bad.encode(), "text/csv")]).run()
    (error,) = at.error
    assert labels.t("correction_invalid", lang) in error.value and "mine.csv: line 2" in error.value.replace("\\", "")
    assert "_corrections" not in at.session_state


def matrix_text(at: AppTest, lang: str, row: str, column: str) -> str:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"]["title"]["text"].startswith(labels.t("matrix", lang)):
            (heat,) = [t for t in spec["data"] if t["type"] == "heatmap"]
            names = {n: e.name_en for n, e in load_lexicon().entities.items()}
            row, column = (labels.entity_label(n, names, lang) for n in (row, column))
            return heat["text"][heat["y"].index(row)][heat["x"].index(column)]
    raise AssertionError("no matrix")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_rejected_start_no_longer_opens_its_link_in_the_matrix(seed_app, seed_store, lang):
    event_id = event_id_of(seed_store, "京东", "支付宝", action="start")
    seed_app.query_params["asof"] = "2025-10-01"
    at = opened(seed_app, event_id, lang)
    assert labels.domain_label("payment", lang).split(" ")[0] + "✓" in matrix_text(at, lang, "京东", "支付宝")
    at.radio(key=f"fix_change_{event_id}").set_value("reject")
    at = save(at, lang)
    assert not at.exception and not at.error
    assert "✓" not in matrix_text(at, lang, "京东", "支付宝")
