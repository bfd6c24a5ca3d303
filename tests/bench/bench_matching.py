"""Matching quality: hit@1, hit@3 and MRR of knowledge suggestions on our own spoken-style evaluation set.

Run on purpose (not collected by pytest):

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_matching [--compare] [--no-distractors]

The set (tests/assist/data/eval_kb.jsonl, eval_utterances.jsonl) was written for this project: 30 entries
(15 ja, 15 en) and 91 utterances with fillers, spoken forms and a few recognition errors. When
../shared/eval/kb is present, its help articles and FAQ (ja and en) are added as distractors at run time
(never copied), so the right card must win against ~350 unrelated but same-domain entries.
``--compare`` runs every Japanese analyser (bigram, janome, hybrid): the figures behind the choice
documented in assist/text.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from assist.domain import KnowledgeEntry
from assist.matching import search_knowledge
from assist.store import Store
from assist.text import DEFAULT_ANALYZER, Analyzer

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "assist" / "data"
EVAL_KB = ROOT.parent / "shared" / "eval" / "kb"


def load_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def distractors() -> list[KnowledgeEntry]:
    entries: list[KnowledgeEntry] = []
    help_file = EVAL_KB / "intune_user_help_en_ja" / "intune_user_help_en_ja.jsonl"
    if help_file.exists():
        for row in load_jsonl(help_file):
            for lang in ("en", "ja"):
                title = str(row.get(f"title_{lang}") or "")
                body = str(row.get(f"body_{lang}") or "")[:600]
                if title:
                    entries.append(
                        KnowledgeEntry(id=f"x-{row['id']}-{lang}", title=title, body=body, language=lang)
                    )
    for lang in ("en", "ja"):
        faq = EVAL_KB / "intune_mam_faq_en_ja" / f"mam_faq_{lang}.jsonl"
        if faq.exists():
            for row in load_jsonl(faq):
                entries.append(
                    KnowledgeEntry(
                        id=f"x-{row['id']}",
                        title=str(row["question"]),
                        body=str(row["answer"])[:600],
                        language=lang,
                    )
                )
    return entries


def evaluate(analyzer: Analyzer, with_distractors: bool) -> dict[str, float]:
    store = Store.open(":memory:", analyzer=analyzer)
    kb = [KnowledgeEntry.from_dict(row) for row in load_jsonl(DATA / "eval_kb.jsonl")]
    extra = distractors() if with_distractors else []
    started = time.perf_counter()
    store.upsert_knowledge(kb + extra)
    build = time.perf_counter() - started
    utterances = load_jsonl(DATA / "eval_utterances.jsonl")
    figures: dict[str, float] = {"entries": len(kb) + len(extra), "index_s": build}
    by_lang: dict[str, list[float]] = {"ja": [], "en": []}
    hits1: dict[str, int] = {"ja": 0, "en": 0}
    hits3: dict[str, int] = {"ja": 0, "en": 0}
    times: list[float] = []
    misses: list[str] = []
    search_knowledge(store, "warm up ウォームアップ")
    for row in utterances:
        expected = str(row["expected"])
        lang = expected.split("-")[0]
        t0 = time.perf_counter()
        ranked = [s.id for s in search_knowledge(store, str(row["text"]), limit=10)]
        times.append((time.perf_counter() - t0) * 1000)
        rank = ranked.index(expected) + 1 if expected in ranked else 0
        by_lang[lang].append(1.0 / rank if rank else 0.0)
        hits1[lang] += rank == 1
        hits3[lang] += 1 <= rank <= 3
        if not 1 <= rank <= 3:
            misses.append(f"    miss ({rank or '-'}): {row['text']} -> {expected}; got {ranked[:3]}")
    for lang in ("ja", "en"):
        n = len(by_lang[lang])
        figures[f"{lang}_hit1"] = hits1[lang] / n
        figures[f"{lang}_hit3"] = hits3[lang] / n
        figures[f"{lang}_mrr"] = statistics.fmean(by_lang[lang])
    total = sum(len(v) for v in by_lang.values())
    figures["hit1"] = sum(hits1.values()) / total
    figures["hit3"] = sum(hits3.values()) / total
    figures["mrr"] = statistics.fmean(by_lang["ja"] + by_lang["en"])
    figures["query_ms_mean"] = statistics.fmean(times)
    figures["query_ms_p95"] = sorted(times)[int(0.95 * (len(times) - 1))]
    figures["utterances"] = total
    store.close()
    for line in misses:
        print(line)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--compare", action="store_true", help="run every Japanese analyser")
    parser.add_argument("--no-distractors", action="store_true", help="only the 30 evaluation entries")
    args = parser.parse_args()
    analyzers = list(Analyzer) if args.compare else [DEFAULT_ANALYZER]
    with_distractors = not args.no_distractors and EVAL_KB.exists()
    print(f"evaluation set: {DATA}; distractors from {EVAL_KB if with_distractors else 'none'}")
    for analyzer in analyzers:
        f = evaluate(analyzer, with_distractors)
        print(
            f"{analyzer.value:7s} entries={int(f['entries'])} utterances={int(f['utterances'])} "
            f"index={f['index_s']:.2f}s | hit@1={f['hit1']:.3f} hit@3={f['hit3']:.3f} MRR={f['mrr']:.3f} | "
            f"ja hit@1={f['ja_hit1']:.3f} hit@3={f['ja_hit3']:.3f} MRR={f['ja_mrr']:.3f} | "
            f"en hit@1={f['en_hit1']:.3f} hit@3={f['en_hit3']:.3f} MRR={f['en_mrr']:.3f} | "
            f"query mean={f['query_ms_mean']:.2f} ms p95={f['query_ms_p95']:.2f} ms"
        )


if __name__ == "__main__":
    main()
