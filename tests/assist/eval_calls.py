"""Calls composed from ../shared/eval (read at run time, never copied): Japanese operator dialogues of
JMultiWOZ-TC (travel requests over several domains: hotel, restaurant, weather ...) laid out on two timed
channels, with a knowledge base written from the dataset's own tool descriptions, so the wrap-up can be
checked on calls it was not written for. Each dialogue's domains (from its tool calls) and the first customer
turn of each are the reference for "the wrap-up names every issue".

Split: dialogues whose id hashes even are for tuning, odd ones for reporting (``split``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assist.domain import KnowledgeEntry

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval"
JMULTIWOZ = EVAL / "transcripts" / "ja_jmultiwoz_tc"

# A title and a few everyday words per domain, as a knowledge-base author would write them; the body is the
# dataset's own tool descriptions and the kinds its parameters list.
_DOMAINS = {
    "restaurant": ("飲食店・レストランの案内", ("食事", "ご飯", "ランチ", "ディナー", "お店")),
    "hotel": ("ホテル・宿泊施設の案内", ("泊まる", "宿泊", "宿", "旅館", "チェックイン")),
    "attraction": ("観光地・名所の案内", ("観光", "名所", "見どころ", "観光スポット")),
    "shopping": ("ショッピング施設の案内", ("買い物", "ショッピング", "お土産", "ショッピングセンター")),
    "taxi": ("タクシーの案内と予約", ("タクシー", "配車", "迎え")),
    "weather": ("天気予報の案内", ("天気", "天候", "気温", "雨")),
}


def available() -> bool:
    return (JMULTIWOZ / "jmultiwoz_dialogues_reconstructed.jsonl").exists() and (
        JMULTIWOZ / "tools.json"
    ).exists()


def domain_of(tool: str) -> str:
    return tool.split("_", 1)[1] if "_" in tool else tool


def knowledge() -> list[KnowledgeEntry]:
    tools = json.loads((JMULTIWOZ / "tools.json").read_text(encoding="utf-8"))
    bodies: dict[str, list[str]] = {d: [] for d in _DOMAINS}
    for tool in tools:
        fn = tool["function"]
        domain = domain_of(fn["name"])
        if domain not in bodies:
            continue
        bodies[domain].append(fn["description"])
        genre = fn.get("parameters", {}).get("properties", {}).get("genre", {})
        if genre.get("description"):
            bodies[domain].append(genre["description"])
    return [
        KnowledgeEntry(f"travel-{d}", title, " ".join(bodies[d]), language="ja", aliases=aliases)
        for d, (title, aliases) in _DOMAINS.items()
    ]


@dataclass(frozen=True, slots=True)
class Dialogue:
    id: str
    turns: tuple[tuple[str, str], ...]  # (agent|customer, text)
    domains: tuple[tuple[str, int], ...]  # (domain, index of the first customer turn that asks for it)


def dialogues() -> Iterator[Dialogue]:
    with (JMULTIWOZ / "jmultiwoz_dialogues_reconstructed.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            data = json.loads(line)
            turns = tuple(
                ("agent" if t["speaker"] == "operator" else "customer", str(t["text"])) for t in data["turns"]
            )
            first: dict[str, int] = {}
            for n, t in enumerate(data["turns"]):
                for call in t.get("tool_calls") or ():
                    first.setdefault(domain_of(call["name"]), n)
            yield Dialogue(data["dialogue_id"], turns, tuple(first.items()))


def split(dialogue_id: str) -> str:
    return "tuning" if hashlib.sha256(dialogue_id.encode()).digest()[0] % 2 == 0 else "reporting"


def timed(
    turns: tuple[tuple[str, str], ...], seconds_per_char: float = 0.12
) -> list[tuple[str, float, float, str]]:
    """Turns on a timeline: each lasts in proportion to its length, with a 0.6 s gap between turns."""
    out, t = [], 0.5
    for channel, text in turns:
        length = max(1.0, round(len(text) * seconds_per_char, 2))
        out.append((channel, round(t, 2), round(t + length, 2), text))
        t += length + 0.6
    return out
