"""What a team lead wants to know about the calls: volume over time by tag, topic and disposition, average
handle time, which knowledge entries are shown and which are actually used, and how often customers sound
frustrated. Plain numbers from the store (the desktop draws the charts) plus a CSV for Excel.

Why "topic" is separate from "tag": tags are what the agent chose at wrap-up; the topic is the call's main
issue as the wrap-up named it (assist.wrapup: the first issue the customer raised, by its knowledge entry's
title when one fits), else the title of the knowledge entry the agent used during the call (or the most shown
one). Calls without any are counted under "" (the desktop labels it). Per-agent conversation dynamics (talk
share, overlaps, silences, rate) come from assist.dynamics.

Per-agent rows never use "" (that is "everyone"): calls saved without an agent (before the desk recorded it)
are grouped under NO_AGENT, so a report never shows two "all agents" lines.

Supervisor whispers, per agent (``advice``): how many the agent got, the share they marked read, and the share
whose advice they followed. "Followed" is the self-review scorecard's test (assist.scorecard): after the line
the whisper points at (or from the start), a later line of the agent's takes up the whisper's own words (two
of them when it has more than two; words said before the whisper and generic ones do not count). It is a
words-based sign that the advice was acted on, not proof: a paraphrase is missed, and it is counted only over
calls whose wrap-up was saved (they have a scorecard).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from assist.dynamics import ensure_dynamics_schema
from assist.history import CallFilter, filter_sql
from assist.spreadsheet import SafeWriter
from assist.store import Store

FRUSTRATION_KINDS = ("frustration", "anger", "anxiety")
NO_AGENT = "(no agent)"  # the per-agent key of calls saved without one
_AGENT = f"CASE WHEN c.agent = '' THEN '{NO_AGENT}' ELSE c.agent END"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"  # labelled by its Monday


class Dimension(StrEnum):
    NONE = "none"
    TAG = "tag"
    TOPIC = "topic"
    DISPOSITION = "disposition"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class PeriodCount:
    period: str  # YYYY-MM-DD (the day, or the Monday of the week)
    key: str  # the tag, topic, disposition or agent ("" when none)
    calls: int


@dataclass(frozen=True, slots=True)
class HandleTime:
    key: str  # agent, or "" for everyone
    calls: int
    average_seconds: float


@dataclass(frozen=True, slots=True)
class KnowledgeUsage:
    entry_id: str
    title: str
    shown: int
    used: int

    @property
    def use_rate(self) -> float:
        return self.used / self.shown if self.shown else 0.0


@dataclass(frozen=True, slots=True)
class FrustrationShare:
    calls: int
    calls_with_cues: int

    @property
    def share(self) -> float:
        return self.calls_with_cues / self.calls if self.calls else 0.0


@dataclass(frozen=True, slots=True)
class AgentDynamics:
    """An agent's conversations on average (assist.dynamics), per speech-rate unit (Japanese and English calls
    are not averaged together: morae per second and words per minute do not mix)."""

    agent: str
    rate_unit: str
    calls: int
    agent_share: float
    overlaps_per_call: float
    silences_per_call: float
    dead_air_seconds: float
    longest_monologue_seconds: float
    agent_rate: float


@dataclass(frozen=True, slots=True)
class WhisperAdvice:
    """Supervisor whispers an agent received ("" for everyone) and what became of them (see the module
    doc)."""

    agent: str
    whispers: int
    read: int
    scored: int  # whispers of calls with a self-review scorecard (the base of ``followed``)
    followed: int

    @property
    def read_share(self) -> float:
        return self.read / self.whispers if self.whispers else 0.0

    @property
    def followed_share(self) -> float:
        return self.followed / self.scored if self.scored else 0.0


@dataclass(frozen=True, slots=True)
class Insights:
    volume: tuple[PeriodCount, ...]
    handle_time: tuple[HandleTime, ...]
    knowledge: tuple[KnowledgeUsage, ...]
    frustration: FrustrationShare
    period: Period
    dimension: Dimension
    dynamics: tuple[AgentDynamics, ...] = ()
    review: tuple[ReviewTrend, ...] = ()
    advice: tuple[WhisperAdvice, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "period": self.period.value,
            "dimension": self.dimension.value,
            "volume": [{"period": v.period, "key": v.key, "calls": v.calls} for v in self.volume],
            "handle_time": [
                {"agent": h.key, "calls": h.calls, "average_seconds": round(h.average_seconds, 1)}
                for h in self.handle_time
            ],
            "whisper_advice": [
                {
                    "agent": a.agent,
                    "whispers": a.whispers,
                    "read": a.read,
                    "read_share": round(a.read_share, 3),
                    "scored": a.scored,
                    "followed": a.followed,
                    "followed_share": round(a.followed_share, 3),
                }
                for a in self.advice
            ],
            "knowledge": [
                {
                    "entry_id": k.entry_id,
                    "title": k.title,
                    "shown": k.shown,
                    "used": k.used,
                    "use_rate": round(k.use_rate, 3),
                }
                for k in self.knowledge
            ],
            "frustration": {
                "calls": self.frustration.calls,
                "calls_with_cues": self.frustration.calls_with_cues,
                "share": round(self.frustration.share, 3),
            },
            "dynamics": [
                {
                    "agent": d.agent,
                    "rate_unit": d.rate_unit,
                    "calls": d.calls,
                    "agent_share": round(d.agent_share, 3),
                    "overlaps_per_call": round(d.overlaps_per_call, 2),
                    "silences_per_call": round(d.silences_per_call, 2),
                    "dead_air_seconds": round(d.dead_air_seconds, 1),
                    "longest_monologue_seconds": round(d.longest_monologue_seconds, 1),
                    "agent_rate": round(d.agent_rate, 1),
                }
                for d in self.dynamics
            ],
            "review": [
                {
                    "period": r.period,
                    "calls": r.calls,
                    "summary_back": round(r.summary_back, 3),
                    "empathy_answered": round(r.empathy_answered, 3),
                    "advice_followed": round(r.advice_followed, 3),
                    "promises_logged": round(r.promises_logged, 3),
                    "thanked": round(r.thanked, 3),
                    "agent_share": round(r.agent_share, 3),
                }
                for r in self.review
            ],
        }


def _where(call_filter: CallFilter | None) -> tuple[str, list[object]]:
    where, params = filter_sql(call_filter or CallFilter())
    return ("WHERE " + where if where else ""), params


# Whole seconds (julianday's floating point would turn 600 s into 600.0000045).
_DURATION = "(CAST(strftime('%s', c.ended_at) AS REAL) - CAST(strftime('%s', c.started_at) AS REAL))"


def _period_sql(period: Period) -> str:
    if period is Period.DAY:
        return "date(c.started_at)"
    # SQLite: 'weekday 1' moves forward to the next Monday, so step back six days first.
    return "date(c.started_at, '-6 days', 'weekday 1')"


def _topic_sql() -> str:
    # The call's main issue from its wrap-up (assist.wrapup), else the title of the entry used in the call,
    # else of the one shown most; ties broken by id for stable charts.
    return (
        "COALESCE((SELECT NULLIF(w.main_issue, '') FROM call_wrapups w WHERE w.call_id = c.id), "
        "(SELECT COALESCE(NULLIF(k.title, ''), f.target_id) FROM suggestion_feedback f "
        "LEFT JOIN knowledge k ON k.id = f.target_id WHERE f.call_id = c.id AND f.kind = 'knowledge' "
        "AND f.action IN ('shown', 'used') GROUP BY f.target_id "
        "ORDER BY SUM(f.action = 'used') DESC, COUNT(*) DESC, f.target_id LIMIT 1), '')"
    )


def call_volume(
    store: Store,
    period: Period = Period.DAY,
    by: Dimension = Dimension.NONE,
    call_filter: CallFilter | None = None,
) -> list[PeriodCount]:
    where, params = _where(call_filter)
    when = _period_sql(period)
    if by is Dimension.TAG:
        # A call with two tags counts once under each; a call without tags under "".
        sql = (
            f"SELECT {when} AS p, COALESCE(t.value, '') AS k, COUNT(*) FROM calls c "
            f"LEFT JOIN json_each(c.tags) t {where} GROUP BY p, k ORDER BY p, k"
        )
    else:
        ensure_dynamics_schema(store)
        key = {
            Dimension.NONE: "''",
            Dimension.DISPOSITION: "c.disposition",
            Dimension.AGENT: _AGENT,
            Dimension.TOPIC: _topic_sql(),
        }[by]
        sql = f"SELECT {when} AS p, {key} AS k, COUNT(*) FROM calls c {where} GROUP BY p, k ORDER BY p, k"
    return [
        PeriodCount(r[0] or "", r[1] or "", int(r[2]))
        for r in store.conn.execute(sql, params)
        if r[0] is not None
    ]


def handle_times(store: Store, call_filter: CallFilter | None = None) -> list[HandleTime]:
    """Average handle time overall ("" first) and per agent, over calls with a start and an end."""
    where, params = _where(call_filter)
    cond = f"{where} {'AND' if where else 'WHERE'} c.ended_at != '' AND {_DURATION} >= 0"
    overall = store.conn.execute(f"SELECT COUNT(*), AVG({_DURATION}) FROM calls c {cond}", params).fetchone()
    result = [HandleTime("", int(overall[0]), float(overall[1] or 0.0))]
    for agent, count, avg in store.conn.execute(
        f"SELECT {_AGENT} AS a, COUNT(*), AVG({_DURATION}) FROM calls c {cond} GROUP BY a ORDER BY a",
        params,
    ):
        result.append(HandleTime(agent, int(count), float(avg or 0.0)))
    return result


def knowledge_usage(
    store: Store, limit: int = 20, call_filter: CallFilter | None = None
) -> list[KnowledgeUsage]:
    """Knowledge entries by how often agents used them, then by how often they were shown."""
    where, params = _where(call_filter)
    rows = store.conn.execute(
        f"""SELECT f.target_id, COALESCE(k.title, ''), SUM(f.action = 'shown'), SUM(f.action = 'used')
            FROM suggestion_feedback f JOIN calls c ON c.id = f.call_id LEFT JOIN knowledge k
            ON k.id = f.target_id
            {where} {"AND" if where else "WHERE"} f.kind = 'knowledge'
            GROUP BY f.target_id ORDER BY 4 DESC, 3 DESC, f.target_id LIMIT ?""",
        (*params, limit),
    )
    return [KnowledgeUsage(r[0], r[1], int(r[2] or 0), int(r[3] or 0)) for r in rows]


def frustration_share(store: Store, call_filter: CallFilter | None = None) -> FrustrationShare:
    where, params = _where(call_filter)
    marks = ",".join("?" * len(FRUSTRATION_KINDS))
    row = store.conn.execute(
        f"SELECT COUNT(*), SUM(EXISTS (SELECT 1 FROM call_cues q WHERE q.call_id = c.id AND q.kind IN "
        f"({marks}))) FROM calls c {where}",
        (*FRUSTRATION_KINDS, *params),
    ).fetchone()
    return FrustrationShare(int(row[0]), int(row[1] or 0))


def agent_dynamics(store: Store, call_filter: CallFilter | None = None) -> list[AgentDynamics]:
    """Per agent (and speech-rate unit) averages of the measured calls; "" (everyone) first."""
    ensure_dynamics_schema(store)
    where, params = _where(call_filter)
    figures = (
        "COUNT(*), AVG(d.agent_share), AVG(d.overlaps), AVG(d.silences), AVG(d.dead_air_seconds), "
        "AVG(d.agent_longest_monologue_seconds), AVG(d.agent_rate)"
    )
    source = f"FROM calls c JOIN call_dynamics d ON d.call_id = c.id {where}"
    rows = [
        ("", *r)
        for r in store.conn.execute(
            f"SELECT d.rate_unit, {figures} {source} GROUP BY d.rate_unit ORDER BY d.rate_unit", params
        )
    ]
    rows += list(
        store.conn.execute(
            f"SELECT {_AGENT} AS a, d.rate_unit, {figures} {source} GROUP BY a, d.rate_unit "
            "ORDER BY a, d.rate_unit",
            params,
        )
    )
    return [
        AgentDynamics(str(r[0]), str(r[1]), int(r[2]), *(float(x or 0.0) for x in r[3:]))
        for r in rows
        if int(r[2])
    ]


@dataclass(frozen=True, slots=True)
class ReviewTrend:
    """The team's self-review scorecards over one period (assist.scorecard): shares of calls, 0..1."""

    period: str
    calls: int
    summary_back: float  # calls where the agent summarised the issue back
    empathy_answered: float  # upset moments answered with an empathy phrase (of calls that had any)
    advice_followed: float  # whispers whose advice the agent took up (of calls that had any)
    promises_logged: float  # promises with a follow-up saved (of calls that made any)
    thanked: float
    agent_share: float  # average share of talking time that was the agent's


def review_trends(
    store: Store, period: Period = Period.WEEK, call_filter: CallFilter | None = None
) -> list[ReviewTrend]:
    ensure_dynamics_schema(store)
    where, params = _where(call_filter)
    card = "json_extract(w.scorecard, '$.{}')".format

    def ratio(done: str, total: str) -> str:
        return f"CAST(SUM({card(done)}) AS REAL) / NULLIF(SUM({card(total)}), 0)"

    sql = (
        f"SELECT {_period_sql(period)} AS p, COUNT(*), AVG({card('summary_back')}), "
        f"{ratio('upset_answered', 'upset_moments')}, {ratio('whispers_followed', 'whispers')}, "
        f"{ratio('promises_logged', 'promises')}, AVG({card('thanked')}), AVG(d.agent_share) "
        f"FROM calls c JOIN call_wrapups w ON w.call_id = c.id AND w.scorecard NOT IN ('', '{{}}') "
        f"LEFT JOIN call_dynamics d ON d.call_id = c.id {where} GROUP BY p ORDER BY p"
    )
    return [
        ReviewTrend(str(r[0]), int(r[1]), *(float(x) if x is not None else 0.0 for x in r[2:]))
        for r in store.conn.execute(sql, params)
        if r[0] is not None
    ]


def whisper_advice(store: Store, call_filter: CallFilter | None = None) -> list[WhisperAdvice]:
    """Whispers per agent, everyone ("") first: received, read, and followed (over calls with a scorecard)."""
    ensure_dynamics_schema(store)
    where, params = _where(call_filter)
    per_call = (
        f"SELECT c.id, {_AGENT} AS a, COUNT(w.id) AS n, COUNT(w.read_at) AS r, "
        "(SELECT json_extract(s.scorecard, '$.whispers_followed') FROM call_wrapups s "
        "WHERE s.call_id = c.id AND s.scorecard NOT IN ('', '{}')) AS f "
        f"FROM calls c JOIN whispers w ON w.call_id = c.id {where} GROUP BY c.id"
    )
    totals = "SUM(n), SUM(r), SUM(CASE WHEN f IS NULL THEN 0 ELSE n END), SUM(COALESCE(f, 0))"
    rows = [("", *r) for r in store.conn.execute(f"SELECT {totals} FROM ({per_call})", params)]
    rows += list(store.conn.execute(f"SELECT a, {totals} FROM ({per_call}) GROUP BY a ORDER BY a", params))
    return [WhisperAdvice(str(r[0]), *(int(x or 0) for x in r[1:])) for r in rows if r[1]]


def insights(
    store: Store,
    period: Period = Period.WEEK,
    by: Dimension = Dimension.TAG,
    call_filter: CallFilter | None = None,
) -> Insights:
    return Insights(
        tuple(call_volume(store, period, by, call_filter)),
        tuple(handle_times(store, call_filter)),
        tuple(knowledge_usage(store, call_filter=call_filter)),
        frustration_share(store, call_filter),
        period,
        by,
        tuple(agent_dynamics(store, call_filter)),
        tuple(review_trends(store, period, call_filter)),
        tuple(whisper_advice(store, call_filter)),
    )


def write_insights_csv(data: Insights, target: Path) -> None:
    """One CSV (UTF-8 with BOM, for Excel) with a section column, so one file carries every figure."""
    with target.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = SafeWriter(fh)  # tags, agents and knowledge titles are typed by people: never a formula
        writer.writerow(["section", "period", "key", "value", "extra"])
        for v in data.volume:
            writer.writerow(
                [f"calls_per_{data.period.value}_by_{data.dimension.value}", v.period, v.key, v.calls, ""]
            )
        for h in data.handle_time:
            writer.writerow(["average_handle_seconds", "", h.key, f"{h.average_seconds:.1f}", h.calls])
        for k in data.knowledge:
            writer.writerow(["knowledge_used", "", k.entry_id, k.used, k.title])
            writer.writerow(["knowledge_shown", "", k.entry_id, k.shown, k.title])
        f = data.frustration
        writer.writerow(["frustration_share", "", "", f"{f.share:.3f}", f"{f.calls_with_cues}/{f.calls}"])
        for d in data.dynamics:
            for name, value in (
                ("agent_share", f"{d.agent_share:.3f}"),
                ("overlaps_per_call", f"{d.overlaps_per_call:.2f}"),
                ("silences_per_call", f"{d.silences_per_call:.2f}"),
                ("dead_air_seconds", f"{d.dead_air_seconds:.1f}"),
                ("longest_monologue_seconds", f"{d.longest_monologue_seconds:.1f}"),
                (f"agent_rate_{d.rate_unit.replace('/', '_per_')}", f"{d.agent_rate:.1f}"),
            ):
                writer.writerow([f"dynamics_{name}", "", d.agent, value, d.calls])
        for r in data.review:
            for name, share in (
                ("summary_back", r.summary_back),
                ("empathy_answered", r.empathy_answered),
                ("advice_followed", r.advice_followed),
                ("promises_logged", r.promises_logged),
                ("thanked", r.thanked),
            ):
                writer.writerow([f"review_{name}", r.period, "", f"{share:.3f}", r.calls])
        for a in data.advice:
            writer.writerow(["whispers_received", "", a.agent, a.whispers, ""])
            writer.writerow(["whispers_read_share", "", a.agent, f"{a.read_share:.3f}", a.whispers])
            writer.writerow(["whispers_followed_share", "", a.agent, f"{a.followed_share:.3f}", a.scored])
