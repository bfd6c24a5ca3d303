"""Fit the learned show decision (assist.matching.SHOW_FEATURES) on the tuning lines, cross-validated there.

Run on purpose (not collected by pytest):

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.fit_show_model [--write]

The lines are bench_matching's ``--split tune`` (the hash half's tuning lines, tune_more.jsonl and
the fresh tuning files: never a reporting line). For every line the matcher ranks the cards without any show
model and the features of its top card are read. A logistic model per language (numpy, L2 penalty) is fitted
on the lines whose top card is right (1) against the off-topic lines (0); when no card reaches the show
threshold, the top card shows if the model's probability reaches a threshold chosen on the same lines: the
most right cards shown with no more off-topic lines showing a card than the threshold alone.

First a 5-fold cross-validation (folds by a hash of each line): model and threshold fitted on four folds,
counted on the fifth. A language is given a model only when cross-validation shows more right cards than the
threshold alone would at the same off-topic count (the threshold moved to the best place for that count),
and at most 8 % of off-topic lines showing a card. ``--write`` then fits on all the tuning lines and writes
resources/matching/show_model.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from assist.matching import MIN_SCORE, SHOW_FEATURES, Matcher
from tests.bench.bench_matching import cards, eval_store, lines

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "resources" / "matching" / "show_model.json"
FOLDS = 5
PENALTY = 1.0
MAX_OFF_TOPIC = 0.08  # as for the thresholds in assist/matching.py
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


@dataclass
class Line:
    language: str
    text: str
    expected: str | None
    ranked: list[tuple[str, float]]
    features: list[float] | None  # None: no card at all

    @property
    def top(self) -> str:
        return self.ranked[0][0] if self.ranked else ""

    @property
    def shown(self) -> list[str]:
        """What the threshold alone shows (the top three that reach it)."""
        return [entry for entry, score in self.ranked if score >= MIN_SCORE][:3]

    @property
    def positive(self) -> bool:
        return self.expected is not None and self.expected == self.top


def collect() -> list[Line]:
    store = eval_store()
    matcher = Matcher(store)
    matcher.show_models = {}  # measured without any model
    matcher.every_show_features = True
    matcher.warm_up()
    found: list[Line] = []
    for language, text, expected, _kind in lines("tune"):
        ranked = cards(matcher, text)
        features = matcher.show_features if ranked else None
        found.append(Line(language, text, expected, ranked, list(features) if features else None))
    store.close()
    return found


Model = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]


def fit(rows: list[Line]) -> Model:
    labelled = [r for r in rows if r.features is not None and (r.positive or r.expected is None)]
    x = np.array([r.features for r in labelled], dtype=np.float64)
    y = np.array([1.0 if r.positive else 0.0 for r in labelled])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(3000):  # plain gradient descent: a handful of features, a few hundred lines
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        w -= 0.5 * (z.T @ (p - y) / len(y) + PENALTY * w / len(y))
        b -= 0.5 * float(np.mean(p - y))
    return mean, scale, w, b


def probabilities(model: Model, rows: list[Line]) -> NDArray[np.float64]:
    mean, scale, w, b = model
    x = np.array([r.features or list(mean) for r in rows], dtype=np.float64).reshape(len(rows), len(mean))
    p = 1.0 / (1.0 + np.exp(-(((x - mean) / scale) @ w + b)))
    return np.where([r.features is None for r in rows], 0.0, p)


def count(rows: list[Line], p: NDArray[np.float64], threshold: float) -> tuple[int, int]:
    """(right cards shown, off-topic lines showing a card) with the model's second look at ``threshold``."""
    hits = off = 0
    for row, probability in zip(rows, p, strict=True):
        shown = row.shown or ([row.top] if probability >= threshold else [])
        if row.expected is None:
            off += bool(shown)
        else:
            hits += row.expected in shown
    return hits, off


def choose(rows: list[Line], p: NDArray[np.float64]) -> float:
    """The threshold with the most right cards and no more off-topic shows than the threshold alone (2.0:
    never)."""
    hits, off = count(rows, p, 2.0)
    best = (hits, 0, 2.0)
    for threshold in THRESHOLDS:
        h, o = count(rows, p, threshold)
        if o <= off and (h, -o) > best[:2]:
            best = (h, -o, threshold)
    return best[2]


def alone(rows: list[Line], off_allowed: int) -> int:
    """The most right cards the threshold alone shows, moved anywhere, with at most ``off_allowed`` off-topic
    lines showing a card (the fair comparison for a model that shows a few more)."""
    cuts = sorted({score for r in rows for _, score in r.ranked[:3]} | {MIN_SCORE})
    best = 0
    for cut in cuts:
        off = sum(1 for r in rows if r.expected is None and r.ranked and r.ranked[0][1] >= cut)
        if off <= off_allowed:
            hits = sum(r.expected in [e for e, s in r.ranked if s >= cut][:3] for r in rows if r.expected)
            best = max(best, hits)
    return best


def fold(text: str) -> int:
    return hashlib.sha1(text.encode("utf-8")).digest()[1] % FOLDS


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)}")
    args = parser.parse_args()
    everything = collect()
    models: dict[str, object] = {}
    for language in ("ja", "en"):
        rows = [r for r in everything if r.language == language]
        base_hits, base_off = count(rows, np.zeros(len(rows)), 2.0)
        cv_hits = cv_off = 0
        for k in range(FOLDS):
            train = [r for r in rows if fold(r.text) != k]
            test = [r for r in rows if fold(r.text) == k]
            model = fit(train)
            threshold = choose(train, probabilities(model, train))
            h, o = count(test, probabilities(model, test), threshold)
            cv_hits, cv_off = cv_hits + h, cv_off + o
        right = sum(r.expected is not None for r in rows)
        off_topic = sum(r.expected is None for r in rows)
        fair = alone(rows, cv_off)
        print(
            f"{language}: threshold alone {base_hits}/{right} right shown, {base_off}/{off_topic} off-topic; "
            f"{FOLDS}-fold CV with the model {cv_hits}/{right}, {cv_off}/{off_topic}; the threshold alone, "
            f"moved to at most {cv_off} off-topic: {fair}/{right}"
        )
        if cv_hits <= fair or cv_off > MAX_OFF_TOPIC * off_topic:
            print(f"  {language}: no model (cross-validation shows no gain)")
            continue
        mean, scale, w, b = fit(rows)
        threshold = choose(rows, probabilities((mean, scale, w, b), rows))
        h, o = count(rows, probabilities((mean, scale, w, b), rows), threshold)
        print(
            f"  {language}: fitted on all tuning lines, threshold {threshold}: {h}/{right}, {o}/{off_topic}"
        )
        print(
            "  weights (standardised): "
            + ", ".join(f"{n} {v:+.2f}" for n, v in zip(SHOW_FEATURES, w, strict=True))
        )
        models[language] = {
            "features": list(SHOW_FEATURES),
            "mean": [round(float(v), 6) for v in mean],
            "scale": [round(float(v), 6) for v in scale],
            "weights": [round(float(v), 6) for v in w],
            "bias": round(b, 6),
            "threshold": threshold,
            "tuning": {"right": [h, right], "off_topic": [o, off_topic], "cv": [cv_hits, cv_off]},
        }
    if args.write:
        about = "Written by tests/bench/fit_show_model.py --write (see assist.matching.SHOW_FEATURES)."
        OUT.write_text(json.dumps({"about": about, "models": models}, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
