"""How the conversation went, measured from the two timed channels of the kept transcript.

The figures contact-centre tools report (talk:listen ratio, overlaps, silences, speech rate, monologues, dead
air), computed from the final lines of each channel (``Segment.start``/``end`` in seconds from the start of
the recording). Every figure is a plain function of those intervals, so it can be checked by hand:

* **talk time** of a channel: the length of the union of its lines' intervals (a line overlapping another of
  the same channel is not counted twice).
* **talk:listen ratio**: the agent's talk time over the customer's; ``agent_share`` is the agent's talk time
  over both (0.45 reads "the agent spoke 45 % of the talking time").
* **overlaps** (被り): stretches where both channels speak at once, kept when they last ``OVERLAP_MIN_S`` (1
  s) or more. Each is attributed to the speaker who started talking while the other already was (``by``).
* **silences** (沈黙): gaps between the first and the last word of the call where neither channel speaks, kept
  when they last ``SILENCE_MIN_S`` (3 s) or more. Before the first word and after the last one is ringing and
  hanging up, not silence.
* **dead air**: the total length of those silences; a silence of ``HOLD_MIN_S`` (20 s) or more counts as a
  **hold** (the customer was most likely put on hold).
* **longest monologue** of a channel: the longest stretch from the start of one of its lines to the end of a
  later one during which the other channel said nothing and no silence of 3 s or more broke it.
* **speech rate**: Japanese in morae per second (kana morae of janome's readings: every kana counts one, the
  small ャュョァィゥェォヮ join the kana before them; ッ, ン and ー count one; Latin letters and digits
  without a reading are not counted), English in words per minute; both over the channel's talk time.
* **switches** (ラリー): how many times the speaker changed, in line order.

Why rules and not a library: the definitions above are what the figures mean; nothing would be gained by a
dependency. The figures are stored with the call (its own small table, schema versioned under its own key like
the review tables), so insights and the CSV read them without re-reading transcripts.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Protocol

from assist.migrations import MigrationSet
from assist.store import Store
from audio.lexicon import JanomeTokenizer

OVERLAP_MIN_S = 1.0
SILENCE_MIN_S = 3.0
HOLD_MIN_S = 20.0

AGENT = "agent"
CUSTOMER = "customer"

MORAE_PER_SECOND = "morae/s"
WORDS_PER_MINUTE = "wpm"


@dataclass(frozen=True, slots=True)
class Line:
    """One final line of one channel, as the measures need it."""

    channel: str
    start: float
    end: float
    text: str = ""
    segment_id: str = ""


@dataclass(frozen=True, slots=True)
class Overlap:
    start: float
    end: float
    by: str  # the channel that started speaking while the other was

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Silence:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class CallDynamics:
    """The measured conversation of one call (seconds unless the name says otherwise)."""

    call_id: str
    language: str
    span: float  # from the first word to the last
    agent_talk: float
    customer_talk: float
    overlaps: tuple[Overlap, ...]
    silences: tuple[Silence, ...]
    agent_longest_monologue: float
    customer_longest_monologue: float
    agent_rate: float
    customer_rate: float
    rate_unit: str
    switches: int

    @property
    def talk_listen_ratio(self) -> float:
        """Agent talk over customer talk (0 when the customer said nothing)."""
        return self.agent_talk / self.customer_talk if self.customer_talk else 0.0

    @property
    def agent_share(self) -> float:
        both = self.agent_talk + self.customer_talk
        return self.agent_talk / both if both else 0.0

    @property
    def overlap_seconds(self) -> float:
        return sum(o.seconds for o in self.overlaps)

    @property
    def agent_interruptions(self) -> int:
        return sum(1 for o in self.overlaps if o.by == AGENT)

    @property
    def dead_air(self) -> float:
        return sum(s.seconds for s in self.silences)

    @property
    def longest_silence(self) -> float:
        return max((s.seconds for s in self.silences), default=0.0)

    @property
    def holds(self) -> int:
        return sum(1 for s in self.silences if s.seconds >= HOLD_MIN_S)

    def figures(self) -> dict[str, float | int | str]:
        """The flat figures (what the store, the CSV and insights carry), rounded for reading."""
        return {
            "talk_listen_ratio": round(self.talk_listen_ratio, 2),
            "agent_share": round(self.agent_share, 3),
            "agent_talk_seconds": round(self.agent_talk, 1),
            "customer_talk_seconds": round(self.customer_talk, 1),
            "overlaps": len(self.overlaps),
            "overlap_seconds": round(self.overlap_seconds, 1),
            "agent_interruptions": self.agent_interruptions,
            "silences": len(self.silences),
            "dead_air_seconds": round(self.dead_air, 1),
            "longest_silence_seconds": round(self.longest_silence, 1),
            "holds": self.holds,
            "agent_longest_monologue_seconds": round(self.agent_longest_monologue, 1),
            "customer_longest_monologue_seconds": round(self.customer_longest_monologue, 1),
            "agent_rate": round(self.agent_rate, 1),
            "customer_rate": round(self.customer_rate, 1),
            "rate_unit": self.rate_unit,
            "switches": self.switches,
        }

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["overlaps"] = [asdict(o) for o in self.overlaps]
        data["silences"] = [asdict(s) for s in self.silences]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CallDynamics:
        d: dict[str, Any] = dict(data)  # Any: stored JSON, typed when the dataclasses below take it
        d["overlaps"] = tuple(Overlap(**o) for o in d.get("overlaps") or ())
        d["silences"] = tuple(Silence(**s) for s in d.get("silences") or ())
        return cls(**d)


# --- intervals -------------------------------------------------------------------------------------------


def _union(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(intervals: Iterable[tuple[float, float]]) -> float:
    return sum(end - start for start, end in intervals)


def _intersections(
    a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    found: list[tuple[float, float]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            found.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return found


def _speaking_at(intervals: Sequence[tuple[float, float]], moment: float) -> tuple[float, float] | None:
    for start, end in intervals:
        if start <= moment < end:
            return (start, end)
    return None


def _overlaps(agent: list[tuple[float, float]], customer: list[tuple[float, float]]) -> list[Overlap]:
    found = []
    for start, end in _intersections(agent, customer):
        if end - start < OVERLAP_MIN_S - 1e-9:
            continue
        # Whoever's stretch began later came in over the other.
        a = _speaking_at(agent, start) or (start, end)
        c = _speaking_at(customer, start) or (start, end)
        found.append(Overlap(round(start, 3), round(end, 3), AGENT if a[0] > c[0] else CUSTOMER))
    return found


def _silences(both: list[tuple[float, float]]) -> list[Silence]:
    return [
        Silence(round(prev_end, 3), round(start, 3))
        for (_, prev_end), (start, _) in itertools.pairwise(both)
        if start - prev_end >= SILENCE_MIN_S - 1e-9
    ]


def _longest_monologue(lines: Sequence[Line], channel: str) -> float:
    """The longest run of ``channel``'s lines that nothing from the other channel and no long silence
    breaks."""
    ordered = sorted(lines, key=lambda line: (line.start, line.end))
    best = 0.0
    run_start: float | None = None
    run_end = 0.0
    for line in ordered:
        if line.channel != channel:
            if run_start is not None and line.start < run_end:
                # The other side spoke inside the run: it ends where they came in.
                best = max(best, line.start - run_start)
            elif run_start is not None:
                best = max(best, run_end - run_start)
            run_start = None
            continue
        if run_start is None or line.start - run_end >= SILENCE_MIN_S - 1e-9:
            if run_start is not None:
                best = max(best, run_end - run_start)
            run_start, run_end = line.start, line.end
        else:
            run_end = max(run_end, line.end)
    if run_start is not None:
        best = max(best, run_end - run_start)
    return best


def _switches(lines: Sequence[Line]) -> int:
    order = [line.channel for line in sorted(lines, key=lambda line: (line.start, line.end))]
    return sum(1 for a, b in itertools.pairwise(order) if a != b)


# --- speech rate -----------------------------------------------------------------------------------------

_SMALL_KANA = frozenset("ャュョァィゥェォヮ")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]")
_EN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


def _to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def kana_morae(kana: str) -> int:
    """Morae of a kana string: every kana one, except the small ャュョァィゥェォヮ that join the one
    before."""
    return sum(1 for c in _to_katakana(kana) if _KATAKANA.fullmatch(c) and c not in _SMALL_KANA)


@lru_cache(maxsize=1)
def janome_tokenizer() -> JanomeTokenizer:
    """The one janome tokenizer (its dictionary loads once), shared with assist.wrapup."""
    from janome.tokenizer import Tokenizer

    tokenizer: JanomeTokenizer = Tokenizer()
    return tokenizer


@lru_cache(maxsize=4096)
def morae(text: str) -> int:
    """Spoken morae of a Japanese line, from janome's reading of each word (the surface when it is kana)."""
    total = 0
    for token in janome_tokenizer().tokenize(unicodedata.normalize("NFKC", text)):
        reading = str(token.reading)
        total += kana_morae(reading if reading != "*" else str(token.surface))
    return total


def words(text: str) -> int:
    return len(_EN_WORD.findall(text))


def _rate(lines: Sequence[Line], talk: float, language: str) -> float:
    if talk <= 0:
        return 0.0
    if language == "ja":
        return sum(morae(line.text) for line in lines) / talk
    return sum(words(line.text) for line in lines) / talk * 60.0


def rate_unit(language: str) -> str:
    return MORAE_PER_SECOND if language == "ja" else WORDS_PER_MINUTE


def speech_rate(lines: Sequence[Line], language: str) -> float:
    """Speech rate of these lines (one channel) in ``rate_unit(language)``."""
    return _rate(lines, _length(_union((line.start, line.end) for line in lines)), language)


# --- the whole call --------------------------------------------------------------------------------------


def measure(call_id: str, lines: Sequence[Line], language: str) -> CallDynamics:
    """Every figure of the call from its final lines (channels ``agent`` and ``customer``)."""
    agent_lines = [line for line in lines if line.channel == AGENT]
    customer_lines = [line for line in lines if line.channel == CUSTOMER]
    agent = _union((line.start, line.end) for line in agent_lines)
    customer = _union((line.start, line.end) for line in customer_lines)
    both = _union([*agent, *customer])
    agent_talk, customer_talk = _length(agent), _length(customer)
    return CallDynamics(
        call_id=call_id,
        language=language,
        span=round(both[-1][1] - both[0][0], 3) if both else 0.0,
        agent_talk=round(agent_talk, 3),
        customer_talk=round(customer_talk, 3),
        overlaps=tuple(_overlaps(agent, customer)),
        silences=tuple(_silences(both)),
        agent_longest_monologue=round(_longest_monologue(lines, AGENT), 3),
        customer_longest_monologue=round(_longest_monologue(lines, CUSTOMER), 3),
        agent_rate=round(_rate(agent_lines, agent_talk, language), 3),
        customer_rate=round(_rate(customer_lines, customer_talk, language), 3),
        rate_unit=rate_unit(language),
        switches=_switches(lines),
    )


class _SpokenLine(Protocol):
    """A transcript line as ``assist.domain.Segment`` and ``audio.events.TranscriptEvent`` both have it."""

    @property
    def channel(self) -> object: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...
    @property
    def segment_id(self) -> str: ...


def lines_of(segments: Iterable[_SpokenLine]) -> list[Line]:
    """Lines from ``assist.domain.Segment`` (or anything with channel, start, end, text, segment_id)."""
    return [
        Line(str(s.channel), float(s.start), float(s.end), str(s.text), str(s.segment_id))
        for s in segments
        if str(s.text).strip()
    ]


# --- stored with the call --------------------------------------------------------------------------------

META_KEY = "dynamics_schema_version"
_COLUMNS = (
    "agent_share",
    "talk_listen_ratio",
    "agent_talk_seconds",
    "customer_talk_seconds",
    "overlaps",
    "overlap_seconds",
    "agent_interruptions",
    "silences",
    "dead_air_seconds",
    "longest_silence_seconds",
    "holds",
    "agent_longest_monologue_seconds",
    "customer_longest_monologue_seconds",
    "agent_rate",
    "customer_rate",
    "rate_unit",
    "switches",
)


def _migration_1(conn: sqlite3.Connection) -> None:
    numbers = ", ".join(f"{c} REAL NOT NULL DEFAULT 0" for c in _COLUMNS if c != "rate_unit")
    conn.execute(
        f"""CREATE TABLE IF NOT EXISTS call_dynamics (
            call_id TEXT PRIMARY KEY, language TEXT NOT NULL DEFAULT '', rate_unit TEXT NOT NULL DEFAULT '',
            {numbers}, detail TEXT NOT NULL DEFAULT '{{}}')"""
    )


def _migration_2(conn: sqlite3.Connection) -> None:
    # The structured wrap-up (assist.wrapup) as proposed from the transcript, with its main issue for
    # insights.
    conn.execute(
        """CREATE TABLE IF NOT EXISTS call_wrapups (
            call_id TEXT PRIMARY KEY, language TEXT NOT NULL DEFAULT '', main_issue TEXT NOT NULL DEFAULT '',
            structured TEXT NOT NULL DEFAULT '{}', scorecard TEXT NOT NULL DEFAULT '{}')"""
    )


def _adopt(conn: sqlite3.Connection) -> int:
    # The first release numbered the dynamics table under a key in the store's meta table.
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is None:
        return 0
    conn.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
    return int(row[0])


CONVERSATION_MIGRATIONS = MigrationSet(
    "conversation",
    (
        (1, "conversation dynamics of each call", _migration_1),
        (2, "structured wrap-up and scorecard of each call", _migration_2),
    ),
    adopt=_adopt,
)
# What erasing a customer's calls must delete too.
DYNAMICS_TABLES = ("call_dynamics", "call_wrapups")


def ensure_dynamics_schema(store: Store) -> int:
    """Create or upgrade the conversation tables (idempotent and cheap); returns the version in place."""
    return store.apply_migrations(CONVERSATION_MIGRATIONS)


def save_dynamics(store: Store, dynamics: CallDynamics) -> None:
    import json

    ensure_dynamics_schema(store)
    figures = dynamics.figures()
    names = ("call_id", "language", *_COLUMNS, "detail")
    values = (
        dynamics.call_id,
        dynamics.language,
        *(figures[c] for c in _COLUMNS),
        json.dumps(dynamics.to_dict(), ensure_ascii=False),
    )
    updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
    with store.transaction():
        store.conn.execute(
            f"INSERT INTO call_dynamics({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
            f"ON CONFLICT(call_id) DO UPDATE SET {updates}",
            values,
        )


def load_dynamics(store: Store, call_id: str) -> CallDynamics | None:
    import json

    ensure_dynamics_schema(store)
    row = store.conn.execute("SELECT detail FROM call_dynamics WHERE call_id = ?", (call_id,)).fetchone()
    return CallDynamics.from_dict(json.loads(row[0])) if row else None


def measure_call(store: Store, call_id: str, language: str) -> CallDynamics:
    """Measure a stored call from its kept transcript and store the figures with it."""
    dynamics = measure(call_id, lines_of(store.segments_for(call_id)), language)
    save_dynamics(store, dynamics)
    return dynamics


def stored_figures(store: Store, call_id: str) -> dict[str, float | int | str] | None:
    """The flat figures of a stored call (``CallDynamics.figures``), None when it was never measured."""
    ensure_dynamics_schema(store)
    row = store.conn.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM call_dynamics WHERE call_id = ?", (call_id,)
    ).fetchone()
    if row is None:
        return None
    return {
        name: (int(v) if isinstance(v, float) and v.is_integer() and name in _COUNTS else v)
        for name, v in zip(_COLUMNS, row, strict=True)
    }


_COUNTS = frozenset(["overlaps", "agent_interruptions", "silences", "holds", "switches"])
