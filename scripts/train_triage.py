"""Train Frankly's triage models and write them to src/frankly/data/lang/en/triage/model/.

Reads the public data sets from ../shared/data (``FRANKLY_SHARED_DATA`` overrides) and the
hand-written seed examples from src/frankly/data/lang/<lang>/triage/seeds.yml. Trains, on one
thread with fixed seeds, logistic-regression heads for complaint, anger intensity, five emotions
and the issue kind, twice: over English words plus the shared (lexicon and style) features, and
over the shared features only (the model used for Spanish and any other language with a lexicon
folder). Chooses each head's regularisation on the dev/validation splits and prints the dev
scores. Run: ``.venv/bin/python scripts/train_triage.py`` (about a minute).
"""

from __future__ import annotations

import os

# One thread: the machine is shared, and results must not depend on thread scheduling.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import hashlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score, mean_absolute_error  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from frankly.triage._data import EMOTIONS, ISSUE_KINDS, load_language, load_seeds  # noqa: E402
from frankly.triage._features import (  # noqa: E402
    SHARED_NAMES,
    group_counts,
    shared_vector,
    word_tokens,
)
from frankly.triage._lexicon import Matcher, fold  # noqa: E402
from frankly.triage._model import HEADS, MODEL_DIR  # noqa: E402

SEED = 20261123
MAX_VOCAB = 30000
SEED_WEIGHT = 8.0

# Which data-set labels mean what (see docs/triage-model.md).
COMPLAINT_INTENTS = {"complaint", "payment_issue", "registration_problems"}
NEGATIVE_EMOTIONS = {"anger", "annoyance", "disappointment", "disapproval", "disgust"}
ANGER_SOFT = {"anger": 0.85, "disgust": 0.6, "annoyance": 0.45}
EMOTION_LABELS = {
    "anger": {"anger", "disgust"},
    "frustration": {"annoyance", "disappointment", "disapproval"},
    "worry": {"fear", "nervousness"},
    "sadness": {"sadness", "grief"},
    "satisfaction": {"gratitude", "admiration", "approval", "joy", "relief"},
}
INTENT_KIND = {
    "delivery_period": "late_delivery",
    "track_order": "late_delivery",
    "payment_issue": "billing_error",
    "check_invoice": "billing_error",
    "get_refund": "return_refused",
    "track_refund": "return_refused",
    "check_refund_policy": "return_refused",
}
SEED_ANGER = (0.0, 0.4, 0.7, 1.0)
# Shared features a head must not learn from. In the data sets, "cancel" is a calm Bitext intent
# (cancel_order), so the risk flags learned "a threat to leave means no complaint"; and kind
# cues occur mostly in the seed examples, so the anger and emotion heads learned "talks about an
# invoice means angry". Risks raise complaint and anger through the floors in triage.yml instead,
# and anger is read from emotional words and style, not from the topic.
EXCLUDED_FEATURES = {
    "complaint": ("risk:",),
    "anger": ("risk:", "kind:"),
    **{f"emotion:{name}": ("risk:", "kind:") for name in EMOTIONS},
}


def shared_data_dir() -> Path:
    """Where the public data sets are: ``FRANKLY_SHARED_DATA`` or ../shared/data."""
    override = os.environ.get("FRANKLY_SHARED_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared" / "data"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass
class Example:
    text: str
    lang: str
    source: str
    split: str  # train, dev, test
    weight: float = 1.0
    complaint: float | None = None
    anger: float | None = None
    emotions: dict[str, float] = field(default_factory=dict)
    kind: str | None = None


def llm_split(row_id: str) -> str:
    """A fixed 80/10/10 split of the Bitext LLM preview, which ships without one."""
    bucket = int(hashlib.sha256(row_id.encode()).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "dev" if bucket == 1 else "train"


def load_examples(data_dir: Path) -> list[Example]:
    """Every labelled example from the three data sets and the seed files."""
    examples: list[Example] = []
    intent_rows = read_jsonl(data_dir / "bitext-customer-service-intent" / "data.jsonl")
    held_out_texts = {r["text"].strip().lower() for r in intent_rows if r["split"] != "train"}
    for row in intent_rows:
        split = {"validation": "dev"}.get(row["split"], row["split"])
        examples.append(bitext_example(row, "bitext-intent", split))
    for row in read_jsonl(data_dir / "bitext-customer-support-llm-preview" / "data.jsonl"):
        split = llm_split(row["id"])
        if split == "train" and row["text"].strip().lower() in held_out_texts:
            continue  # the two Bitext sets share utterances: keep held-out text out of training
        examples.append(bitext_example(row, "bitext-llm", split))
    rng = random.Random(SEED)
    for row in read_jsonl(data_dir / "goemotions" / "data.jsonl"):
        labels = set(row["labels"])
        anger = max((ANGER_SOFT.get(label, 0.0) for label in labels), default=0.0)
        example = Example(
            text=row["text"],
            lang="en",
            source="goemotions",
            split=row["split"],
            complaint=1.0 if labels & NEGATIVE_EMOTIONS else 0.0,
            anger=anger,
            emotions={e: 1.0 if labels & names else 0.0 for e, names in EMOTION_LABELS.items()},
        )
        # Some Reddit text as "other" teaches the kind model that ordinary talk is no case.
        if row["split"] == "train" and rng.random() < 0.1:
            example.kind = "other"
        examples.append(example)
    for lang in ("en", "es"):
        for seed in load_seeds(lang):
            complaint = seed.get("complaint", seed["kind"] != "other")
            examples.append(
                Example(
                    text=seed["text"],
                    lang=lang,
                    source=f"seeds-{lang}",
                    split="train",
                    weight=SEED_WEIGHT,
                    complaint=1.0 if complaint else 0.0,
                    anger=SEED_ANGER[seed["anger"]],
                    emotions={
                        "anger": 1.0 if seed["anger"] >= 2 else 0.0,
                        "frustration": 1.0 if complaint else 0.0,
                    },
                    kind=seed["kind"],
                )
            )
    return examples


def bitext_example(row: dict[str, Any], source: str, split: str) -> Example:
    offensive = "W" in (row.get("tags") or "")
    kind = INTENT_KIND.get(row["label"], "other") if row["label"] != "complaint" else None
    return Example(
        text=row["text"],
        lang="en",
        source=source,
        split=split,
        complaint=1.0 if row["label"] in COMPLAINT_INTENTS else 0.0,
        anger=0.35 if offensive else 0.0,
        kind=kind,
    )


def featurize(
    examples: list[Example],
) -> tuple[np.ndarray, list[list[str]]]:
    """Shared features (dense) and word tokens for every example."""
    matchers = {lang: Matcher(load_language(lang)) for lang in ("en", "es")}
    shared = np.zeros((len(examples), len(SHARED_NAMES)), dtype=np.float64)
    tokens: list[list[str]] = []
    for i, example in enumerate(examples):
        folded = fold(example.text)
        counts = group_counts(matchers[example.lang].scan(folded))
        shared[i] = shared_vector(example.text, counts)
        tokens.append(word_tokens(folded) if example.lang == "en" else [])
    return shared, tokens


def build_vocab(tokens: list[list[str]], examples: list[Example]) -> list[str]:
    df: Counter[str] = Counter()
    for toks, example in zip(tokens, examples, strict=True):
        if example.split == "train" and example.lang == "en":
            df.update(set(toks))
    ranked = sorted((t for t, n in df.items() if n >= 2), key=lambda t: (-df[t], t))
    return ranked[:MAX_VOCAB]


def word_matrix(tokens: list[list[str]], vocab: list[str]) -> sparse.csr_matrix:
    index = {t: i for i, t in enumerate(vocab)}
    rows, cols = [], []
    for r, toks in enumerate(tokens):
        for c in {index[t] for t in toks if t in index}:
            rows.append(r)
            cols.append(c)
    data = np.ones(len(rows), dtype=np.float64)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(tokens), len(vocab)))


def soft_rows(
    x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Turn soft targets into weighted 0/1 rows: (x, p) becomes (x, 1, w·p) and (x, 0, w·(1-p))."""
    pos = y > 0
    neg = y < 1
    x2 = sparse.vstack([x[pos], x[neg]]).tocsr()
    y2 = np.concatenate([np.ones(pos.sum()), np.zeros(neg.sum())])
    w2 = np.concatenate([w[pos] * y[pos], w[neg] * (1 - y[neg])])
    return x2, y2, w2


def fit_binary(
    x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, c: float
) -> tuple[np.ndarray, float]:
    x2, y2, w2 = soft_rows(x, y, w)
    model = LogisticRegression(C=c, solver="liblinear", max_iter=500, random_state=SEED)
    model.fit(x2, y2, sample_weight=w2)
    return model.coef_[0], float(model.intercept_[0])


def balanced(y: np.ndarray, weight: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Weights that give positives and negatives the same total, so 0.5 is a fair threshold
    whatever the share of positives in the data (real inboxes hold far more complaints)."""
    positive = np.nan_to_num(y, nan=0.0) >= 0.5
    pos_total = weight[rows & positive].sum()
    neg_total = weight[rows & ~positive].sum()
    factor = np.where(positive, neg_total / max(pos_total, 1e-9), 1.0)
    return weight * factor


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def train(data_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    examples = load_examples(data_dir)
    print(f"examples: {len(examples)} " + str(Counter(e.source for e in examples)))
    shared, tokens = featurize(examples)
    vocab = build_vocab(tokens, examples)
    words = word_matrix(tokens, vocab)
    is_en = np.array([e.lang == "en" for e in examples])
    split = np.array([e.split for e in examples])
    weight = np.array([e.weight for e in examples])
    n_words, n_shared = len(vocab), len(SHARED_NAMES)
    w_words = np.zeros((n_words, len(HEADS)), dtype=np.float32)
    w_full = np.zeros((n_shared, len(HEADS)), dtype=np.float32)
    b_full = np.zeros(len(HEADS), dtype=np.float32)
    w_only = np.zeros((n_shared, len(HEADS)), dtype=np.float32)
    b_only = np.zeros(len(HEADS), dtype=np.float32)
    report: dict[str, Any] = {}

    binary_targets: dict[str, np.ndarray] = {
        "complaint": np.array([np.nan if e.complaint is None else e.complaint for e in examples]),
        "anger": np.array([np.nan if e.anger is None else e.anger for e in examples]),
    }
    for emotion in EMOTIONS:
        binary_targets[f"emotion:{emotion}"] = np.array(
            [e.emotions.get(emotion, np.nan) for e in examples]
        )
    for head, y in binary_targets.items():
        column = HEADS.index(head)
        keep = np.array(
            [not name.startswith(EXCLUDED_FEATURES.get(head, ())) for name in SHARED_NAMES],
            dtype=np.float64,
        )
        only = sparse.csr_matrix(shared * keep)
        full = sparse.hstack([words, only]).tocsr()
        known = ~np.isnan(y)
        head_weight = balanced(y, weight, known & (split == "train")) if head != "anger" else weight
        best: tuple[float, float, np.ndarray, float] | None = None
        for c in (0.3, 1.0, 3.0):
            rows = known & (split == "train") & is_en
            coef, bias = fit_binary(full[rows], y[rows], head_weight[rows], c)
            dev = known & (split == "dev")
            p = sigmoid(full[dev] @ coef + bias)
            score = dev_score(head, y[dev], p)
            print(f"  {head:22s} full C={c:<4} dev={score:.3f}")
            if best is None or score > best[0]:
                best = (score, c, coef, bias)
        assert best is not None
        _, c, coef, bias = best
        w_words[:, column] = coef[:n_words]
        w_full[:, column] = coef[n_words:]
        b_full[column] = bias
        rows = known & (split == "train")
        coef_only, bias_only = fit_binary(only[rows], y[rows], head_weight[rows], c)
        w_only[:, column] = coef_only
        b_only[column] = bias_only
        dev = known & (split == "dev")
        report[head] = {
            "C": c,
            "dev_full": round(best[0], 4),
            "dev_shared_only": round(
                dev_score(head, y[dev], sigmoid(only[dev] @ coef_only + bias_only)), 4
            ),
        }

    kinds = np.array([ISSUE_KINDS.index(e.kind) if e.kind else -1 for e in examples])
    known = kinds >= 0
    class_count = Counter(kinds[known & (split == "train")].tolist())
    # Square-root balancing: rare kinds (mostly seeds) count more, without drowning the data.
    kind_weight = np.array(
        [
            w / np.sqrt(class_count.get(k, 1) / 500) if k >= 0 else 0.0
            for k, w in zip(kinds, weight, strict=True)
        ]
    )
    best_kind: tuple[float, float, LogisticRegression] | None = None
    columns = [HEADS.index(f"kind:{k}") for k in ISSUE_KINDS]
    # The kind heads see words and kind cues only: emotion and style features would let them
    # learn "long and angry means a seed example of a rare kind", which real mail would break.
    kind_cols = np.array([i for i, name in enumerate(SHARED_NAMES) if name.startswith("kind:")])
    full_kind = sparse.hstack([words, sparse.csr_matrix(shared[:, kind_cols])]).tocsr()
    only_kind = sparse.csr_matrix(shared[:, kind_cols])
    for c in (0.3, 1.0, 3.0):
        rows = known & (split == "train") & is_en
        model = LogisticRegression(C=c, max_iter=1000, random_state=SEED)
        model.fit(full_kind[rows], kinds[rows], sample_weight=kind_weight[rows])
        dev = known & (split == "dev")
        score = float((model.predict(full_kind[dev]) == kinds[dev]).mean())
        print(f"  {'kind':22s} full C={c:<4} dev accuracy={score:.3f}")
        if best_kind is None or score > best_kind[0]:
            best_kind = (score, c, model)
    assert best_kind is not None
    score, c, model = best_kind
    w_words[:, columns] = model.coef_[:, :n_words].T
    w_full[np.ix_(kind_cols, columns)] = model.coef_[:, n_words:].T
    b_full[columns] = model.intercept_
    rows = known & (split == "train")
    model_only = LogisticRegression(C=c, max_iter=1000, random_state=SEED)
    model_only.fit(only_kind[rows], kinds[rows], sample_weight=kind_weight[rows])
    w_only[np.ix_(kind_cols, columns)] = model_only.coef_.T
    b_only[columns] = model_only.intercept_
    dev = known & (split == "dev")
    report["kind"] = {
        "C": c,
        "dev_full": round(score, 4),
        "dev_shared_only": round(
            float((model_only.predict(only_kind[dev]) == kinds[dev]).mean()), 4
        ),
    }

    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        MODEL_DIR / "triage.npz",
        w_words=w_words,
        w_full=w_full,
        b_full=b_full,
        w_only=w_only,
        b_only=b_only,
    )
    meta = {
        "format": 1,
        "heads": list(HEADS),
        "shared_features": list(SHARED_NAMES),
        "seed": SEED,
        "trained_on": sorted({e.source for e in examples}),
        "dev_scores": report,
        "vocab": vocab,
    }
    (MODEL_DIR / "triage_vocab.json").write_text(
        json.dumps(meta, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    print(f"trained in {time.perf_counter() - started:.1f} s; vocab {len(vocab)} terms")
    for path in sorted(MODEL_DIR.iterdir()):
        print(f"  wrote {path.relative_to(REPO)} ({path.stat().st_size / 1024:.0f} KB)")
    return report


def dev_score(head: str, y: np.ndarray, p: np.ndarray) -> float:
    """F1 at 0.5 for 0/1 heads; 1 - mean absolute error for the soft anger target."""
    if head == "anger":
        return 1.0 - float(mean_absolute_error(y, p))
    return float(f1_score(y >= 0.5, p >= 0.5, zero_division=0))


def main() -> int:
    data_dir = shared_data_dir()
    needed = [
        data_dir / name / "data.jsonl"
        for name in (
            "bitext-customer-service-intent",
            "bitext-customer-support-llm-preview",
            "goemotions",
        )
    ]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        print(
            "The training data is missing: " + ", ".join(missing) + ".\n"
            "Put the shared data sets in ../shared/data next to the repository, or set "
            "FRANKLY_SHARED_DATA to their folder.",
            file=sys.stderr,
        )
        return 2
    np.random.seed(SEED)
    random.seed(SEED)
    report = train(data_dir)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
