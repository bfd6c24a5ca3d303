"""Finding past calls: the call list with filters, and full-text search across what was said and written.

Why this module exists: an agent needs to find "what that customer said last month" and a lead "every call
about 解約" in seconds, over a team's whole history. The store already indexes transcript lines, call
summaries and notes as analysed terms (``assist.text``); this module turns what a person types into the same
terms, queries the three indexes, and marks where in the original text each hit matched, so the screen can
highlight the words (in Japanese, where there are no spaces, as well as in English, where "cancelled"
matched "cancel").

Search order is newest first rather than by relevance: people search history for a recent conversation, and
walking the index from the newest row lets SQLite stop after one page even when a word occurs in a million
lines (see tests/bench/bench_search.py for the figures).

Japanese query text without spaces is matched as a phrase (its character bigrams must be adjacent, so 請求書
does not match a line that merely holds 請求 and 書類 somewhere); when the phrase finds nothing the search
falls back to all terms anywhere in the line. Words separated by spaces must all occur (AND).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from assist.domain import CallRecord, Segment
from assist.store import Store
from assist.text import (
    Analyzer,
    fts_token,
    number_variants,
    sound_alike,
    spellings,
    stem,
    strip_fillers,
    terms,
)

Span = tuple[int, int]


class HitKind(StrEnum):
    TRANSCRIPT = "transcript"
    SUMMARY = "summary"
    NOTE = "note"


ALL_KINDS = frozenset(HitKind)


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Which calls to list (or to search in). Dates are ISO dates or times compared with ``started_at``:
    ``since`` inclusive, ``until`` exclusive (a bare date means that whole day is included)."""

    customer_id: str | None = None
    agent: str | None = None
    since: str | None = None
    until: str | None = None
    tag: str | None = None
    disposition: str | None = None
    language: str | None = None

    @property
    def empty(self) -> bool:
        return not any(
            (self.customer_id, self.agent, self.since, self.until, self.tag, self.disposition, self.language)
        )


@dataclass(frozen=True, slots=True)
class CallListItem:
    """One row of the history list."""

    call: CallRecord
    customer_name: str
    duration_seconds: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            **self.call.to_dict(),
            "customer_name": self.customer_name,
            "duration_seconds": self.duration_seconds,
        }


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    kinds: frozenset[HitKind] = ALL_KINDS
    filter: CallFilter = field(default_factory=CallFilter)
    limit: int = 50  # per kind


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A line, summary or note that matched, with the character spans of ``text`` to highlight."""

    kind: HitKind
    text: str
    spans: tuple[Span, ...]
    call_id: str | None = None
    customer_id: str | None = None
    ref_id: str = ""  # segment id or note id
    channel: str = ""
    start: float | None = None
    at: str = ""  # when the call started, or when the note was written

    def marked(self, before: str = "[", after: str = "]") -> str:
        return mark(self.text, self.spans, before, after)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "call_id": self.call_id,
            "customer_id": self.customer_id,
            "ref_id": self.ref_id,
            "channel": self.channel,
            "start": self.start,
            "at": self.at,
            "text": self.text,
            "spans": [list(s) for s in self.spans],
            "marked": self.marked(),
        }


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    terms: tuple[str, ...]
    hits: tuple[SearchHit, ...]

    def of_kind(self, kind: HitKind) -> list[SearchHit]:
        return [h for h in self.hits if h.kind is kind]

    def call_ids(self) -> list[str]:
        """Calls with any hit, in the order found (newest first), each once."""
        return list(dict.fromkeys(h.call_id for h in self.hits if h.call_id))

    def to_dict(self) -> dict[str, object]:
        return {"query": self.query, "terms": list(self.terms), "hits": [h.to_dict() for h in self.hits]}


# --- match expressions ------------------------------------------------------------------------------------


def _quote(term: str) -> str:
    return '"' + fts_token(term).replace('"', '""') + '"'


def _substring_safe(term: str, analyzer: Analyzer) -> bool:
    # With the bigram analyser a Japanese line is indexed as the bigrams of each run plus some whole words
    # (katakana loanwords). A query that is part of a longer word (ショッピング in ショッピングセンター)
    # shares the bigrams but not the whole word, so only bigrams (and English words) are required.
    return analyzer is not Analyzer.BIGRAM or term.isascii() or len(term) <= 2


def english_variants(term: str) -> list[str]:
    """The stems an English word's inflections are indexed under. The stemmer is light and not always
    symmetric ("charge" stays, "charges"/"charged" become "charg"), so a query word looks for all of them."""
    if not (term.isascii() and term.isalpha()):
        return [term]
    forms = (term, term + "e", term + "s", term + "es", term + "ed", term + "ing")
    return list(dict.fromkeys([term, *(stem(f) for f in forms)]))


def _any_of(term: str) -> str:
    variants = english_variants(term)
    if len(variants) == 1:
        return _quote(term)
    return "(" + " OR ".join(_quote(v) for v in variants) + ")"


def query_terms(text: str, analyzer: Analyzer) -> list[str]:
    """The terms a line must hold to match ``text``."""
    return [t for t in dict.fromkeys(terms(text, analyzer)) if _substring_safe(t, analyzer)]


def match_expressions(
    text: str, analyzer: Analyzer, spellings: dict[str, list[str]] | None = None
) -> list[str]:
    """FTS5 MATCH expressions to try in order: the strict one (each space-separated chunk as a phrase, all
    chunks required), then the loose one (every term required anywhere). Empty when nothing is searchable.
    Each expression accepts every way of writing the query that sounds the same (料金, りょうきん, リョウキン;
    see ``sound_alike``) and every usual way of writing a phone number (``number_variants``)."""
    variants = [v for n in number_variants(text) for v in sound_alike(n, spellings)]
    each = [e for e in (_expressions_of(v, analyzer) for v in variants) if e]
    if len(each) <= 1:
        return each[0] if each else []
    strict = " OR ".join(f"({e[0]})" for e in each)
    loose = " OR ".join(f"({e[-1]})" for e in each)
    return [strict] if strict == loose else [strict, loose]


def _expressions_of(text: str, analyzer: Analyzer) -> list[str]:
    """match_expressions for one way of writing the query."""
    chunks = [c for c in re.split(r"\s+", strip_fillers(text)) if c]
    strict_parts: list[str] = []
    for chunk in chunks:
        chunk_terms = [t for t in terms(chunk, analyzer) if _substring_safe(t, analyzer)]
        if not chunk_terms:
            continue
        if len(chunk_terms) == 1 or analyzer is not Analyzer.BIGRAM:
            strict_parts.extend(_any_of(t) for t in dict.fromkeys(chunk_terms))
        else:
            # FTS5 phrase: the terms adjacent and in order, as the bigrams of a contiguous run are.
            strict_parts.append(" + ".join(_quote(t) for t in chunk_terms))
    if not strict_parts:
        return []
    loose = " AND ".join(_any_of(t) for t in query_terms(text, analyzer))
    strict = " AND ".join(strict_parts)
    return [strict] if strict == loose else [strict, loose]


# --- highlighting -----------------------------------------------------------------------------------------


def _normalized_with_map(text: str) -> tuple[str, list[int]]:
    # Normalise character by character (as assist.text.normalize does for the whole string) and remember
    # which original character each normalised one came from, so spans point into the text shown.
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        norm = unicodedata.normalize("NFKC", ch).lower().replace("〜", "ー").replace("~", "ー")
        out.append(norm)
        origin.extend([i] * len(norm))
    return "".join(out), origin


_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def highlight_spans(text: str, wanted: Iterable[str]) -> tuple[Span, ...]:
    """Where in ``text`` the search terms occur: Japanese terms as substrings, English words whose stem is
    a term. Overlapping and touching spans are merged (請求 + 求書 -> 請求書)."""
    wanted = [t for t in wanted if t and not t.startswith("~")]
    if not wanted or not text:
        return ()
    norm, origin = _normalized_with_map(text)
    found: list[Span] = []
    ascii_terms = {t for t in wanted if t.isascii()}
    for term in wanted:
        if term.isascii():
            continue
        start = norm.find(term)
        while start >= 0:
            found.append((origin[start], origin[start + len(term) - 1] + 1))
            start = norm.find(term, start + 1)
    if ascii_terms:
        for m in _WORD.finditer(norm):
            word = m.group(0).replace("’", "'").split("'")[0]
            if word in ascii_terms or stem(word) in ascii_terms:
                found.append((origin[m.start()], origin[m.start() + len(word) - 1] + 1))
    found.sort()
    merged: list[Span] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def mark(text: str, spans: Sequence[Span], before: str = "[", after: str = "]") -> str:
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], before, text[start:end], after]
        last = end
    parts.append(text[last:])
    return "".join(parts)


# --- the history ------------------------------------------------------------------------------------------

_CALL_COLS = (
    "c.id, c.customer_id, c.agent, c.started_at, c.ended_at, c.language, c.disposition, c.summary, "
    "c.tags, c.next_action"
)


def _until_bound(until: str) -> str:
    # A bare date means "up to and including that day": compare against the next character after the date.
    return until + "T99" if len(until) == 10 else until


def filter_sql(f: CallFilter) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if f.customer_id:
        clauses.append("c.customer_id = ?")
        params.append(f.customer_id)
    if f.agent:
        clauses.append("c.agent = ?")
        params.append(f.agent)
    if f.since:
        clauses.append("c.started_at >= ?")
        params.append(f.since)
    if f.until:
        clauses.append("c.started_at < ?")
        params.append(_until_bound(f.until))
    if f.disposition:
        clauses.append("c.disposition = ?")
        params.append(f.disposition)
    if f.language:
        clauses.append("c.language = ?")
        params.append(f.language)
    if f.tag:
        clauses.append("EXISTS (SELECT 1 FROM json_each(c.tags) WHERE json_each.value = ?)")
        params.append(f.tag)
    return " AND ".join(clauses), params


def _duration(started: str, ended: str) -> float | None:
    from datetime import datetime

    try:
        return (datetime.fromisoformat(ended) - datetime.fromisoformat(started)).total_seconds()
    except (TypeError, ValueError):
        return None


class CallHistory:
    """The call list and search over one store."""

    def __init__(self, store: Store) -> None:
        from assist.review_schema import ensure_review_schema

        self.store = store
        ensure_review_schema(store)  # once per store; building its index on a big store takes seconds
        self._spellings: dict[str, list[str]] | None = None

    SPELLING_SOURCES = 3000  # knowledge entries whose words teach search how kana is written in kanji

    def spellings(self) -> dict[str, list[str]]:
        """How words heard in calls are written, by reading: from the support word list and the knowledge
        base's titles, aliases and tags (the first SPELLING_SOURCES entries), built once per history."""
        if self._spellings is None:
            from assist.domain_words import support_words

            texts = list(support_words())
            for title, aliases, tags in self.store.conn.execute(
                "SELECT title, aliases, tags FROM knowledge LIMIT ?", (self.SPELLING_SOURCES,)
            ):
                texts.append(str(title))
                texts += [str(a) for a in json.loads(aliases or "[]")] + [
                    str(t) for t in json.loads(tags or "[]")
                ]
            self._spellings = spellings(texts)
        return self._spellings

    def calls(
        self, call_filter: CallFilter | None = None, limit: int = 200, offset: int = 0
    ) -> list[CallListItem]:
        """Calls newest first, narrowed by ``call_filter``."""
        where, params = filter_sql(call_filter or CallFilter())
        rows = self.store.conn.execute(
            f"SELECT {_CALL_COLS}, COALESCE(cu.name, '') FROM calls c LEFT JOIN customers cu ON cu.id = "
            f"c.customer_id {'WHERE ' + where if where else ''} ORDER BY c.started_at DESC, c.rowid DESC "
            "LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [CallListItem(Store._call(r[:10]), r[10], _duration(r[3], r[4])) for r in rows]

    def tags(self) -> list[str]:
        """Every tag used on a call, for the filter menu."""
        return [
            r[0]
            for r in self.store.conn.execute(
                "SELECT DISTINCT json_each.value FROM calls, json_each(calls.tags) ORDER BY 1"
            )
        ]

    def agents(self) -> list[str]:
        return [
            r[0]
            for r in self.store.conn.execute(
                "SELECT DISTINCT agent FROM calls WHERE agent != '' ORDER BY agent"
            )
        ]

    def search(self, query: SearchQuery) -> SearchResults:
        analyzer = self.store.analyzer
        # For highlighting: whole words too, and every English inflection searched for.
        spelled = self.spellings()
        written = [w for n in number_variants(query.text) for w in sound_alike(n, spelled)]
        wanted = list(
            dict.fromkeys(v for w in written for t in terms(w, analyzer) for v in english_variants(t))
        )
        expressions = match_expressions(query.text, analyzer, spelled)
        if not expressions:
            return SearchResults(query.text, tuple(wanted), ())
        hits: list[SearchHit] = []
        for kind, finder in (
            (HitKind.TRANSCRIPT, self._segments),
            (HitKind.SUMMARY, self._summaries),
            (HitKind.NOTE, self._notes),
        ):
            if kind not in query.kinds:
                continue
            if kind is HitKind.NOTE and not self._notes_apply(query.filter):
                continue
            for expression in expressions:
                found = finder(expression, query.filter, query.limit, wanted)
                if found:
                    hits.extend(found)
                    break
        return SearchResults(query.text, tuple(wanted), tuple(hits))

    @staticmethod
    def _notes_apply(f: CallFilter) -> bool:
        # Notes belong to customers, not calls: only a customer filter can narrow them.
        return not any((f.agent, f.since, f.until, f.tag, f.disposition, f.language))

    def _segments(self, match: str, f: CallFilter, limit: int, wanted: list[str]) -> list[SearchHit]:
        where, params = filter_sql(f)
        conn = self.store.conn
        if not where:
            # Newest lines first straight from the index, so a common word stops after one page.
            rows = conn.execute(
                "SELECT s.call_id, s.segment_id, s.channel, s.start, s.text, c.customer_id, c.started_at "
                "FROM (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? ORDER BY rowid DESC LIMIT "
                "?) m JOIN segments s ON s.rowid = m.rowid LEFT JOIN calls c ON c.id = s.call_id "
                "ORDER BY s.rowid DESC",
                (match, limit),
            ).fetchall()
        elif f.customer_id and not any((f.agent, f.tag)):
            # One customer's calls are few: list their lines' rowids by call, then match within them.
            rows = conn.execute(
                "SELECT s.call_id, s.segment_id, s.channel, s.start, s.text, c.customer_id, c.started_at "
                "FROM calls c CROSS JOIN segments s ON s.call_id = c.id "
                "CROSS JOIN segments_fts f ON f.rowid = s.rowid "
                f"WHERE {where} AND f.segments_fts MATCH ? "
                "ORDER BY c.started_at DESC, s.start LIMIT ?",
                (*params, match, limit),
            ).fetchall()
        else:
            low, high = -1, 2**63 - 1
            if f.since or f.until:
                # Lines are stored as calls happen, so a date range covers a narrow band of rowids: bound the
                # index walk by the lowest and highest line of the calls in range (exact, whatever the order).
                date_where, date_params = filter_sql(CallFilter(since=f.since, until=f.until))
                bounds = conn.execute(
                    "SELECT MIN((SELECT MIN(rowid) FROM segments INDEXED BY review_segments_call "
                    "WHERE call_id = c.id)), MAX((SELECT MAX(rowid) FROM segments INDEXED BY "
                    f"review_segments_call WHERE call_id = c.id)) FROM calls c WHERE {date_where}",
                    date_params,
                ).fetchone()
                if bounds[0] is None:
                    return []
                low, high = int(bounds[0]), int(bounds[1])
            rows = conn.execute(
                "SELECT s.call_id, s.segment_id, s.channel, s.start, s.text, c.customer_id, c.started_at "
                "FROM segments_fts JOIN segments s ON s.rowid = segments_fts.rowid JOIN calls c ON c.id = "
                f"s.call_id WHERE segments_fts MATCH ? AND segments_fts.rowid BETWEEN ? AND ? AND {where} "
                "ORDER BY segments_fts.rowid DESC LIMIT ?",
                (match, low, high, *params, limit),
            ).fetchall()
        return [
            SearchHit(
                HitKind.TRANSCRIPT,
                r[4],
                highlight_spans(r[4], wanted),
                call_id=r[0],
                customer_id=r[5],
                ref_id=r[1],
                channel=r[2],
                start=float(r[3]),
                at=r[6] or "",
            )
            for r in rows
        ]

    def _summaries(self, match: str, f: CallFilter, limit: int, wanted: list[str]) -> list[SearchHit]:
        where, params = filter_sql(f)
        rows = self.store.conn.execute(
            "SELECT c.id, c.customer_id, c.started_at, c.summary, c.next_action, c.tags FROM calls_fts "
            "JOIN calls c ON c.rowid = calls_fts.rowid "
            f"WHERE calls_fts MATCH ? {'AND ' + where if where else ''} ORDER BY calls_fts.rowid DESC "
            "LIMIT ?",
            (match, *params, limit),
        ).fetchall()
        hits = []
        for r in rows:
            text = r[3]
            if r[4]:
                text = f"{text}\n{r[4]}" if text else r[4]
            hits.append(
                SearchHit(
                    HitKind.SUMMARY,
                    text,
                    highlight_spans(text, wanted),
                    call_id=r[0],
                    customer_id=r[1],
                    ref_id=r[0],
                    at=r[2],
                )
            )
        return hits

    def _notes(self, match: str, f: CallFilter, limit: int, wanted: list[str]) -> list[SearchHit]:
        extra, params = ("AND n.customer_id = ?", [f.customer_id]) if f.customer_id else ("", [])
        rows = self.store.conn.execute(
            "SELECT n.id, n.customer_id, n.text, n.created_at FROM notes_fts JOIN notes n ON n.rowid = "
            f"notes_fts.rowid WHERE notes_fts MATCH ? {extra} ORDER BY notes_fts.rowid DESC LIMIT ?",
            (match, *params, limit),
        ).fetchall()
        return [
            SearchHit(
                HitKind.NOTE, r[2], highlight_spans(r[2], wanted), customer_id=r[1], ref_id=r[0], at=r[3]
            )
            for r in rows
        ]

    def transcript(self, call_id: str) -> list[Segment]:
        return self.store.segments_for(call_id)
