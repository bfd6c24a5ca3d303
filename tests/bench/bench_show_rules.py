"""When to show a card: show rules that use more than the top similarity, compared on the same lines.

Run on purpose (not collected by pytest):

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_show_rules

Same evaluation set, distractors, off-topic lines and hash split as tests/bench/bench_matching.py. Each rule
family has a few parameters; for each language they are chosen on the TUNING half only (the most right cards
shown with at most 8 % of off-topic lines showing one, as for the thresholds in assist/matching.py), then the
REPORT half is measured once with that choice. The rules:

- ``fused``: today's rule, max(similarity + w x min(words, 1.5), 0.5 x words) >= T (grid over w and T);
- ``margin``: ``fused`` at its chosen T, or a lower T2 when the best entry's similarity leads the
  runner-up's by at least M (an unambiguous line may show earlier);
- ``hubness``: similarity minus a x (the line's mean similarity to its 10 nearest labels + the label's mean
  similarity to its 10 nearest labels of other entries), a cross-domain similarity local scaling: a line or a
  short label close to everything counts less;
- ``agreement``: the mean of an entry's two closest labels instead of the closest (a paraphrase should be near
  several ways of saying the entry, a chance match near one short alias);
- ``logistic``: a logistic model per language over eight features of each candidate (similarity, word
  score, lead over the runner-up, the line's mean top-10 similarity, top by words, top by meaning,
  similarity x words, the line's length), fitted on the tuning half, shown when the probability passes a
  threshold chosen there too.

``ceiling`` is not a rule: the share of lines whose right entry is anywhere in the top three whatever the
threshold (ranked hit@3), with the off-topic rate that showing everything would cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assist.cues import detect_language
from assist.matching import Matcher, WeightedTerm
from assist.semantic import Vectors
from tests.bench.bench_matching import eval_store, lines

NEIGHBOURS = 10
MAX_FALSE_SHOW = 0.08


@dataclass
class Line:
    split: str
    language: str
    expected: str | None
    words: dict[str, float]  # word score per candidate entry
    length: int  # characters in the line
    spoken: str  # the language the line was detected as (its labels are compared)
    label_sims: Vectors  # similarity to every label of that language


@dataclass
class Labels:
    owners: list[str]  # entry id per label row
    vectors: Vectors
    background: Vectors  # per label: mean similarity to its nearest labels of other entries


def collect() -> tuple[list[Line], dict[str, Labels]]:
    store = eval_store()
    matcher = Matcher(store)
    matcher.warm_up()
    assert matcher.meaning is not None
    labels: dict[str, Labels] = {}
    for language, index in matcher.meaning._indexes.items():  # a bench reads the index whole
        assert index.vectors is not None
        owners = [index.owners[int(k)][0] for k in index.keys]
        sims = index.vectors @ index.vectors.T
        same = np.asarray(owners)[:, None] == np.asarray(owners)[None, :]
        sims[same] = -1.0
        background = np.sort(sims, axis=1)[:, -NEIGHBOURS:].mean(axis=1)
        labels[language] = Labels(owners, index.vectors, background.astype(np.float32))
    found: list[Line] = []
    for split in ("tune", "report"):
        for language, text, expected, _kind in lines(split):
            weighted = [WeightedTerm(t, 1.0) for t in dict.fromkeys(matcher.cut(text))]
            words = {c.id: c.score for c in matcher.knowledge(weighted, limit=40, text=text, meaning=False)}
            spoken = detect_language(text)
            sims = labels[spoken].vectors @ matcher.embed(text)
            found.append(Line(split, language, expected, words, len(text), spoken, sims))
    store.close()
    return found, labels


def per_entry(owners: Sequence[str], values: Vectors, how: str = "max") -> dict[str, float]:
    grouped: dict[str, list[float]] = {}
    for owner, value in zip(owners, values.tolist(), strict=True):
        grouped.setdefault(owner, []).append(value)
    if how == "max":
        return {e: max(v) for e, v in grouped.items()}
    return {e: float(np.mean(sorted(v, reverse=True)[:2])) for e, v in grouped.items()}


def fused(sims: dict[str, float], words: dict[str, float], weight: float) -> list[tuple[str, float]]:
    scores = {
        e: max(max(0.0, sims.get(e, 0.0)) + weight * min(words.get(e, 0.0), 1.5), 0.5 * words.get(e, 0.0))
        for e in set(sims) | set(words)
    }
    return sorted(scores.items(), key=lambda item: -item[1])


Rule = Callable[[Line], list[str]]  # the entries shown for a line, best first


def rates(data: list[Line], split: str, language: str, rule: Rule) -> tuple[float, float]:
    hits = total = shows = off = 0
    for line in data:
        if line.split != split or line.language != language:
            continue
        shown = rule(line)[:3]
        if line.expected is None:
            off += 1
            shows += bool(shown)
        else:
            total += 1
            hits += line.expected in shown
    return hits / max(total, 1), shows / max(off, 1)


def choose(data: list[Line], language: str, rules: dict[str, Rule]) -> tuple[str, float, float]:
    """The rule (of one family's parameter grid) with the most right cards shown on the tuning half within
    the off-topic budget."""
    best = ("", -1.0, 1.0)
    for name, rule in rules.items():
        hit, false_show = rates(data, "tune", language, rule)
        if false_show <= MAX_FALSE_SHOW and hit > best[1]:
            best = (name, hit, false_show)
    return best


def sims_of(line: Line, labels: dict[str, Labels], how: str = "max", hub: float = 0.0) -> dict[str, float]:
    known = labels[line.spoken]
    values = line.label_sims
    if hub:
        crowd = float(np.sort(values)[-NEIGHBOURS:].mean())
        values = values - hub * (known.background + crowd) + hub * 0.5
    return per_entry(known.owners, values, how)


def threshold_rules(sims: Callable[[Line], dict[str, float]], data: list[Line]) -> dict[str, Rule]:
    cache = {id(line): sims(line) for line in data}
    rules: dict[str, Rule] = {}
    for weight, at in itertools.product((0.1, 0.2, 0.3, 0.5), np.arange(0.2, 1.0, 0.01)):

        def rule(line: Line, weight: float = weight, at: float = float(at)) -> list[str]:
            return [e for e, s in fused(cache[id(line)], line.words, weight) if s >= at]

        rules[f"w={weight} T={at:.2f}"] = rule
    return rules


def margin_rules(base: str, data: list[Line], labels: dict[str, Labels]) -> dict[str, Rule]:
    weight = float(base.split()[0][2:])
    at = float(base.split()[1][2:])
    cache = {id(line): sims_of(line, labels) for line in data}
    rules: dict[str, Rule] = {}
    for lower, lead in itertools.product(np.arange(at - 0.3, at, 0.02), (0.05, 0.1, 0.15, 0.2, 0.3)):

        def rule(line: Line, lower: float = float(lower), lead: float = lead) -> list[str]:
            ranked = fused(cache[id(line)], line.words, weight)
            sims = sorted(cache[id(line)].values(), reverse=True)
            clear = len(sims) > 1 and sims[0] - sims[1] >= lead
            return [e for e, s in ranked if s >= (lower if clear else at)]

        rules[f"{base} T2={lower:.2f} M={lead}"] = rule
    return rules


def logistic_rules(data: list[Line], language: str, labels: dict[str, Labels]) -> dict[str, Rule]:
    def features(line: Line) -> list[tuple[str, list[float]]]:
        sims = sims_of(line, labels)
        ordered = sorted(sims.values(), reverse=True)
        crowd = float(np.mean(ordered[:NEIGHBOURS]))
        top_words = max(line.words, key=line.words.__getitem__) if line.words else ""
        top_sim = max(sims, key=sims.__getitem__)
        rows = []
        for e in set(sims) | set(line.words):
            s, w = max(0.0, sims.get(e, 0.0)), min(line.words.get(e, 0.0), 1.5)
            runner = max((v for k, v in sims.items() if k != e), default=0.0)
            rows.append((e, [s, w, s - runner, crowd, e == top_words, e == top_sim, s * w, line.length / 50]))
        return rows

    cache = {id(line): features(line) for line in data if line.language == language}
    x, y = [], []
    for line in data:
        if line.split == "tune" and line.language == language:
            for entry, row in cache[id(line)]:
                x.append(row)
                y.append(float(entry == line.expected))
    matrix = np.asarray(x, dtype=np.float64)
    mean, std = matrix.mean(axis=0), matrix.std(axis=0) + 1e-9
    z = np.c_[np.ones(len(matrix)), (matrix - mean) / std]
    target = np.asarray(y)
    coef = np.zeros(z.shape[1])
    # Plain gradient descent with a light L2 penalty: eight features, a few thousand rows.
    for _ in range(3000):
        p = 1 / (1 + np.exp(-z @ coef))
        coef -= 0.5 * (z.T @ (p - target) + np.r_[0.0, coef[1:]]) / len(target)

    def probability(line: Line) -> list[tuple[str, float]]:
        rows = cache[id(line)]
        feats = (np.asarray([r for _, r in rows], dtype=np.float64) - mean) / std
        p = 1 / (1 + np.exp(-(np.c_[np.ones(len(rows)), feats] @ coef)))
        return sorted(zip([e for e, _ in rows], p.tolist(), strict=True), key=lambda item: -item[1])

    rules: dict[str, Rule] = {}
    for at in np.arange(0.02, 0.98, 0.01):

        def rule(line: Line, at: float = float(at)) -> list[str]:
            return [e for e, p in probability(line) if p >= at]

        rules[f"p>={at:.2f}"] = rule
    return rules


def main() -> None:
    data, labels = collect()
    print(f"lines: {len(data)}; labels: {', '.join(f'{k} {len(v.owners)}' for k, v in labels.items())}")
    print(
        f"each family's parameters chosen on the tuning half (off-topic <= {MAX_FALSE_SHOW:.0%}); then report"
    )
    for language in ("ja", "en"):
        families: dict[str, dict[str, Rule]] = {
            "fused": threshold_rules(lambda line: sims_of(line, labels), data),
            "hubness a=0.5": threshold_rules(lambda line: sims_of(line, labels, hub=0.5), data),
            "hubness a=1.0": threshold_rules(lambda line: sims_of(line, labels, hub=1.0), data),
            "agreement": threshold_rules(lambda line: sims_of(line, labels, how="top2"), data),
            "logistic": logistic_rules(data, language, labels),
        }
        chosen: dict[str, str] = {}
        for family, rules in families.items():
            name, hit, false_show = choose(data, language, rules)
            chosen[family] = name
            report = rates(data, "report", language, rules[name])
            print(
                f"  {language} {family:14} {name:22} tune {hit:.3f} / {false_show:.1%}  "
                f"REPORT shown hit@3 {report[0]:.3f}, off-topic {report[1]:.1%}"
            )
        margins = margin_rules(chosen["fused"], data, labels)
        name, hit, false_show = choose(data, language, margins)
        report = rates(data, "report", language, margins[name])
        print(
            f"  {language} {'margin':14} {name[len(chosen['fused']) + 1 :]:22} "
            f"tune {hit:.3f} / {false_show:.1%}  "
            f"REPORT shown hit@3 {report[0]:.3f}, off-topic {report[1]:.1%}"
        )

        def everything(line: Line) -> list[str]:
            return [e for e, _ in fused(sims_of(line, labels), line.words, 0.2)]

        for split in ("tune", "report"):
            hit, false_show = rates(data, split, language, everything)
            print(
                f"  {language} ceiling        {split:22} ranked hit@3 {hit:.3f} "
                f"(off-topic shown {false_show:.0%})"
            )


if __name__ == "__main__":
    main()
