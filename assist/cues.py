"""Nudges for the agent while the customer talks: an empathy phrase when they sound upset, a follow-up when
the agent promises something.

Why rules and not a model: the cues must be explainable ("shown because the customer said 「何度も」"),
instant on a 2-core PC, and equally good in Japanese and English. The patterns cover the common spoken
forms; the phrase offered is a short, polite template the agent can say as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from assist.domain import Cue, CueKind, FollowUp, new_id
from assist.text import normalize, strip_fillers

_EMOTIONS: tuple[tuple[CueKind, str, re.Pattern[str]], ...] = (
    (CueKind.ANGER, "ja", re.compile(
        r"ふざけ|いい加減に|責任者|上の(?:人|者)を?出|最悪|ひどすぎ|腹が立|頭にく|話にならな|どうなってる|許せな|"
        r"信じられな|訴え")),
    (CueKind.ANGER, "en", re.compile(
        r"\b(?:unacceptable|ridiculous|furious|angry|outrageous|worst|terrible service|"
        r"(?:speak|talk) to (?:a|your) (?:manager|supervisor)|this is a joke|fed up)\b")),
    (CueKind.FRUSTRATION, "ja", re.compile(
        r"何度も|何回も|(?:まだ|全然|ぜんぜん|一向に)[^。]{0,12}(?:ない|ません)|いつになったら|またです|"
        r"また同じ|困って|困る|面倒|めんどう|イライラ|いらいら|もう(?:いい|嫌|いや)|うんざり|たらい回し")),
    (CueKind.FRUSTRATION, "en", re.compile(
        r"\b(?:again|third time|second time|still (?:not|doesn'?t|isn'?t|hasn'?t|can'?t|won'?t)|"
        r"keeps? (?:happening|failing|crashing|dropping)|how many times|frustrat\w*|annoy\w*|"
        r"nobody (?:helps|called)|waste of time|every time)\b")),
    (CueKind.ANXIETY, "ja", re.compile(
        r"不安|心配|大丈夫でしょうか|大丈夫ですか|どうしよう|どうすれば|怖い|こわい|焦って|急いで|困ったな|"
        r"間に合わ")),
    (CueKind.ANXIETY, "en", re.compile(
        r"\b(?:worried|worry|afraid|scared|nervous|anxious|urgent|panic\w*|"
        r"(?:is|will) (?:it|that|everything) be (?:ok|okay|alright|all right)|what (?:do|should) i do)\b")),
)

_PHRASES = {
    (CueKind.ANGER, "ja"): "ご不快な思いをおかけし、誠に申し訳ございません。すぐに確認いたします。",
    (CueKind.ANGER, "en"): "I'm sorry, you're right to expect better. Let me fix this for you now.",
    (CueKind.FRUSTRATION, "ja"): "{issue}ということでお困りなのですね。お手数をおかけして申し訳ございません。",
    (CueKind.FRUSTRATION, "en"): "So {issue} — I understand how frustrating that is. Let me sort it out.",
    (CueKind.ANXIETY, "ja"): "ご心配ですよね。一緒に確認しますので、ご安心ください。",
    (CueKind.ANXIETY, "en"): "I understand your concern. Let's check it together, step by step.",
}

_PROMISE_JA = re.compile(
    r"折り返し|(?:ご連絡|お電話|ご報告|お送り|送付|ご案内)(?:いた|致)?し?ます|(?:ご連絡|お電話|お送り|ご報告)差し上げます|"
    r"確認して(?:から)?(?:ご連絡|お電話|ご報告)")
_PROMISE_EN = re.compile(
    r"\b(?:i'?ll|i will|we'?ll|we will|let me)\s+(?:\w+\s+){0,2}?"
    r"(?:call you back|call you|get back to you|email you|send you|follow up|text you|ring you|"
    r"let you know|check and call|update you)\b|\bcall you back\b")


def detect_language(text: str) -> str:
    return "ja" if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text) else "en"


def issue_of(text: str, language: str) -> str:
    """The customer's words, trimmed into a clause the agent can echo back."""
    clause = strip_fillers(normalize(text)).strip(" 、。,.!?！？")
    if language == "ja":
        clause = re.split(r"[。！？!?]", clause)[-1] or clause
        clause = re.sub(r"(?:んです|のです|んですけど|んですが|んですよ|ですけど|ですが|です|ます|けど|よね|ね|よ)+$", "",
                        clause.replace(" ", ""))
        clause = clause[-30:]
    else:
        clause = re.sub(r"^(?:so|and|but|well)\s+", "", clause)
        words = clause.split()
        clause = " ".join(words[-12:])
        clause = re.sub(r"\bmy\b", "your", re.sub(r"\bi\b", "you", re.sub(r"\bi'm\b", "you're", clause)))
    return clause


def emotion_cues(segment_id: str, text: str, language: str = "") -> list[Cue]:
    lang = language if language in ("ja", "en") else detect_language(text)
    spoken = normalize(text)
    found: list[Cue] = []
    for kind, pattern_lang, pattern in _EMOTIONS:
        if any(c.kind == kind for c in found):
            continue
        match = pattern.search(spoken)
        if match is None:
            continue
        phrase_lang = lang if (kind, lang) in _PHRASES else pattern_lang
        phrase = _PHRASES[(kind, phrase_lang)].format(issue=issue_of(text, phrase_lang))
        found.append(Cue(kind=kind, segment_id=segment_id, trigger=match.group(0), phrase=phrase,
                         language=phrase_lang))
    # Anger outranks frustration: one banner, the strongest feeling.
    if any(c.kind == CueKind.ANGER for c in found):
        found = [c for c in found if c.kind != CueKind.FRUSTRATION]
    return found


_WEEKDAYS_JA = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}
_WEEKDAYS_EN = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}


def _next_business_day(day: date, n: int = 1) -> date:
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def due_date(text: str, today: date) -> date:
    """When a promise is due, read from the agent's words; the next business day when no time is said."""
    spoken = normalize(text)
    if re.search(r"明後日|あさって|day after tomorrow", spoken):
        return today + timedelta(days=2)
    if re.search(r"明日|あした|あす|tomorrow", spoken):
        return today + timedelta(days=1)
    if re.search(r"本日中|今日中|本日|今日|後ほど|のちほど|しばらくして|today|tonight|later|this afternoon|"
                 r"in an hour|within the hour|shortly", spoken):
        return today
    m = re.search(r"(\d+)\s*営業日|(\d+)\s*business days?", spoken)
    if m:
        return _next_business_day(today, int(m.group(1) or m.group(2)))
    m = re.search(r"(\d+)\s*日以内|within (\d+) days?|in (\d+) days?", spoken)
    if m:
        return today + timedelta(days=int(next(g for g in m.groups() if g)))
    m = re.search(r"(?:来週の?)?([月火水木金土日])曜", spoken)
    if m:
        ahead = (_WEEKDAYS_JA[m.group(1)] - today.weekday()) % 7 or 7
        if "来週" in spoken and ahead < 7 - today.weekday():
            ahead += 7
        return today + timedelta(days=ahead)
    m = re.search(r"\b(?:on |by |next )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", spoken)
    if m:
        ahead = (_WEEKDAYS_EN[m.group(1)] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    if re.search(r"週明け|来週|next week|early next week", spoken):
        return today + timedelta(days=7 - today.weekday())
    if re.search(r"今週中|this week|end of the week", spoken):
        return today + timedelta(days=max(0, 4 - today.weekday()))
    return _next_business_day(today)


@dataclass(frozen=True, slots=True)
class PromiseFound:
    trigger: str
    due: date


def find_promise(text: str, today: date) -> PromiseFound | None:
    spoken = normalize(text)
    match = _PROMISE_JA.search(spoken) or _PROMISE_EN.search(spoken)
    if match is None:
        return None
    return PromiseFound(match.group(0), due_date(spoken, today))


def promise_cue(segment_id: str, text: str, now: datetime, customer_id: str | None, call_id: str,
                owner: str = "") -> Cue | None:
    """A proposed follow-up when the agent promised something (「折り返しご連絡します」, "I'll call you back")."""
    found = find_promise(text, now.date())
    if found is None:
        return None
    lang = detect_language(text)
    follow_up = FollowUp(id=new_id("fu"), customer_id=customer_id, text=text.strip(), due=found.due.isoformat(),
                         call_id=call_id, owner=owner, created_at=now.isoformat(timespec="seconds"))
    return Cue(kind=CueKind.PROMISE, segment_id=segment_id, trigger=found.trigger, phrase=text.strip(),
               language=lang, follow_up=follow_up)
