from hutong.models import failure_reason


def test_a_failure_reason_names_the_stage_the_exception_type_and_its_message():
    assert failure_reason(KeyError("美团"), stage="analysis") == "analysis failed: KeyError: '美团'"
    assert failure_reason(RuntimeError(), stage="reading") == "reading failed: RuntimeError"


def test_a_failure_reason_keeps_a_paths_file_name_but_not_the_servers_folders():
    error = FileNotFoundError(2, "No such file or directory", "/srv/hutong/data/raw/新闻.txt")
    assert (
        failure_reason(error, stage="reading")
        == "reading failed: FileNotFoundError: [Errno 2] No such file or directory: '新闻.txt'"
    )
    windows = ValueError(r"cannot open C:\Users\editor\稿件\b.html")
    assert failure_reason(windows, stage="reading") == "reading failed: ValueError: cannot open b.html"


def test_a_failure_reason_leaves_links_and_fractions_alone():
    error = ValueError("see https://example.org/a/b about 1/2 of the rows")
    assert failure_reason(error, stage="reading").endswith("see https://example.org/a/b about 1/2 of the rows")


def test_a_failure_reason_is_one_short_line():
    reason = failure_reason(ValueError("第一行\n第二行 " + "很长" * 500), stage="analysis")
    assert "\n" not in reason and len(reason) < 340 and reason.endswith("…")
