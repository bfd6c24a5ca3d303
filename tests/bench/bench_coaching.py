"""How often each coaching hint fires on real dialogues (../shared/eval/transcripts, read at run time).

Run on purpose (not collected by pytest):

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_coaching [--limit N]

Dialogues: JMultiWOZ-TC (Japanese operator/customer, travel), ABCD sample and the Azure call-centre transcript
(English agent/customer). Each dialogue is replayed through ``assist.coaching.Coach`` twice: for a customer
with no traits, and for one whose card says they are not at ease with technology and need it slow
(「パソコン操作に不慣れ」 / "elderly, not very technical"). The text dialogues carry no timings, so each turn
is laid out at a steady speaking pace (Japanese 6.7 characters, English 15 characters a second) with 0.6 s
between turns: pace then varies only with how dense the words are, and dead air cannot fire (no real silences)
— the figures for those two hints say how the thresholds sit against such text, not how agents speak. Empathy
cues (assist.cues) over the customer's lines decide the after-call pause.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from assist.coaching import Coach, HintKind, load_glossary
from assist.cues import emotion_cues

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = ROOT.parent / "shared" / "eval" / "transcripts"
PROFILES = {
    "ja": ("パソコン操作に不慣れ", "ゆっくり話すと安心される"),
    "en": ("elderly, not very technical",),
}
CHARS_PER_SECOND = {"ja": 6.7, "en": 15.0}

Dialogue = tuple[str, list[tuple[str, str]]]  # language, [(agent|customer, text)]


def jmultiwoz(limit: int | None) -> Iterator[Dialogue]:
    path = TRANSCRIPTS / "ja_jmultiwoz_tc" / "jmultiwoz_dialogues_reconstructed.jsonl"
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if limit is not None and n >= limit:
                return
            data = json.loads(line)
            yield (
                "ja",
                [
                    ("agent" if t["speaker"] == "operator" else "customer", str(t["text"]))
                    for t in data["turns"]
                ],
            )


def english() -> Iterator[Dialogue]:
    abcd = TRANSCRIPTS / "en_abcd" / "abcd_sample.json"
    if abcd.exists():
        for convo in json.loads(abcd.read_text(encoding="utf-8")):
            yield "en", [(who, str(text)) for who, text in convo["original"] if who in ("agent", "customer")]
    azure = TRANSCRIPTS / "azure_call_center" / "Json_input_customer_support.json"
    if azure.exists():
        data = json.loads(azure.read_text(encoding="utf-8"))
        for convo in data["analysisInput"]["conversations"]:
            yield (
                "en",
                [
                    ("agent" if item["participantId"].lower() == "agent" else "customer", str(item["text"]))
                    for item in convo["conversationItems"]
                ],
            )


TRIGGERS: dict[HintKind, Counter[str]] = {kind: Counter() for kind in HintKind}


def replay(
    language: str, turns: list[tuple[str, str]], traits: tuple[str, ...]
) -> tuple[Counter[HintKind], int]:
    coach = Coach(language, traits, TERMS)
    fired: Counter[HintKind] = Counter()
    cues = []
    t = 0.5
    for n, (channel, text) in enumerate(turns):
        length = max(1.0, len(text) / CHARS_PER_SECOND[language])
        for hint in coach.heard(channel, t, t + length, text, f"t{n}"):
            fired[hint.kind] += 1
        if channel == "customer":
            cues += emotion_cues(f"t{n}", text, language)
        t += length + 0.6
        silence = coach.silence(t)
        if silence is not None:
            fired[silence.kind] += 1
    if coach.after_call(cues, t) is not None:
        fired[HintKind.PAUSE] += 1
    for hint in coach.hints:
        if hint.kind in (HintKind.JARGON, HintKind.EXPECTATION):
            TRIGGERS[hint.kind][hint.trigger] += 1
    return fired, sum(1 for channel, _ in turns if channel == "agent")


TERMS = load_glossary()


def run(name: str, dialogues: list[Dialogue]) -> None:
    for profile in ("no traits", "non-technical, slow"):
        for triggers in TRIGGERS.values():
            triggers.clear()
        total: Counter[HintKind] = Counter()
        dialogues_with: Counter[HintKind] = Counter()
        agent_lines = 0
        started = time.perf_counter()
        for language, turns in dialogues:
            traits = PROFILES[language] if profile != "no traits" else ()
            fired, lines = replay(language, turns, traits)
            total += fired
            dialogues_with.update(set(fired))
            agent_lines += lines
        seconds = time.perf_counter() - started
        print(
            f"{name} — customer: {profile} — {len(dialogues)} dialogues, {agent_lines} agent lines "
            f"({seconds:.1f} s)"
        )
        for kind in HintKind:
            per_100 = 100 * total[kind] / max(agent_lines, 1)
            share = 100 * dialogues_with[kind] / max(len(dialogues), 1)
            print(
                f"  {kind.value:<12} {total[kind]:>6} fired  {per_100:6.2f} per 100 agent "
                f"lines  {share:5.1f} % of dialogues"
            )
            if TRIGGERS[kind]:
                print(
                    "      most often: " + ", ".join(f"{t} ({n})" for t, n in TRIGGERS[kind].most_common(5))
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="at most this many Japanese dialogues")
    args = parser.parse_args()
    ja = list(jmultiwoz(args.limit))
    en = list(english())
    if not ja and not en:
        print(f"no dialogues under {TRANSCRIPTS}: nothing to measure")
        return
    if ja:
        run("JMultiWOZ-TC (ja)", ja)
    if en:
        run("ABCD sample + Azure call centre (en)", en)


if __name__ == "__main__":
    main()
