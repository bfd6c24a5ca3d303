"""What the team board knows about each live call, and which calls need the supervisor now.

Kept free of Qt so the rules ("strong frustration", "long silence", "long call") can be tested with an
injected clock and read on their own. The board is fed with what the team server sends every supervisor of the
team: the live call list, call start/end, every final transcript line, presence, and the agent's published
call info. Frustration is judged here from the customer's final lines with the same rules the agent's cue
banner uses (:func:`assist.cues.emotion_cues`), so the board works even when the agent's client publishes no
cues.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum

import msgspec

from assist.cues import emotion_cues
from assist.domain import CueKind
from audio.events import Channel, EventKind
from sync.protocol import Call, CallInfo, Hand, Presence, SharedCustomer, TranscriptLine


class Frustration(IntEnum):
    NONE = 0
    SOME = 1
    STRONG = 2


class Attention(StrEnum):
    """Why a call stands out on the board; each is shown in words, never by colour alone."""

    HAND_RAISED = "hand_raised"  # the agent asked for help: always first on the board
    STRONG_FRUSTRATION = "strong_frustration"
    LONG_SILENCE = "long_silence"
    LONG_CALL = "long_call"
    NEEDS_MOMENT = "needs_moment"  # the agent's app says the call is hard on them (no reason, no content)


@dataclass(frozen=True, slots=True)
class AttentionRules:
    long_silence_seconds: float = 30.0
    long_call_seconds: float = 15 * 60.0
    # Repeated frustration is as telling as one angry outburst.
    frustrated_lines_for_strong: int = 2


@dataclass(frozen=True, slots=True)
class LiveCall:
    call_id: str
    agent: str
    customer: SharedCustomer = field(default_factory=SharedCustomer)
    started_at: float = 0.0
    last_line: str = ""
    last_line_speaker: str = ""  # agent | customer | "" before anyone spoke
    last_activity_at: float = 0.0
    last_whisper_at: float | None = None
    frustration: Frustration = Frustration.NONE
    frustration_words: tuple[str, ...] = ()
    frustrated_segments: frozenset[str] = frozenset()
    info: CallInfo = field(default_factory=CallInfo)

    @property
    def customer_name(self) -> str:
        return self.customer.name or self.customer.phone or self.customer.id

    @property
    def hand(self) -> Hand | None:
        """The agent's raised hand, or None."""
        return self.info.raised_hand

    @property
    def hand_answered(self) -> bool:
        """A supervisor whispered (or said they are coming) since the hand went up."""
        hand = self.hand
        return (
            hand is not None and self.last_whisper_at is not None and self.last_whisper_at >= hand.raised_at
        )

    def duration(self, now: float) -> float:
        return max(0.0, now - self.started_at)

    def silence(self, now: float) -> float:
        return max(0.0, now - max(self.last_activity_at, self.started_at))


@dataclass(frozen=True, slots=True)
class TeamMember:
    name: str
    role: str
    online: bool
    online_since: float | None = None
    call_id: str | None = None
    call_since: float | None = None

    @property
    def idle(self) -> bool:
        return self.online and self.call_id is None


class TeamBoard:
    """The live calls and the people of one team, as this supervisor's client has heard of them."""

    def __init__(self, rules: AttentionRules | None = None, clock: Callable[[], float] = time.time) -> None:
        self.rules = rules or AttentionRules()
        self.clock = clock
        self._calls: dict[str, LiveCall] = {}
        self._members: dict[str, TeamMember] = {}
        self._version = 0
        self._touched: dict[str, int] = {}  # call id -> version of its last live update
        self._ended: dict[str, int] = {}  # call id -> version at which it was seen ending
        self._member_versions: dict[str, int] = {}

    # -- feeding -------------------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Grows with every live update; pass it to the replace_* methods with the answer to a request made
        at that version, so an answer that was on its way while events arrived cannot undo them."""
        return self._version

    def replace_calls(self, calls: Iterable[Call], asked_at: int | None = None) -> None:
        """The server's list of live calls: the truth after a (re)connect. What we learnt live is kept."""
        asked_at = self._version if asked_at is None else asked_at
        fresh: dict[str, LiveCall] = {}
        for row in calls:
            call_id = row.call_id
            if self._ended.get(call_id, -1) > asked_at:
                continue  # it ended after the server answered
            call = self._from_row(row, self._calls.get(call_id))
            if call is not None:
                fresh[call.call_id] = call
        for call_id, call in self._calls.items():
            if call_id not in fresh and self._touched.get(call_id, -1) > asked_at:
                fresh[call_id] = call  # it started after the server answered
        self._calls = fresh

    def call_started(self, row: Call) -> LiveCall | None:
        call = self._from_row(row, self._calls.get(row.call_id))
        if call is not None:
            self._calls[call.call_id] = call
            self._touch(call.call_id)
        return call

    def call_ended(self, call_id: str) -> None:
        self._calls.pop(call_id, None)
        self._version += 1
        self._ended[call_id] = self._version

    def _touch(self, call_id: str) -> None:
        self._version += 1
        self._touched[call_id] = self._version

    def transcript(self, call_id: str, event: TranscriptLine) -> LiveCall | None:
        """A transcript line of a live call; only finals move the board (partials are still changing)."""
        call = self._calls.get(call_id)
        if call is None or event.kind is not EventKind.FINAL or event.revised or not event.text:
            return call  # a second pass rewrites lines already seen: the board has moved on
        text, speaker = event.text, event.channel.value
        call = replace(call, last_line=text, last_line_speaker=speaker, last_activity_at=self.clock())
        segment = f"{speaker}:{event.segment_id}"
        if event.channel is Channel.CUSTOMER and segment not in call.frustrated_segments:
            cues = emotion_cues(segment, text, event.language)
            call = self._with_feelings(call, segment, [(c.kind, c.trigger) for c in cues])
        self._calls[call_id] = call
        self._touch(call_id)
        return call

    def call_info(self, call_id: str, info: CallInfo) -> LiveCall | None:
        """What the agent's client published (customer context, cards, cues): its cues count too. The
        server sends the call's whole info (merged); a hand it does not carry stays as it was."""
        call = self._calls.get(call_id)
        if call is None:
            return None
        if info.hand is msgspec.UNSET:
            info = msgspec.structs.replace(info, hand=call.info.hand)
        call = replace(call, info=info)
        if info.customer is not None and info.customer != SharedCustomer():
            call = replace(call, customer=info.customer)
        for index, cue in enumerate(info.cues):
            key = f"info:{cue.segment_id or index}:{cue.kind}"
            if key in call.frustrated_segments:
                continue
            try:
                kind = CueKind(cue.kind)
            except ValueError:
                continue
            call = self._with_feelings(call, key, [(kind, cue.trigger)])
        self._calls[call_id] = call
        self._touch(call_id)
        return call

    def hand(self, call_id: str, hand: Hand | None) -> LiveCall | None:
        """The call's agent raised (or lowered, None) a hand."""
        call = self._calls.get(call_id)
        if call is None:
            return None
        call = replace(call, info=msgspec.structs.replace(call.info, hand=hand))
        self._calls[call_id] = call
        self._touch(call_id)
        return call

    def whisper_sent(self, call_id: str | None, at: float | None = None) -> None:
        call = self._calls.get(call_id or "")
        if call is not None:
            self._calls[call.call_id] = replace(call, last_whisper_at=at if at is not None else self.clock())

    def replace_members(self, users: Iterable[Presence], asked_at: int | None = None) -> None:
        asked_at = self._version if asked_at is None else asked_at
        newer = {n: m for n, m in self._members.items() if self._member_versions.get(n, -1) > asked_at}
        self._members = {}
        self._read_members(users)
        self._members.update(newer)

    def update_members(self, users: Iterable[Presence]) -> None:
        for name in self._read_members(users):
            self._version += 1
            self._member_versions[name] = self._version

    def _read_members(self, users: Iterable[Presence]) -> list[str]:
        names = []
        for user in users:
            name = user.user
            if not name:
                continue
            call = user.call
            self._members[name] = TeamMember(
                name=name,
                role=user.role,
                online=user.online,
                online_since=user.online_since,
                call_id=None if call is None else call.call_id,
                call_since=None if call is None else call.since,
            )
            names.append(name)
        return names

    # -- reading -------------------------------------------------------------------------------------------

    def call(self, call_id: str) -> LiveCall | None:
        return self._calls.get(call_id)

    def attention(self, call: LiveCall, now: float | None = None) -> tuple[Attention, ...]:
        now = self.clock() if now is None else now
        reasons: list[Attention] = []
        if call.hand is not None:
            reasons.append(Attention.HAND_RAISED)
        if call.frustration is Frustration.STRONG:
            reasons.append(Attention.STRONG_FRUSTRATION)
        if call.silence(now) >= self.rules.long_silence_seconds:
            reasons.append(Attention.LONG_SILENCE)
        if call.duration(now) >= self.rules.long_call_seconds:
            reasons.append(Attention.LONG_CALL)
        if call.info.needs_moment:
            reasons.append(Attention.NEEDS_MOMENT)
        return tuple(reasons)

    def calls(self, now: float | None = None) -> list[LiveCall]:
        """Raised hands first (the longest waiting and unanswered on top), then calls needing attention (the
        more reasons, the higher), then the longest running."""
        now = self.clock() if now is None else now

        def order(call: LiveCall) -> tuple[int, bool | int, float, str]:
            hand = call.hand
            if hand is not None:
                return (0, call.hand_answered, hand.raised_at, call.call_id)
            return (1, -len(self.attention(call, now)), call.started_at, call.call_id)

        return sorted(self._calls.values(), key=order)

    def agents(self) -> list[TeamMember]:
        """Agents online, idle ones first (they can take the next call), then by name."""
        online = [m for m in self._members.values() if m.online and m.role == "agent"]
        return sorted(online, key=lambda m: (not m.idle, m.name))

    # -- internals -----------------------------------------------------------------------------------------

    def _from_row(self, row: Call, known: LiveCall | None) -> LiveCall | None:
        call_id = row.call_id
        if not call_id or row.ended_at is not None:
            return None
        base = known or LiveCall(call_id=call_id, agent=row.agent, last_activity_at=self.clock())
        call = replace(
            base,
            agent=row.agent or base.agent,
            customer=row.customer if row.customer is not None else base.customer,
            started_at=row.started_at or self.clock(),
            last_line=base.last_line or row.last_final,
            last_whisper_at=row.last_whisper_at or base.last_whisper_at,
        )
        if row.info != CallInfo():
            self._calls[call_id] = call
            return self.call_info(call_id, row.info)
        return call

    def _with_feelings(self, call: LiveCall, key: str, feelings: list[tuple[CueKind, str]]) -> LiveCall:
        upset = [
            (kind, trigger) for kind, trigger in feelings if kind in (CueKind.ANGER, CueKind.FRUSTRATION)
        ]
        if not upset:
            return call
        segments = call.frustrated_segments | {key}
        words = call.frustration_words + tuple(t for _, t in upset if t and t not in call.frustration_words)
        angry = any(kind == CueKind.ANGER for kind, _ in upset)
        repeated = len(segments) >= self.rules.frustrated_lines_for_strong
        level = (
            Frustration.STRONG
            if angry or repeated or call.frustration is Frustration.STRONG
            else Frustration.SOME
        )
        return replace(call, frustration=level, frustration_words=words[-5:], frustrated_segments=segments)
