"""Score extraction against gold files in the format of shared/eval (events and time expressions)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from hutong.ingest import parse_published_at, read_corpus
from hutong.models import RawArticle, TimeExpression
from hutong.normalise import to_simplified
from hutong.pipeline import analyse_article, load_resources

# Files beside a gold file that give its articles' publication times (columns id or doc or file, published_at)
PUBLICATION_FILES = ("sources*.csv", "MANIFEST.csv")


@dataclass(frozen=True)
class PredictedEvent:
    a: str
    b: str
    domain: str
    action: str
    date: str | None
    evidence: str = ""
    doc: str = ""

    def key(self) -> tuple:
        return frozenset((self.a, self.b)), self.domain, self.action, self.date


@dataclass
class EventScore:
    true_positives: int = 0
    predicted: int = 0  # predictions that count (those matching an optional gold event do not)
    required: int = 0
    missed: list[dict] = field(default_factory=list)
    false: list[PredictedEvent] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.required if self.required else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class TimexScore:
    passed: int = 0
    total: int = 0
    failures: list[dict] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0


def read_publication_times(gold_paths: Iterable[Path]) -> dict[str, str]:
    """Publication times given beside the gold files: {article id or file name: ISO time}.

    Gold for articles whose own text carries no date (or a misleading one, such as a repost's) comes with
    a sources file (`id`, `published_at`) or a MANIFEST.csv (`file`, `published_at`) in its folder.
    """
    times: dict[str, str] = {}
    folders = {path.resolve().parent for path in gold_paths}
    for folder in sorted(folders):
        for pattern in PUBLICATION_FILES:
            for path in sorted(folder.glob(pattern)):
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    for row in csv.DictReader(handle):
                        key = (row.get("id") or row.get("doc") or row.get("file") or "").strip()
                        value = (row.get("published_at") or "").strip()
                        if key and value:
                            times[key] = value
    return times


def article_key(input_id: str) -> set[str]:
    """The names a gold file may use for an article: its file name, and the name without its extension."""
    return {input_id, Path(input_id).stem, Path(input_id).name}


def read_gold(path: Path) -> list[dict]:
    lines = (line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return [json.loads(line) for line in lines]


def event_matches(predicted: PredictedEvent, gold: dict) -> bool:
    """Both parties accepted (either order), same domain and action, date starting with the gold date."""

    def accepted(value: str, names: list[str]) -> bool:
        return value in names

    parties_ok = (accepted(predicted.a, gold["a"]) and accepted(predicted.b, gold["b"])) or (
        accepted(predicted.b, gold["a"]) and accepted(predicted.a, gold["b"])
    )
    domain_ok = gold["domain"] == "*" or predicted.domain == gold["domain"]
    action_ok = gold["action"] == "*" or predicted.action == gold["action"]
    date_ok = gold["date"] == "*" or (predicted.date or "").startswith(gold["date"])
    return parties_ok and domain_ok and action_ok and date_ok


def score_events(predicted: Iterable[PredictedEvent], gold: list[dict], score: EventScore | None = None) -> EventScore:
    """One article: de-duplicate predictions, match one-to-one (maximum matching), count."""
    score = score or EventScore()
    unique = list({p.key(): p for p in predicted}.values())
    # required gold first, so a prediction that fits both goes where it counts
    order = sorted(range(len(gold)), key=lambda i: not gold[i].get("required", True))
    match_of_prediction: dict[int, int] = {}

    def assign(g: int, seen: set[int]) -> bool:
        for p, prediction in enumerate(unique):
            if p in seen or not event_matches(prediction, gold[g]):
                continue
            seen.add(p)
            if p not in match_of_prediction or assign(match_of_prediction[p], seen):
                match_of_prediction[p] = g
                return True
        return False

    for g in order:
        assign(g, set())
    matched_gold = set(match_of_prediction.values())
    for g in order:
        if gold[g].get("required", True):
            score.required += 1
            if g in matched_gold:
                score.true_positives += 1
            else:
                score.missed.append(gold[g])
    for p, prediction in enumerate(unique):
        g = match_of_prediction.get(p)
        if g is not None and not gold[g].get("required", True):
            continue  # matching an optional gold event is fine and not counted
        score.predicted += 1
        if g is None:
            score.false.append(prediction)
    return score


def score_time_expressions(
    times: list[TimeExpression], gold: list[dict], *, simplified_text: str, score: TimexScore | None = None
) -> TimexScore:
    """A gold line passes when an overlapping expression carries its value (or, for null, none carries a date)."""
    score = score or TimexScore()
    for line in gold:
        score.total += 1
        spans = _occurrences(simplified_text, to_simplified(line["text"]))  # gold may be written in either script
        overlapping = [t for t in times if any(t.start < e and s < t.end for s, e in spans)]
        if line["value"] is None:
            ok = bool(spans) and not any(t.value for t in overlapping)
        else:
            ok = any(t.value == line["value"] for t in overlapping)
        if ok:
            score.passed += 1
        else:
            got = [f"{t.text}→{t.value}" for t in overlapping] or (["text not found"] if not spans else ["nothing"])
            score.failures.append({**line, "got": got})
    return score


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    spans, start = [], text.find(needle)
    while start >= 0:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    return spans


@dataclass
class Evaluation:
    """Scores over a folder of articles, and each article's own event score."""

    events: EventScore = field(default_factory=EventScore)
    times: TimexScore = field(default_factory=TimexScore)
    by_article: dict[str, EventScore] = field(default_factory=dict)
    has_events: bool = False
    has_times: bool = False


def evaluate_folder(gold_paths: list[Path], docs: Path, *, resources=None) -> Evaluation:
    """Analyse each article the gold names (from `docs`) and score it against the gold.

    Publication times given beside the gold (read_publication_times) take the place of the articles' own.
    """
    gold_events: list[dict] = []
    gold_times: list[dict] = []
    for path in gold_paths:
        for line in read_gold(path):
            (gold_times if "value" in line else gold_events).append(line)
    published = read_publication_times(gold_paths)
    articles: dict[str, RawArticle] = {}
    for record in read_corpus(docs):
        if isinstance(record, RawArticle):
            for key in article_key(record.input_id):
                articles.setdefault(key, record)
    resources = resources or load_resources()
    result = Evaluation(has_events=bool(gold_events), has_times=bool(gold_times))
    for name in sorted({g["doc"] for g in gold_events + gold_times}):
        if name not in articles:
            raise FileNotFoundError(f"gold names {name}, which is not an article in {docs}")
        article = articles[name]
        given = next((published[k] for k in article_key(name) | article_key(article.input_id) if k in published), None)
        if given is not None:
            time, note = parse_published_at(given)
            if time is None:
                raise ValueError(f"publication time of {name} beside the gold: {note}")
            article = replace(article, published_at=time, published_at_note="given beside the gold")
        analysis = analyse_article(article, resources)
        predicted = [
            PredictedEvent(r["a"], r["b"], r["domain"], r["action"], r["date"], r["evidence"], doc=name)
            for r in analysis.event_reports
            if r["merged_into"] is None and r["kind"] == "partnership"
        ]
        doc_gold = [g for g in gold_events if g["doc"] == name]
        result.by_article[name] = score_events(predicted, doc_gold)
        score_events(predicted, doc_gold, result.events)
        times = [TimeExpression(**{k: v for k, v in t.items() if k != "doc_id"}) for t in analysis.times]
        score_time_expressions(
            times,
            [g for g in gold_times if g["doc"] == name],
            simplified_text=to_simplified(article.text),
            score=result.times,
        )
    return result
