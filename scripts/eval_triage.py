"""Score Frankly's triage against VADER and TextBlob on every data set's held-out split.

Prints one table per data set: complaint detection and anger detection (F1 and ROC AUC),
issue-kind accuracy where the data has kinds, and, on the two hand-labelled sets
(tests/data/triage_realistic.jsonl, and the blind set tests/data/triage_blind.jsonl written
before the lexicons were tuned against it), complaint accuracy, anger level agreement (exact and
within one level), kind accuracy and risk flags (overall F1 and per flag), for English and
Spanish. Baselines get their best threshold on each data set's dev split (GoEmotions dev for
the hand sets); Frankly uses its shipped thresholds. "Frankly (cues)" reads English
through lexicon cues only, the way Spanish is read. Run: ``make eval-triage``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.metrics import f1_score, roc_auc_score  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from frankly.triage import LEVELS  # noqa: E402
from frankly.triage._triage import _triage  # noqa: E402

REALISTIC = REPO / "tests" / "data" / "triage_realistic.jsonl"
BLIND = REPO / "tests" / "data" / "triage_blind.jsonl"
RISK_NAMES = ("churn", "legal", "public", "insult", "urgency", "repeat")
COMPLAINT_INTENTS = {"complaint", "payment_issue", "registration_problems"}
NEGATIVE_EMOTIONS = {"anger", "annoyance", "disappointment", "disapproval", "disgust"}
ANGER_EMOTIONS = {"anger", "annoyance"}
INTENT_KIND = {
    "delivery_period": "late_delivery",
    "track_order": "late_delivery",
    "payment_issue": "billing_error",
    "check_invoice": "billing_error",
    "get_refund": "return_refused",
    "track_refund": "return_refused",
    "check_refund_policy": "return_refused",
}


def shared_data_dir() -> Path:
    override = os.environ.get("FRANKLY_SHARED_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared" / "data"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def llm_split(row_id: str) -> str:
    bucket = int(hashlib.sha256(row_id.encode()).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "dev" if bucket == 1 else "train"


class Scorers:
    """Scores for a list of texts from each system, computed once."""

    def __init__(self) -> None:
        from textblob import TextBlob
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()
        self._blob = TextBlob

    def vader(self, texts: list[str]) -> np.ndarray:
        return np.array([-self._vader.polarity_scores(t)["compound"] for t in texts])

    def textblob(self, texts: list[str]) -> np.ndarray:
        return np.array([-self._blob(t).sentiment.polarity for t in texts])


def frankly_reports(rows: list[dict[str, Any]], use_words: bool) -> list[Any]:
    return [_triage(r["text"], r.get("lang", "en"), None, use_words=use_words) for r in rows]


def complaint_p(report: Any) -> float:
    # A report with nothing to say (no words) counts as "no complaint, calm".
    return report.complaint.probability if report.complaint else 0.0


def is_complaint(report: Any) -> bool:
    return bool(report.complaint and report.complaint.is_complaint)


def intensity(report: Any) -> float:
    return report.anger.intensity if report.anger else 0.0


def level_index(report: Any) -> int:
    return LEVELS.index(report.anger.level) if report.anger else 0


def kind(report: Any) -> str:
    return report.issue_kind.kind if report.issue_kind else "other"


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The threshold that maximises F1 on a dev split (the baselines' best case)."""
    candidates = np.unique(np.round(scores, 3))
    best, best_f1 = 0.0, -1.0
    for t in candidates:
        f1 = f1_score(y, scores >= t, zero_division=0)
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def auc(y: np.ndarray, scores: np.ndarray) -> float:
    return float(roc_auc_score(y, scores)) if 0 < y.sum() < len(y) else float("nan")


def binary_row(name: str, y: np.ndarray, scores: np.ndarray, predicted: np.ndarray) -> list[str]:
    return [name, f"{f1_score(y, predicted, zero_division=0):.3f}", f"{auc(y, scores):.3f}"]


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def evaluate_binary_set(
    title: str,
    test: list[dict[str, Any]],
    dev: list[dict[str, Any]],
    complaint_of: Callable[[dict[str, Any]], bool],
    anger_of: Callable[[dict[str, Any]], bool],
    kind_of: Callable[[dict[str, Any]], str | None] | None,
    scorers: Scorers,
) -> None:
    texts = [r["text"] for r in test]
    dev_texts = [r["text"] for r in dev]
    y_c = np.array([complaint_of(r) for r in test])
    y_a = np.array([anger_of(r) for r in test])
    dev_c = np.array([complaint_of(r) for r in dev])
    dev_a = np.array([anger_of(r) for r in dev])
    rows = []
    for name, use_words in (("Frankly", True), ("Frankly (cues)", False)):
        reports = frankly_reports(test, use_words)
        c_p = np.array([complaint_p(r) for r in reports])
        a_i = np.array([intensity(r) for r in reports])
        a_hit = np.array([level_index(r) > 0 for r in reports])
        row = [name]
        row += binary_row("", y_c, c_p, np.array([is_complaint(r) for r in reports]))[1:]
        row += binary_row("", y_a, a_i, a_hit)[1:]
        if kind_of is not None:
            known = [(kind_of(t), kind(r)) for t, r in zip(test, reports, strict=True)]
            known = [(a, b) for a, b in known if a is not None]
            row.append(f"{np.mean([a == b for a, b in known]):.3f}")
        rows.append(row)
    for name, fn in (("VADER", scorers.vader), ("TextBlob", scorers.textblob)):
        scores, dev_scores = fn(texts), fn(dev_texts)
        t_c, t_a = best_threshold(dev_scores, dev_c), best_threshold(dev_scores, dev_a)
        row = [name]
        row += binary_row("", y_c, scores, scores >= t_c)[1:]
        row += binary_row("", y_a, scores, scores >= t_a)[1:]
        if kind_of is not None:
            row.append("–")
        rows.append(row)
    header = ["system", "complaint F1", "complaint AUC", "anger F1", "anger AUC"]
    if kind_of is not None:
        header.append("kind accuracy")
    n = f"n={len(test)}, complaints={int(y_c.sum())}, angry={int(y_a.sum())}"
    print_table(f"{title} ({n})", header, rows)


def evaluate_hand_set(
    title: str, path: Path, scorers: Scorers, goemotions_dev: list[dict[str, Any]]
) -> None:
    """A hand-labelled set of messages (complaint, anger level, kind, risks) per language."""
    rows_all = read_jsonl(path)
    dev_texts = [r["text"] for r in goemotions_dev]
    dev_c = np.array([bool(set(r["labels"]) & NEGATIVE_EMOTIONS) for r in goemotions_dev])
    dev_a = np.array([bool(set(r["labels"]) & ANGER_EMOTIONS) for r in goemotions_dev])
    thresholds = {}
    for name, fn in (("VADER", scorers.vader), ("TextBlob", scorers.textblob)):
        dev_scores = fn(dev_texts)
        thresholds[name] = (best_threshold(dev_scores, dev_c), best_threshold(dev_scores, dev_a))
    for lang in ("en", "es"):
        rows = [r for r in rows_all if r["lang"] == lang]
        texts = [r["text"] for r in rows]
        y_c = np.array([r["complaint"] for r in rows])
        level = np.array([LEVELS.index(r["anger"]) for r in rows])
        y_a = level >= 1
        table = []
        risk_table: list[list[str]] = []
        systems: list[tuple[str, bool | None]] = [("Frankly", True)]
        if lang == "en":
            systems.append(("Frankly (cues)", False))
        for name, use_words in systems:
            reports = frankly_reports(rows, bool(use_words))
            c_p = np.array([complaint_p(r) for r in reports])
            a_i = np.array([intensity(r) for r in reports])
            got_level = np.array([level_index(r) for r in reports])
            kind_acc = np.mean([kind(r) == t["kind"] for r, t in zip(reports, rows, strict=True)])
            tp = fp = fn_ = 0
            for report, truth in zip(reports, rows, strict=True):
                got = {risk.kind for risk in report.risks}
                want = set(truth["risks"])
                tp += len(got & want)
                fp += len(got - want)
                fn_ += len(want - got)
            risk_f1 = 2 * tp / max(2 * tp + fp + fn_, 1)
            if name == "Frankly":
                risk_table = risk_rows(reports, rows)
            got_c = np.array([is_complaint(r) for r in reports])
            table.append(
                [
                    name,
                    *binary_row("", y_c, c_p, got_c)[1:],
                    f"{np.mean(got_c == y_c):.3f}",
                    *binary_row("", y_a, a_i, got_level >= 1)[1:],
                    f"{np.mean(got_level == level):.3f}",
                    f"{np.mean(np.abs(got_level - level) <= 1):.3f}",
                    f"{spearmanr(a_i, level).statistic:.3f}",
                    f"{kind_acc:.3f}",
                    f"{risk_f1:.3f}",
                ]
            )
        for name, fn in (("VADER", scorers.vader), ("TextBlob", scorers.textblob)):
            scores = fn(texts)
            t_c, t_a = thresholds[name]
            table.append(
                [
                    name,
                    *binary_row("", y_c, scores, scores >= t_c)[1:],
                    f"{np.mean((scores >= t_c) == y_c):.3f}",
                    *binary_row("", y_a, scores, scores >= t_a)[1:],
                    "–",
                    "–",
                    f"{spearmanr(scores, level).statistic:.3f}",
                    "–",
                    "–",
                ]
            )
        header = [
            "system",
            "complaint F1",
            "complaint AUC",
            "complaint accuracy",
            "anger F1",
            "anger AUC",
            "level accuracy",
            "level ±1",
            "anger Spearman",
            "kind accuracy",
            "risk F1",
        ]
        n = f"n={len(rows)}, complaints={int(y_c.sum())}, annoyed or worse={int(y_a.sum())}"
        print_table(f"{title}, {lang} ({n})", header, table)
        print_table(
            f"{title}, {lang}: each risk flag (Frankly)",
            ["risk", "labelled", "raised", "precision", "recall"],
            risk_table,
        )


def risk_rows(reports: list[Any], rows: list[dict[str, Any]]) -> list[list[str]]:
    """Precision and recall of each risk flag against the labels."""
    table = []
    for risk in RISK_NAMES:
        want = np.array([risk in r["risks"] for r in rows])
        got = np.array([report.risk(risk) is not None for report in reports])
        tp = int((want & got).sum())
        precision = f"{tp / got.sum():.2f}" if got.sum() else "–"
        recall = f"{tp / want.sum():.2f}" if want.sum() else "–"
        table.append([risk, str(int(want.sum())), str(int(got.sum())), precision, recall])
    return table


def main() -> int:
    data_dir = shared_data_dir()
    paths = {
        name: data_dir / name / "data.jsonl"
        for name in (
            "goemotions",
            "bitext-customer-service-intent",
            "bitext-customer-support-llm-preview",
        )
    }
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        print(
            "The evaluation data is missing: " + ", ".join(missing) + ".\n"
            "Put the shared data sets in ../shared/data next to the repository, or set "
            "FRANKLY_SHARED_DATA to their folder.",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    scorers = Scorers()
    print("## Triage evaluation: Frankly against VADER and TextBlob on held-out data")
    print(
        "\nF1 uses each system's threshold (Frankly: shipped; baselines: best on the dev split);"
        " AUC needs none. Anger: Frankly's level is not calm; baselines: negativity."
    )
    go = read_jsonl(paths["goemotions"])
    go_dev = [r for r in go if r["split"] == "dev"]
    evaluate_binary_set(
        "GoEmotions test: complaint = anger/annoyance/disappointment/disapproval/disgust; "
        "anger = anger/annoyance",
        [r for r in go if r["split"] == "test"],
        go_dev,
        lambda r: bool(set(r["labels"]) & NEGATIVE_EMOTIONS),
        lambda r: bool(set(r["labels"]) & ANGER_EMOTIONS),
        None,
        scorers,
    )
    intent = read_jsonl(paths["bitext-customer-service-intent"])
    evaluate_binary_set(
        "Bitext intent test: complaint = complaint/payment_issue/registration_problems intents; "
        "anger = offensive tag W; kind = mapped intents",
        [r for r in intent if r["split"] == "test"],
        [r for r in intent if r["split"] == "validation"],
        lambda r: r["label"] in COMPLAINT_INTENTS,
        lambda r: "W" in (r.get("tags") or ""),
        lambda r: None if r["label"] == "complaint" else INTENT_KIND.get(r["label"], "other"),
        scorers,
    )
    llm = read_jsonl(paths["bitext-customer-support-llm-preview"])
    evaluate_binary_set(
        "Bitext LLM preview, fixed 10% test split: same labels as Bitext intent",
        [r for r in llm if llm_split(r["id"]) == "test"],
        [r for r in llm if llm_split(r["id"]) == "dev"],
        lambda r: r["label"] in COMPLAINT_INTENTS,
        lambda r: "W" in (r.get("tags") or ""),
        lambda r: None if r["label"] == "complaint" else INTENT_KIND.get(r["label"], "other"),
        scorers,
    )
    evaluate_hand_set("Realistic messages", REALISTIC, scorers, go_dev)
    evaluate_hand_set("Blind set (tests/data/triage_blind.jsonl)", BLIND, scorers, go_dev)
    print(f"\n(evaluated in {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
