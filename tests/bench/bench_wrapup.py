"""Does the wrap-up name every issue? Measured on Japanese dialogues it was not written for.

Run on purpose (not collected by pytest):

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_wrapup [--split reporting|tuning] [--limit N]

JMultiWOZ-TC dialogues (../shared/eval, read at run time) that touch two domains or more (hotel, restaurant,
weather ...; the dataset's tool calls say which, and which customer turn first asks for each) are replayed
through a real ``CallSession`` over a store holding a small knowledge base written from the dataset's tool
descriptions (tests/assist/eval_calls.py). A domain counts as named when the customer turn that first asks for
it is a source line of an issue of its own (an issue shared with another domain names only one of them). Also
reported: issues per dialogue against domains per dialogue (over-splitting), lines that repeat what was said
(must be 0) and the time per wrap-up. The rules were tuned on the "tuning" half (dialogue ids hashing even);
report the "reporting" half.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from assist.session import CallSession
from assist.store import Store
from assist.wrapup import copied_utterances
from audio.events import Channel, EventKind, TranscriptEvent
from tests.assist import eval_calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["reporting", "tuning"], default="reporting")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if not eval_calls.available():
        print(f"{eval_calls.JMULTIWOZ} is not present: nothing to measure")
        return
    store = Store.open(":memory:")
    store.upsert_knowledge(eval_calls.knowledge())
    dialogues = named = domains = all_named = issues = copied = 0
    times: list[float] = []
    for d in eval_calls.dialogues():
        if len(d.domains) < 2 or eval_calls.split(d.id) != args.split:
            continue
        if args.limit is not None and dialogues >= args.limit:
            break
        dialogues += 1
        session = CallSession(store, d.id, None, "ja", clock=lambda: datetime(2026, 11, 18, 10, tzinfo=UTC))
        for n, (channel, start, end, text) in enumerate(eval_calls.timed(d.turns)):
            ch = Channel.AGENT if channel == "agent" else Channel.CUSTOMER
            session.feed(TranscriptEvent(d.id, ch, EventKind.FINAL, start, end, text, 0.9, f"{d.id}-{n}"))
        started = time.perf_counter()
        wrap = session.structured_wrap_up()
        times.append(time.perf_counter() - started)
        holding = [
            next((k for k, i in enumerate(wrap.issues) if f"{d.id}-{turn}" in i.sources), None)
            for _, turn in d.domains
        ]
        ok = [h is not None and holding.count(h) == 1 for h in holding]
        named += sum(ok)
        domains += len(ok)
        all_named += all(ok)
        issues += len(wrap.issues)
        copied += len(copied_utterances(wrap, store.segments_for(d.id)))
    print(f"JMultiWOZ-TC, {args.split} split: {dialogues} dialogues with 2+ domains")
    print(f"  domains named in an issue of their own: {named}/{domains} = {named / max(domains, 1):.1%}")
    print(
        f"  dialogues with every domain named:      {all_named}/{dialogues} "
        f"= {all_named / max(dialogues, 1):.1%}"
    )
    print(
        f"  issues per dialogue {issues / max(dialogues, 1):.2f} (domains per "
        f"dialogue {domains / max(dialogues, 1):.2f})"
    )
    print(f"  lines repeating what was said: {copied}")
    if times:
        p95 = sorted(times)[int(0.95 * (len(times) - 1))]
        print(f"  wrap-up time p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
