"""The interface's words in both languages (Chinese and English): labels, domains and entity names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from hutong.timeline import milestone_mark

LANGS = ("zh", "en")


_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Hutong 互联互通 · 平台互联互通新闻看板", "Hutong 互联互通 · platform interoperability in the news"),
    "articles": ("文章", "Articles"),
    "sources": ("来源", "Sources"),
    "span": ("时间跨度", "Date span"),
    "scripts": ("文字", "Scripts"),
    "events": ("事件", "Events"),
    "filters": ("筛选", "Filters"),
    "language": ("界面语言", "Language"),
    "corpus": ("语料", "Corpus"),
    "bundled": ("内置语料", "Bundled corpus"),
    "uploaded": ("我上传的文章", "My uploaded articles"),
    "dates": ("日期范围", "Date range"),
    "entities": ("实体或集团", "Entities or groups"),
    "entities_help": (
        "选择集团（如阿里巴巴）即包含其全部成员（淘宝、天猫、支付宝、菜鸟……）",
        "A group (e.g. Alibaba) includes all its members (Taobao, Tmall, Alipay, Cainiao …)",
    ),
    "domains": ("事件领域", "Event domains"),
    "actions": ("事件动作", "Event actions"),
    "search": ("全文搜索", "Search the text"),
    "min_confidence": ("事件最低置信度", "Lowest event confidence"),
    "min_confidence_help": (
        "隐藏抽取器把握较低的事件；0 显示全部事件。",
        "Hide the events the extractor is less sure of; 0 shows every event.",
    ),
    "confidence": ("置信度", "confidence"),
    "source_table": ("各来源的文章", "Articles by source"),
    "source_name": ("来源", "source"),
    "source_articles": ("文章", "articles"),
    "source_first": ("最早", "first"),
    "source_last": ("最晚", "last"),
    "rule": ("抽取规则", "rule"),
    "share": ("分享此视图", "Share this view"),
    "share_help": ("复制此链接即可重新打开完全相同的视图：", "Copy this link to reopen exactly this view:"),
    "reset": ("清除筛选", "Clear filters"),
    "trends": ("关键词趋势", "Keyword trends"),
    "measure": ("度量", "Measure"),
    "attention": ("关注度基线：每期文章数", "Attention baseline: articles per period"),
    "all_articles": ("全部文章", "all articles"),
    "matching": ("符合筛选的文章", "matching the filters"),
    "per10k": ("每万词出现次数", "per 10,000 tokens"),
    "share_articles": ("占符合筛选文章的比例", "share of matching articles"),
    "share_all_articles": ("占本期全部文章的比例", "share of all the period's articles"),
    "compare": ("对比查询", "Compare queries"),
    "compare_queries": ("要对比的查询", "Queries to compare"),
    "compare_help": (
        "每项一个查询：词语、带引号的短语，可用 AND、OR、NOT（或 -）组合，繁简皆可；以 @ 开头为实体或集团（含成员），"
        "如 @阿里巴巴。曲线为同期符合筛选的文章中匹配该查询的比例。",
        "One query per entry: words or a quoted phrase, combined with AND, OR, NOT (or -), in either script; "
        "@ and a name for an entity or a group with its members, e.g. @阿里巴巴. Each line is the share of the "
        "period's matching articles that match the query.",
    ),
    "compare_empty": (
        "添加两个或更多查询，在同一张图上对比它们随时间的变化。",
        "Add two or more queries to compare them over time on one chart.",
    ),
    "compare_measure": ("对比度量", "Compare by"),
    "concordance": ("语境索引（全部出现）", "Concordance (every occurrence)"),
    "concordance_term": ("查看词语的全部上下文", "Every context of a term"),
    "concordance_help": (
        "在筛选后的全部文章中查找该词的每一次出现；繁体文章以原文显示。",
        "Every occurrence of the term in the filtered articles; traditional-script articles are shown as written.",
    ),
    "concordance_period": ("只看所点的时段 {period}", "Only the clicked period, {period}"),
    "concordance_count": (
        "共 {occurrences} 处，分布在 {articles} 篇文章的 {sentences} 个句子中；第 {first}–{last} 处",
        "{occurrences} occurrences in {sentences} sentences of {articles} articles; showing {first}–{last}",
    ),
    "concordance_none": ("筛选后的文章中没有这个词。", "The term does not occur in the filtered articles."),
    "page": ("页", "Page"),
    "articles_csv": ("全部符合筛选的文章 CSV（{total} 篇）", "Every matching article, CSV ({total})"),
    "bucket": ("时间粒度", "Time bucket"),
    "auto": ("自动", "auto"),
    "day": ("日", "day"),
    "week": ("周", "week"),
    "month": ("月", "month"),
    "quarter": ("季度", "quarter"),
    "terms": ("关键词（可添加）", "Terms (add any)"),
    "terms_help": ("默认显示筛选范围内上升最快的词", "By default, the terms rising most in the filtered span"),
    "click_point": ("点击图中的点，查看其背后的句子。", "Click a point to see the sentences behind it."),
    "kwic": ("上下文", "In context"),
    "mentions": ("实体提及", "Entity mentions"),
    "top_entities": ("提及最多的实体", "Most mentioned entities"),
    "entities_over_time": ("实体提及趋势", "Mentions over time"),
    "network": ("同句共现网络", "Co-occurrence in sentences"),
    "click_entity": ("点击实体即可按其筛选整页。", "Click an entity to filter the page to it."),
    "timeline": ("合作时间线", "Partnership timeline"),
    "click_event": ("点击事件查看证据。", "Click an event to see its evidence."),
    "timeline_bounded": (
        "只画出报道最多的 {rows} 行（共 {total} 行、{events} 个事件）；按实体或领域筛选可看到其他行。",
        "Drawing the {rows} rows with the most reports (of {total} rows, {events} events); "
        "filter by entity or domain to see the others.",
    ),
    "reports_bounded": ("列出前 {shown} 篇报道（共 {total} 篇）。", "Listing the first {shown} of {total} reports."),
    "reader_bounded": (
        "列出最新的 {shown} 篇（共 {total} 篇）；缩小筛选范围可看到更早的文章。",
        "Listing the newest {shown} of {total} articles; narrow the filters to reach older ones.",
    ),
    "evidence": ("证据", "Evidence"),
    "other_reports": ("同一事件的其他报道", "Other reports of the same event"),
    "close": ("关闭", "Close"),
    "matrix": ("互联互通矩阵", "Interoperability matrix"),
    "as_of": ("截至日期", "As of"),
    "after_last_article": (
        "你要求截至 {asked}；语料的最后一篇文章或事件在 {last}，此后的情况无从得知，矩阵显示截至 {last} 的状态。",
        "You asked for {asked}; the corpus's last article or event is on {last}, and nothing is known after it: "
        "the matrix shows the state as of {last}.",
    ),
    "level": ("粒度", "Level"),
    "entity": ("实体", "entities"),
    "group": ("集团", "groups"),
    "click_cell": ("点击单元格查看其背后的事件。", "Click a cell to list the events behind it."),
    "matrix_top_parties": (
        "显示 {shown} / {total} 个参与方（事件最多者）；在侧栏选择实体可查看其他参与方。",
        "Showing {shown} of {total} parties (those with the most events); pick entities in the sidebar to see others.",
    ),
    "reader": ("文章阅读", "Article reader"),
    "pick_article": ("选择文章", "Pick an article"),
    "open_article": ("阅读全文", "Read the article"),
    "exports": ("导出", "Exports"),
    "csv": ("CSV", "CSV"),
    "events_csv": ("事件 CSV", "Events CSV"),
    "events_json": ("事件 JSON", "Events JSON"),
    "upload": ("上传你自己的文章", "Your own articles"),
    "upload_help": (
        "仅在本次浏览会话中可见；内置语料不会改变。",
        "Visible in this browser session only; the bundled corpus is never changed.",
    ),
    "upload_build": ("处理上传的文章", "Process the uploaded files"),
    "upload_outcomes": ("每个上传文件的处理结果", "What became of each uploaded file"),
    "upload_failed": (
        "处理上传的文章时出错，未能建立语料。请检查文件后重试。",
        "Processing the uploaded files failed, and no corpus was made. Check the files and try again.",
    ),
    "upload_file": ("文件", "File"),
    "upload_row": ("行", "Row"),
    "upload_status": ("结果", "Result"),
    "upload_reason": ("说明", "Reason"),
    "status_ingested": ("已收录", "ingested"),
    "status_duplicate": ("重复", "duplicate"),
    "status_rejected": ("未收录", "rejected"),
    "upload_limits": ("上限：{files} 个文件，共 {mb} MB", "Limits: {files} files, {mb} MB in all"),
    "building": ("正在处理文章……", "Processing articles …"),
    "no_data": ("当前筛选下没有数据。", "No data for the current filters."),
    "source": ("来源", "Source"),
    "published": ("发布时间", "Published"),
    "china_time": (
        "北京时间（+08:00）；只给出日期的文章只显示日期。",
        "Beijing time (+08:00); an article that gives only its day shows only the day.",
    ),
    "link": ("链接", "Link"),
    "date": ("日期", "Date"),
    "resolution": ("日期依据", "How the date was resolved"),
    "precision": ("精度", "Precision"),
    "count": ("次数", "Count"),
    "legend": ("图例", "Legend"),
    "undated": ("篇无发布时间", "undated"),
    "milestone": ("里程碑", "milestone"),  # a row of milestones, a regulator's or a company's
    "milestone_regulatory": ("监管里程碑", "regulatory milestone"),
    "milestone_company": ("公司里程碑（上线/推出）", "company milestone (launch)"),
    "planned_fulfilled": ("计划（已实现）", "planned, then started"),
    "fulfilled_by": ("由此实现：", "fulfilled by"),
    "open": ("开通", "open"),
    "closed": ("关闭", "closed"),
    "planned": ("计划", "planned"),
    "none": ("无", "none"),
    "sometime_in": ("{period} 内某时，尚不确定", "sometime in {period}"),
    "start": ("开通", "start"),
    "end": ("中断", "end"),
    "end_without_start": ("中断（未知开始）", "end, start unknown"),
    "still_open": ("至今（最后一篇文章）", "still open (last article)"),
    "inherited": ("开始取自集团层面的事件", "start taken from the group-level event"),
    "year": ("年", "year"),
    "period_band": ("日期只知到年/月的时段", "date known only to its year or month"),
    "simplified": ("简体", "simp."),
    "traditional": ("繁体", "trad."),
    "mixed": ("简繁混合", "mixed"),
    "choose": ("请选择", "Choose options"),
    "title_col": ("标题", "title"),
    "script": ("文字", "script"),
    "chars": ("字数", "characters"),
    "event_reports": ("事件报道", "event reports"),
    "mentions_axis": ("提及次数", "mentions"),
    "mentions_per10k": ("每万词提及", "mentions per 10,000 tokens"),
    "sentences": ("共现句子数", "shared sentences"),
    "domain": ("领域", "domain"),
    "action": ("动作", "action"),
    "parties": ("双方", "parties"),
    "event_id": ("事件编号", "event"),
    "no_events_cell": ("该单元格在此日期之前没有事件。", "No events for this cell up to that date."),
}
_DOMAIN_ZH = {
    "payment": "支付",
    "logistics": "物流",
    "traffic": "流量",
    "storefront": "店铺",
    "capital": "资本",
    "other": "其他",
    "milestone": "里程碑",
}


def t(key: str, lang: str) -> str:
    """The interface's word for key in the language ("zh" or "en"); the key itself when unknown."""
    pair = _TEXT.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


# the words of each measure of a series over time (hutong.queries.trends.MEASURES, the compare chart's docs)
_MEASURE_KEYS = {"per10k": "per10k", "share": "share_articles", "share_all": "share_all_articles", "docs": "articles"}


def measure_label(measure: str, lang: str) -> str:
    return t(_MEASURE_KEYS.get(measure, measure), lang)


def upload_outcome_table(outcomes: list[dict], lang: str) -> list[dict]:
    """uploads.upload_outcomes as the upload panel lists them: one row a file (or a file's row), labelled in
    the page's language."""
    return [
        {
            t("upload_file", lang): o["file"],
            t("upload_row", lang): "" if o["row"] is None else str(o["row"]),
            t("upload_status", lang): t(f"status_{o['status']}", lang),
            t("upload_reason", lang): o["reason"],
        }
        for o in outcomes
    ]


def source_table(spans, lang: str) -> list[dict]:
    """queries.corpus.source_spans as the sidebar lists it: each source's articles and date span."""

    def day(value) -> str:
        return "" if value is None or value != value else str(value)[:10]  # NaT is not equal to itself

    return [
        {
            t("source_name", lang): row["source"],
            t("source_articles", lang): int(row["articles"]),
            t("source_first", lang): day(row["first_day"]),
            t("source_last", lang): day(row["last_day"]),
        }
        for row in spans.to_dict("records")
    ]


def domain_label(domain: str, lang: str) -> str:
    return domain if lang == "en" else f"{_DOMAIN_ZH.get(domain, domain)} {domain}"


def entity_label(name: str, names_en: Mapping[str, str], lang: str) -> str:
    """An entity in the chosen language: the lexicon's English name, else the Chinese one."""
    if lang == "en":
        return names_en.get(name) or name
    return name


def entity_labels(names: Iterable[str], names_en: Mapping[str, str], lang: str) -> dict[str, str]:
    return {n: entity_label(n, names_en, lang) for n in names if isinstance(n, str)}


# ---- events: the pattern that found one, how sure it is, and how its date was found ---------------------

_RULE_ZH = {
    "joined": "A 与 B + 触发词（同一分句）",
    "subject-object": "主语 + 触发词 + 宾语（同一分句）",
    "carried subject": "触发词 + 宾语，主语取自前一分句",
    "both parties": "双方/两者 + 触发词",
    "later subject": "与 + 名称 + 触发词，主语在后一分句",
    "sentence party": "一方 + 触发词，另一方在句中别处",
    "earlier pair": "A 与 B 在前一分句，触发词在后",
    "enumerated": "集团事件 + 包括 + 成员",
    "named after": "触发词 + 宾语 + 的还有/是 + 主语",
    "likewise": "前一事件 + ……的还有 X / X 也是如此",
    "milestone": "监管机构 + 里程碑词（召开、印发……）",
    "launch": "集团 + 上线/推出",
}


def rule_label(rule, lang: str) -> str:
    """The extraction pattern that found an event, in the page's language ('' when not known)."""
    if not isinstance(rule, str) or not rule:
        return ""
    return _RULE_ZH.get(rule, rule) if lang != "en" else rule


def confidence_text(confidence) -> str:
    """A confidence (0–1) as a percentage; '—' when not known."""
    try:
        value = float(confidence)
    except (TypeError, ValueError):
        return "—"
    return "—" if value != value else f"{value:.0%}"


APPROXIMATE = "approximate:"


def is_approximate(resolution) -> bool:
    """Whether the extractor dated an event only approximately (by the publication day or month)."""
    return isinstance(resolution, str) and resolution.startswith(APPROXIMATE)


def event_date_text(date_value, resolution) -> str:
    """An event's date as written at its precision ("2024", "2024-10"), "≈ 2025-03" when only approximate,
    "—" when undated."""
    if not isinstance(date_value, str) or not date_value:
        return "—"
    return f"≈ {date_value}" if is_approximate(resolution) else date_value


# The fixed phrases of the extractor's date explanations (hutong.events), longest first so that a phrase
# holding another is translated whole; dates, quoted words and sentence numbers pass through as they are.
_EXPLANATION_ZH = sorted(
    [
        ("approximate", "约略"),
        ("corrected by an analyst", "分析员已更正"),
        ("undated", "无日期"),
        ("a headline, news of the publication day", "标题，视为发布当日的新闻"),
        ("a headline without a date", "标题中没有日期"),
        ("the publication month", "发布月份"),
        ("a plan reported without a date of its own", "报道计划但未给出日期"),
        ("reported as done, with no date in its paragraph", "报道为已完成，所在段落没有日期"),
        ("no date in the sentence or earlier in its paragraph", "句中及段落前文都没有日期"),
        ("and the publication time is not known", "且发布时间未知"),
        ("refers to the time of writing", "指写作之时"),
        ("refers to an earlier, unnamed time", "指此前某个未指明的时间"),
        ("is a duration, not a date", "是时长而非日期"),
        ("same sentence, when the plan was stated", "同句，计划提出之时"),
        ("takes effect on the day the sentence names", "自句中所说的日期起生效"),
        ("same sentence", "同句"),
        ("same clause", "同一分句"),
        ("discourse", "上下文"),
        ("earlier in the paragraph", "见于段落前文"),
        ("year only", "仅取年份"),
        ("from another report in this article", "取自本文另一条报道"),
        ("value is the start", "取起始值"),
        ("range", "范围"),
        ("says it is under way at the time of writing", "表示写作之时正在进行"),
    ],
    key=lambda pair: -len(pair[0]),
)


def date_explanation(resolution, lang: str) -> str:
    """How an event's date was found, in the page's language (the fixed phrases translated)."""
    if not isinstance(resolution, str):
        return ""
    if lang == "en":
        return resolution
    text = re.sub(r"\(sentence (\d+)\)", r"（第 \1 句）", resolution)
    text = re.sub(r"as the event of sentence (\d+)", r"同第 \1 句的事件", text)
    text = re.sub(r"same pair's event in sentence (\d+)", r"同一对平台在第 \1 句的事件", text)
    for english, chinese in _EXPLANATION_ZH:
        text = text.replace(english, chinese)
    return text


def action_label(kind, action, rule, lang: str) -> str:
    """What an event did, in the page's language: a milestone has its own words, never a partnership's 开通."""
    if kind == "milestone":
        return t(milestone_mark(rule), lang)
    return t(action, lang)


def cell_events_table(frame, *, names: Mapping[str, str], lang: str) -> list[dict]:
    """The events behind a matrix cell (hutong.queries.matrix.cell_events) as the page lists them: every
    column named and every value written in the page's language."""
    return [
        {
            t("event_id", lang): e["event_id"],
            t("date", lang): event_date_text(e["date"], e.get("date_resolution")),
            t("precision", lang): t(str(e["precision"]), lang),
            t("parties", lang): " – ".join(names.get(p, p) for p in (e["a"], e["b"]) if isinstance(p, str)),
            t("domain", lang): domain_label(e["domain"], lang),
            t("action", lang): action_label(e.get("kind"), e["action"], e.get("rule"), lang),
            t("confidence", lang): confidence_text(e.get("confidence")),
            t("evidence", lang): e["evidence"],
        }
        for e in frame.to_dict("records")
    ]


# ---- analysts' corrections (hutong.corrections) -------------------------------------------------------------

_TEXT.update(
    {
        "corrected": ("已更正", "corrected"),
        "correct_event": ("更正此事件", "Correct this event"),
        "change": ("更正方式", "Correction"),
        "change_reject": ("标为错误（删除）", "Mark as wrong (remove)"),
        "change_fix": ("修改双方、领域、动作或日期", "Fix parties, domain, action or date"),
        "change_merge": ("与另一事件合并", "Merge with another event"),
        "party_a": ("一方", "First party"),
        "party_b": ("另一方", "Second party"),
        "new_date_help": ("写作 2024、2024-10 或 2024-10-29", "Written 2024, 2024-10 or 2024-10-29"),
        "merge_target": ("与之合并的事件", "The event to merge with"),
        "note": ("备注", "Note"),
        "save_correction": ("保存更正", "Save the correction"),
        "correction_saved": ("更正已保存在本次会话中。", "The correction is kept in this session."),
        "correction_invalid": ("无法保存此更正", "This correction cannot be kept"),
        "merge_needs_target": ("请选择与之合并的事件。", "Choose the event to merge with."),
        "my_corrections": ("本次会话的更正", "This session's corrections"),
        "corrections_private": (
            "更正只保存在本次会话中，其他访问者看不到，关闭页面即消失：请下载 CSV 保存。"
            "将其中的行加入 data/corrections/corrections.csv 后重新构建，即成为所有人的更正。",
            "Corrections are kept in this session only: no other visitor sees them and they are gone when the "
            "page closes, so download them as CSV. Add the rows to data/corrections/corrections.csv and build "
            "again to make them everyone's.",
        ),
        "corrections_csv": ("下载本次会话的更正（CSV）", "Download this session's corrections (CSV)"),
        "corrections_import": ("导入更正（CSV）", "Import corrections (CSV)"),
        "corrections_clear": ("清除本次会话的更正", "Clear this session's corrections"),
        "corrections_stale": (
            "{n} 条更正找不到对应的事件，未生效：",
            "{n} corrections find no event and change nothing:",
        ),
        "correction_was": ("原为", "was"),
        "merged_events": ("合并了 {n} 个事件", "{n} events merged into it"),
        "merged_event": ("合并了 1 个事件", "1 event merged into it"),
        "reason": ("原因", "reason"),
    }
)
_CHANGED_FIELDS = {"a": "party_a", "b": "party_b", "domain": "domain", "action": "action", "date": "date"}
_STALE_REASON_ZH = {
    "no event has this report with these parties, domain and action": "没有事件在这句话中以这些双方、领域和动作被报道",
    "the fix would make the event's two parties one": "修改后事件的双方是同一方",
    "its merge finds one event, not two": "合并只找到一个事件",
}


def correction_text(event: Mapping, *, names: Mapping[str, str], lang: str) -> str:
    """What an analyst changed in an event and why, in the page's language ('' when nothing): each value
    corrected with what the extractor gave, the events merged into it, and the note."""
    if not event.get("corrected"):
        return ""

    def shown(field: str, value) -> str:
        if not isinstance(value, str):
            return "—"
        if field in ("a", "b"):
            return names.get(value, value)
        if field == "domain":
            return domain_label(value, lang)
        return t(value, lang) if field == "action" else value

    parts = []
    for field, key in _CHANGED_FIELDS.items():
        was = event.get(f"was_{field}")
        if isinstance(was, str) and was != event.get(field):
            now = shown(field, event.get(field))
            parts.append(f"{t(key, lang)}: {now} ({t('correction_was', lang)} {shown(field, was)})")
    merged = event.get("merged_events")
    if isinstance(merged, (int, float)) and merged == merged and merged > 0:
        parts.append(t("merged_event", lang) if merged == 1 else t("merged_events", lang).format(n=int(merged)))
    note = event.get("correction_note")
    if isinstance(note, str) and note:
        parts.append(f"{t('note', lang)}: {note}")
    return f"{t('corrected', lang)} · " + " · ".join(parts) if parts else t("corrected", lang)


def corrections_table(corrections: Iterable, *, names: Mapping[str, str], lang: str) -> list[dict]:
    """Corrections (hutong.corrections.Correction) as the page lists them, in its language."""
    return [
        {
            t("parties", lang): " – ".join(names.get(p, p) for p in (c.a, c.b) if p),
            t("domain", lang): domain_label(c.domain, lang) if c.domain else "—",
            t("action", lang): t(c.action, lang),
            t("change", lang): t(f"change_{c.change}", lang),
            t("corrected", lang): " · ".join(
                f"{t(_CHANGED_FIELDS[f], lang)}: {names.get(v, v) if f in ('a', 'b') else v}"
                for f, v in c.fixes().items()
            ),
            t("note", lang): c.note,
            t("evidence", lang): c.evidence,
        }
        for c in corrections
    ]


def stale_reason(reason: str, lang: str) -> str:
    return _STALE_REASON_ZH.get(reason, reason) if lang != "en" else reason
