"""The triage models: linear heads read with numpy and json (no pickles).

A language pack may hold a model in ``triage/model/`` (English does: its word model was
trained on English mail); a language without one is read by the cue heads of the English
model alone, which see only language-independent features.

``triage.npz`` holds, for every head (complaint, anger, five emotions, ten kinds), weights over
English words, weights over the shared features, and a second set over the shared features
only; ``triage_vocab.json`` holds the head names, the feature names and the word vocabulary.
Written by ``scripts/train_triage.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from frankly import packs
from frankly.triage._data import EMOTIONS, ISSUE_KINDS, TriageDataError
from frankly.triage._features import SHARED_NAMES

MODEL_DIR = packs.builtin_dir() / "en" / "triage" / "model"
MODEL_NAME = "triage/model"
HEADS: tuple[str, ...] = (
    "complaint",
    "anger",
    *(f"emotion:{name}" for name in EMOTIONS),
    *(f"kind:{name}" for name in ISSUE_KINDS),
)
_KIND_SLICE = slice(2 + len(EMOTIONS), len(HEADS))


@dataclass(frozen=True, slots=True)
class Scores:
    """Raw model output for one message."""

    complaint: float
    anger: float
    emotions: dict[str, float]
    kinds: dict[str, float]


class Model:
    """The loaded heads. ``score`` is pure and safe to call from many threads."""

    def __init__(self, folder: Path = MODEL_DIR) -> None:
        try:
            meta = json.loads((folder / "triage_vocab.json").read_text(encoding="utf-8"))
            with np.load(folder / "triage.npz") as arrays:
                self._w_words = arrays["w_words"].astype(np.float64)
                self._w_full = arrays["w_full"].astype(np.float64)
                self._b_full = arrays["b_full"].astype(np.float64)
                self._w_only = arrays["w_only"].astype(np.float64)
                self._b_only = arrays["b_only"].astype(np.float64)
        except (OSError, ValueError, KeyError) as exc:
            raise TriageDataError(
                f"{folder}: the triage model is missing or unreadable ({exc}); "
                "run `make train-triage`"
            ) from exc
        if tuple(meta["heads"]) != HEADS or tuple(meta["shared_features"]) != SHARED_NAMES:
            raise TriageDataError(
                f"{folder / 'triage_vocab.json'}: the model was trained for other features; "
                "run `make train-triage`"
            )
        self.vocab: dict[str, int] = {term: i for i, term in enumerate(meta["vocab"])}
        self.dev_scores = meta.get("dev_scores", {})

    def score(self, shared: list[float], tokens: list[str] | None) -> Scores:
        """Head outputs for one message. With ``tokens`` (English words) the word model and the
        cue model are averaged; without, the cue model alone (every other language)."""
        x = np.asarray(shared, dtype=np.float64)
        z = x @ self._w_only + self._b_only
        if tokens is not None:
            ids = list({self.vocab[t] for t in tokens if t in self.vocab})
            z_full = x @ self._w_full + self._b_full
            if ids:
                z_full = z_full + self._w_words[ids].sum(axis=0)
            # The word model knows Reddit and Bitext; real mail differs. Averaging its logits
            # with the cue model's keeps its reading of words and the cues' robustness.
            z = 0.5 * (z + z_full)
        binary = 1.0 / (1.0 + np.exp(-z[: _KIND_SLICE.start]))
        logits = z[_KIND_SLICE]
        exp = np.exp(logits - logits.max())
        kinds = exp / exp.sum()
        return Scores(
            complaint=float(binary[0]),
            anger=float(binary[1]),
            emotions={name: float(binary[2 + i]) for i, name in enumerate(EMOTIONS)},
            kinds={name: float(kinds[i]) for i, name in enumerate(ISSUE_KINDS)},
        )


@cache
def load_model(folder: Path = MODEL_DIR) -> Model:
    """The model in ``folder`` (the shipped English one by default), loaded once.

    Raises ``TriageDataError`` when it is missing."""
    return Model(folder)


def model_languages() -> dict[str, Path]:
    """The languages whose pack holds a word model, and its folder."""
    found = {}
    for code in packs.languages_with(MODEL_NAME):
        folder = packs.pack_file(code, MODEL_NAME)
        if folder is not None and (folder / "triage.npz").exists():
            found[code] = folder
    return found
