"""A call's self-review scorecard: what the agent can check alone after the call, and the team's trends.

Items, each with the transcript lines it rests on (so the call detail can point at them):

* **empathy**: empathy phrases the agent used (申し訳ございません, お困りですね, "I'm sorry", "I understand
  how frustrating") and how many of the customer's upset moments (frustration, anger, anxiety cues) got one
  within the agent's next two lines;
* **summary back**: whether the agent summarised the customer's issue back (つまり…, "just to confirm");
* **promises logged**: the promises the wrap-up found against the follow-ups saved for the call;
* **advice followed**: each supervisor whisper, and whether the agent's later lines took up its key words;
* **thanked**: whether the agent's last words thanked the customer;
* **dynamics**: the conversation figures (assist.dynamics).

Stored with the call (``call_wrapups.scorecard``) when it is saved, so insights can show weekly trends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from assist.coaching import _SUMMARY_BACK
from assist.domain import Segment, WhisperRecord
from assist.dynamics import ensure_dynamics_schema, load_dynamics
from assist.store import Store
from assist.text import EN_STOP, stem
from assist.wrapup import StructuredWrapUp, _content_nouns

EMPATHY = re.compile(
    r"申し訳(?:ございません|ありません)|ご不便|ご迷惑|お困り|ご心配|お手数|大変でしたね|お気持ち|ご不安|"
    r"\b(?:i'?m (?:so |very |really )?sorry|apologi[sz]e|i understand (?:how|that|your)|frustrating|"
    r"i can (?:imagine|see how)|that must be)\b",
    re.IGNORECASE,
)
THANKS = re.compile(r"ありがとうございま|\bthank(?:s| you)\b", re.IGNORECASE)
UPSET_KINDS = ("frustration", "anger", "anxiety")


@dataclass(frozen=True, slots=True)
class Scorecard:
    call_id: str
    empathy_phrases: int
    upset_moments: int
    upset_answered: int
    summary_back: bool
    promises: int
    promises_logged: int
    whispers: int
    whispers_followed: int
    thanked: bool
    sources: dict[str, list[str]]  # item -> segment ids it rests on
    dynamics: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scorecard:  # Any: stored JSON handed to cls(**data)
        # Stored JSON (written by to_dict): untyped until the dataclass takes it field by field.
        return cls(**data)


def _terms(text: str) -> set[str]:
    words = {stem(w) for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3 and w not in EN_STOP}
    return words | _content_nouns(text)


# Words every whisper and every answer share: taking them up says nothing about following the advice.
_GENERIC = frozenset(["お客様", "案内", "確認", "対応", "説明", "customer", "offer", "check", "tell"])


def build_scorecard(
    call_id: str,
    segments: Sequence[Segment],
    cues: Sequence[tuple[str, str]],
    whispers: Sequence[WhisperRecord],
    wrap: StructuredWrapUp | None,
    follow_ups_saved: int,
    dynamics: Mapping[str, object] | None = None,
) -> Scorecard:
    """``cues``: (segment id, kind) of the call's cues; ``follow_ups_saved``: follow-ups stored for the
    call."""
    lines = sorted(segments, key=lambda s: s.start)
    agent = [s for s in lines if s.channel == "agent"]
    index = {s.segment_id: n for n, s in enumerate(lines)}
    empathy = [s.segment_id for s in agent if EMPATHY.search(s.text)]
    upset = [sid for sid, kind in cues if kind in UPSET_KINDS and sid in index]
    answered = []
    for sid in upset:
        after = [s for s in lines[index[sid] + 1 :] if s.channel == "agent"][:2]
        if any(EMPATHY.search(s.text) for s in after):
            answered.append(sid)
    summary = [s.segment_id for s in agent if _SUMMARY_BACK.search(s.text)]
    followed = []
    for whisper in whispers:
        start = index.get(whisper.segment_id or "", -1)
        # The advice is what the whisper adds: words already said before it prove nothing.
        before = set().union(*(_terms(s.text) for s in lines[: start + 1]))
        key = _terms(whisper.text) - _GENERIC - before
        later = [s for s in lines[start + 1 :] if s.channel == "agent"]
        # Two of its words when it has several (one shared topic word is not the advice).
        needed = 1 if len(key) <= 2 else 2
        hit = next((s for s in later if len(key & _terms(s.text)) >= needed), None)
        if hit is not None:
            followed.append(hit.segment_id)
    promises = len(wrap.promises) if wrap is not None else 0
    return Scorecard(
        call_id=call_id,
        empathy_phrases=len(empathy),
        upset_moments=len(upset),
        upset_answered=len(answered),
        summary_back=bool(summary),
        promises=promises,
        promises_logged=min(promises, follow_ups_saved),
        whispers=len(whispers),
        whispers_followed=len(followed),
        thanked=bool(agent and THANKS.search(agent[-1].text)),
        sources={
            "empathy": empathy,
            "upset": upset,
            "summary_back": summary,
            "promises": [s for p in (wrap.promises if wrap else ()) for s in p.sources],
            "advice_followed": followed,
            "thanked": [agent[-1].segment_id] if agent and THANKS.search(agent[-1].text) else [],
        },
        dynamics=dict(dynamics or {}),
    )


def score_call(store: Store, call_id: str, wrap: StructuredWrapUp | None) -> Scorecard:
    """The scorecard of a stored call from what the store holds about it; kept with the call."""
    ensure_dynamics_schema(store)
    cues = [
        (str(r[0]), str(r[1]))
        for r in store.conn.execute("SELECT segment_id, kind FROM call_cues WHERE call_id = ?", (call_id,))
    ]
    saved = store.conn.execute("SELECT COUNT(*) FROM follow_ups WHERE call_id = ?", (call_id,)).fetchone()[0]
    measured = load_dynamics(store, call_id)
    card = build_scorecard(
        call_id,
        store.segments_for(call_id),
        cues,
        store.whispers_for(call_id),
        wrap,
        int(saved),
        measured.figures() if measured is not None else None,
    )
    with store.transaction():
        store.conn.execute(
            "INSERT INTO call_wrapups(call_id, scorecard) VALUES (?, ?) "
            "ON CONFLICT(call_id) DO UPDATE SET scorecard = excluded.scorecard",
            (call_id, json.dumps(card.to_dict(), ensure_ascii=False)),
        )
    return card


def load_scorecard(store: Store, call_id: str) -> Scorecard | None:
    ensure_dynamics_schema(store)
    row = store.conn.execute("SELECT scorecard FROM call_wrapups WHERE call_id = ?", (call_id,)).fetchone()
    if row is None or row[0] in ("", "{}"):
        return None
    return Scorecard.from_dict(json.loads(row[0]))
