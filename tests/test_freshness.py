"""Tests for hutong.freshness: when the bundled store is built again."""

from __future__ import annotations

import json
import os
import time

from hutong import freshness


def test_store_is_stale_when_missing_or_older_than_raw(tmp_path, seed_store):
    import shutil

    from hutong.paths import RAW_DIR

    raw = tmp_path / "raw"
    shutil.copytree(RAW_DIR, raw)
    for path in raw.iterdir():
        os.utime(path, (0, 0))
    seed_store = _rebuilt_from(raw, tmp_path)
    assert freshness.store_is_stale(tmp_path / "nothing", raw)
    assert not freshness.store_is_stale(seed_store, raw)
    (raw / "b.txt").write_text("y", encoding="utf-8")
    future = time.time() + 3600
    os.utime(raw / "b.txt", (future, future))
    assert freshness.store_is_stale(seed_store, raw)


def _rebuilt_from(raw, tmp_path):
    from hutong.pipeline import build_store

    build_store(raw, tmp_path / "store", workers=1)
    return tmp_path / "store"


def test_a_store_built_from_another_folder_is_never_stale(tmp_path, seed_store):
    other = tmp_path / "other"
    other.mkdir()
    (other / "new.txt").write_text("京东接入支付宝。", encoding="utf-8")
    assert not freshness.store_is_stale(seed_store, other)


def test_store_is_stale_when_made_by_another_version_of_the_analysis(tmp_path, seed_store):
    import shutil

    from hutong.paths import RAW_DIR

    raw = tmp_path / "raw"
    shutil.copytree(RAW_DIR, raw)
    for path in raw.iterdir():
        os.utime(path, (0, 0))
    copy = _rebuilt_from(raw, tmp_path)
    assert not freshness.store_is_stale(copy, raw)
    report = json.loads((copy / "report.json").read_text(encoding="utf-8"))
    report["summary"]["analysis_version"] = "older"
    (copy / "report.json").write_text(json.dumps(report), encoding="utf-8")
    assert freshness.store_is_stale(copy, raw)


def test_store_is_stale_when_the_repositorys_corrections_changed(tmp_path, monkeypatch):
    import shutil

    from hutong import corrections
    from hutong.paths import RAW_DIR
    from hutong.pipeline import build_store

    raw = tmp_path / "raw"
    shutil.copytree(RAW_DIR, raw)
    for path in raw.iterdir():
        os.utime(path, (0, 0))
    file = tmp_path / "corrections.csv"
    monkeypatch.setattr(freshness, "CORRECTIONS_PATH", file)
    copy = _rebuilt_from(raw, tmp_path)  # built with no corrections
    assert not freshness.store_is_stale(copy, raw)
    wrong = corrections.Correction(
        "d1", "京东接入支付宝。", "京东", "支付宝", "payment", "start", "reject", note="误报"
    )
    file.write_text(corrections.corrections_csv([wrong]), encoding="utf-8")
    assert freshness.store_is_stale(copy, raw)
    build_store(raw, copy, workers=1, corrections_path=file)
    assert not freshness.store_is_stale(copy, raw)
    file.write_text(",".join(corrections.COLUMNS) + "\nd1,京东接入支付宝。,京东,支付宝,payment,start,undo,,,,,,,\n")
    assert freshness.store_is_stale(copy, raw)  # a bad file too: the build then names its line
