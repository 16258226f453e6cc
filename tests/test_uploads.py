"""Tests for hutong.uploads: a visitor's uploads, staged, built into a private store and removed."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import pytest

from hutong import uploads


def test_uploads_are_written_under_generated_names(tmp_path):
    files = [("../../etc/passwd.txt", "京东接入支付宝。".encode()), ("报道.MD", b"# t\n\ntext")]
    folder = uploads.stage_uploads(files, limits=uploads.UploadLimits(), folder=tmp_path / "in")
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["MANIFEST.csv", "upload-001.txt", "upload-002.md"]
    assert not (tmp_path / "etc").exists()
    assert "../../etc/passwd.txt" in (folder / "MANIFEST.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("files", "limits", "reason"),
    [
        ([("a.txt", b"x" * 11)], uploads.UploadLimits(max_bytes=10), "over the limit"),
        ([("a.txt", b"x"), ("b.txt", b"y")], uploads.UploadLimits(max_files=1), "over the limit of 1"),
        ([("a.exe", b"x")], uploads.UploadLimits(), "is not one of"),
        ([], uploads.UploadLimits(), "no files"),
    ],
)
def test_uploads_over_a_limit_are_refused(tmp_path, files, limits, reason):
    with pytest.raises(uploads.UploadRejected, match=reason):
        uploads.stage_uploads(files, limits=limits, folder=tmp_path / "in")


def test_upload_limits_come_from_the_environment():
    limits = uploads.UploadLimits.from_env(
        {"HUTONG_UPLOAD_MAX_MB": "1", "HUTONG_UPLOAD_MAX_FILES": "3", "HUTONG_UPLOADS": "off"}
    )
    assert limits == uploads.UploadLimits(enabled=False, max_bytes=2**20, max_files=3)
    assert uploads.UploadLimits.from_env({}) == uploads.UploadLimits()
    assert uploads.UploadLimits.from_env({"HUTONG_UPLOAD_MAX_MB": "lots"}).max_bytes == 20 * 2**20


def test_private_store_is_built_in_a_temporary_folder_and_discarded(monkeypatch):
    calls = []

    def fake_build(input_dir: Path, out_dir: Path, **options):
        calls.append((input_dir, out_dir, options))
        out_dir.mkdir()

    store_dir = uploads.build_private_store(
        [("a.txt", "京东".encode())], limits=uploads.UploadLimits(), build=fake_build
    )
    assert store_dir.is_dir() and calls[0][2]["workers"] == 1
    assert (calls[0][0] / "upload-001.txt").exists()
    uploads.discard_private_store(store_dir)
    assert not store_dir.parent.exists()


def _private_store_of(text: str) -> Path:
    def make_store(input_dir: Path, out_dir: Path, **options):
        out_dir.mkdir()

    return uploads.build_private_store([("a.txt", text.encode())], limits=uploads.UploadLimits(), build=make_store)


def test_a_private_corpus_is_removed_when_its_session_state_is_dropped():
    store_dir = _private_store_of("京东商城正式开通支付宝支付。")
    session_state = {"_private_corpus": uploads.PrivateCorpus(store_dir)}
    assert store_dir.is_dir()
    session_state.clear()
    gc.collect()
    assert not store_dir.parent.exists()


def test_a_private_corpus_is_removed_when_replaced():
    first = uploads.PrivateCorpus(_private_store_of("淘宝天猫宣布全面接入微信支付。"))
    first.discard()
    assert not Path(first.store_dir).parent.exists()


def test_upload_folders_of_a_killed_server_are_removed_after_a_day():
    old, fresh = _private_store_of("美团宣布接入云闪付。"), _private_store_of("抖音电商与支付宝展开合作。")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(old.parent, (two_days_ago, two_days_ago))
    assert uploads.remove_stale_uploads() >= 1
    assert not old.parent.exists() and fresh.parent.exists()
    uploads.discard_private_store(fresh)
