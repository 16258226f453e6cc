"""Score extraction against gold files in the format of shared/eval (events and time expressions)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hutong.models import TimeExpression


@dataclass(frozen=True)
class PredictedEvent:
    a: str
    b: str
    domain: str
    action: str
    date: str | None
    evidence: str = ""

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
        spans = _occurrences(simplified_text, line["text"])
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
