"""Nudges for the agent while the customer talks: an empathy phrase when they sound upset, a follow-up when
the agent promises something.

Why rules and not a model: the cues must be explainable ("shown because the customer said 「何度も」"),
instant on a 2-core PC, and equally good in Japanese and English. The patterns cover the common spoken
forms; the phrase offered is a short, polite template the agent can say as is. A frustration phrase names the
issue only in words known to be sayable (a knowledge card's title, a short checked Japanese clause), since an
echo of the customer's own sentence with its pronouns turned around reads as broken English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from assist.domain import Cue, CueKind, FollowUp, new_id
from assist.text import normalize, strip_fillers

_COUNT = r"(?:[二三四五六七八九十数2-9]|\d{2,}|何)"
_EMOTIONS: tuple[tuple[CueKind, str, re.Pattern[str]], ...] = (
    (
        CueKind.ANGER,
        "ja",
        re.compile(
            r"ふざけ|いい加減に|責任者|上の(?:人|者|方)を?出|最悪|ひどすぎ|ひどい対応|腹が立|頭にく|話にならな|どうなってる|"
            r"許せな|信じられな|訴え|馬鹿に|バカに|ばかに|なめて(?:る|ん|い)|舐めて|怒って|怒り|納得(?:でき|いか)な|"
            r"二度と(?:使|頼|利用)|誠意"
        ),
    ),
    (
        CueKind.ANGER,
        "en",
        re.compile(
            r"\b(?:unacceptable|ridiculous|furious|angry|outrageous|worst|terrible service|disgrace\w*|"
            r"absurd|(?:speak|talk) to (?:a|your) (?:manager|supervisor)|this is a joke|fed up|"
            r"sick (?:and tired|of this)|how dare|(?:make|file) a complaint|lawyer|sue you)\b"
        ),
    ),
    (
        CueKind.FRUSTRATION,
        "ja",
        re.compile(
            rf"何度も|何回も|何度目|何回目|何(?:度|回)(?:電話|言|かけ|問い合わせ)|(?:もう|これで){_COUNT}+(?:回|度)目|"
            rf"{_COUNT}+(?:回|度)目(?:です|なん|だよ|になり|の(?:お?電話|問い合わせ|連絡))|毎回|"
            r"(?:まだ|全然|ぜんぜん|一向に)[^。]{0,12}(?:ない|ません)|いつになったら|またです|また同じ|またか|"
            r"困って|困る|困りま|困った(?!ことがあれば)|困り果て|参って|参った|面倒|めんどう|めんどくさ|イライラ|いらいら|"
            r"もう(?:いい|嫌|いや)|うんざり|たらい回し|待たされ|ずっと待|勘弁|いつまで"
        ),
    ),
    (
        CueKind.FRUSTRATION,
        "en",
        re.compile(
            r"\b(?:again and again|(?:yet|once) again|not again|(?:happened|happening|broken|down|dropped|"
            r"stopped|failed) again|(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time|"
            r"(?:called|phoned|rung|rang|contacted you|tried|asked)(?: \w+){0,3} (?:twice|(?:two|three|four|"
            r"five|six|several|multiple|many|so many|\d+) times)|"
            r"still (?:not|doesn'?t|isn'?t|hasn'?t|can'?t|won'?t|waiting|broken|no)|"
            r"keeps? (?:on )?\w+ing|how many times|frustrat\w*|annoy\w*|over and over|"
            r"nobody (?:helps|called|calls|answers)|waste of (?:my )?time|every (?:single )?time (?:i|we|it|"
            r"this|that)|on hold for|(?:sick|tired) of)\b"
        ),
    ),
    (
        CueKind.ANXIETY,
        "ja",
        re.compile(
            r"不安|心配(?!(?:ない|ありません|いりません|いらない|ご無用|なく))|大丈夫でしょうか|大丈夫ですか|大丈夫かな|"
            r"どうしよう|どうすれば|どうなるん|怖い|こわい|焦って|あせって|急いで|困ったな|間に合わ|気が気じゃ|落ち着かな"
        ),
    ),
    (
        CueKind.ANXIETY,
        "en",
        re.compile(
            r"\b(?:worried|(?<!don't )(?<!dont )(?<!not )worry|(?:so|really|very|quite) (?:afraid|scared)|"
            r"scared|nervous|anxious|urgent|panic\w*|concerned|"
            r"(?:is|will) (?:it|that|everything) be (?:ok|okay|alright|all right)|what (?:do|should) i do)\b"
        ),
    ),
)

_PHRASES = {
    (CueKind.ANGER, "ja"): "ご不快な思いをおかけし、誠に申し訳ございません。すぐに確認いたします。",
    (CueKind.ANGER, "en"): "I'm sorry, you're right to expect better. Let me fix this for you now.",
    (CueKind.FRUSTRATION, "ja"): "お困りなのですね。お手数をおかけして申し訳ございません。",
    (
        CueKind.FRUSTRATION,
        "en",
    ): "I'm sorry for the trouble — I understand how frustrating that is. Let me sort it out.",
    (CueKind.ANXIETY, "ja"): "ご心配ですよね。一緒に確認しますので、ご安心ください。",
    (CueKind.ANXIETY, "en"): "I understand your concern. Let's check it together, step by step.",
}
# The frustration phrase with the issue named: it shows the customer they were heard.
_ISSUE_PHRASES = {
    "ja": "{issue}、お困りなのですね。お手数をおかけして申し訳ございません。",
    "en": "So {issue} — I understand how frustrating that is. Let me sort it out.",
}

_PROMISE_JA = re.compile(
    r"折り返し|(?:ご連絡|お電話|ご報告|お送り|送付|ご案内)(?:いた|致)?し?ます|(?:ご連絡|お電話|お送り|ご報告)差し上げます|"
    r"確認して(?:から)?(?:ご連絡|お電話|ご報告)"
)
_PROMISE_EN = re.compile(
    r"\b(?:i'?ll|i will|we'?ll|we will|let me)\s+(?:\w+\s+){0,2}?"
    r"(?:call you back|call you|get back to you|email you|send you|follow up|text you|ring you|"
    r"let you know|check and call|update you)\b|\bcall you back\b"
)


def detect_language(text: str) -> str:
    return "ja" if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text) else "en"


# --- naming the issue in the frustration phrase -------------------------------------------------------------
# Never echo the customer's sentence with pronouns swapped: ("I am frustrated" -> "you am frustrated"). The
# issue is named from a knowledge card's title or alias when it reads as a statement of the problem, or
# (Japanese) from a short clause of the customer's that survives strict checks; otherwise the phrase names no
# issue at all.

_FIRST_PERSON_JA = re.compile(r"私|僕|俺|わたし|わたくし|あたし|ぼく|おれ|うち|自分|弊社|当方")
_FIRST_PERSON_EN = re.compile(r"\b(?:i|i'm|im|i've|i'd|i'll|me|my|mine|we|our|us)\b", re.IGNORECASE)
# Words that carry the feeling rather than the issue: dropped from a clause before it is echoed.
_FEELING_WORDS_JA = re.compile(
    r"何度も|何回も|本当に|ほんとに|ほんとうに|もう|ずっと|まだ|全然|ぜんぜん|毎回|また|いつも|一向に|"
    r"すごく|とても|かなり"
)
_POLITE_END_JA = re.compile(
    r"(?:んです|のです|んですよ|んですけど|んですが|ですけど|ですが|ですよ|ですね|です|ます|けど|"
    r"けれど|よね|よ|ね|し|のに|から|ので)+$"
)
# 〜て/〜で of a verb or adjective: 「切れてしまって」「届かなくて」「来て」 (not 「電話で」「なんで」).
_TE_FORM_JA = re.compile(r"(?:[っいきしちにびみりえけせてねへめれげ]て|くて|[\u4e00-\u9fff]て|[いん]で)$")
_PLAIN_END_JA = re.compile(r"(?:[うくすつぬふむるぐぶいた]|[\u4e00-\u9fff\u30a1-\u30fa\u30fc])$")
# 「三回目」「電話してる」 say how often or how the customer reached us, not what is wrong.
_COUNTED_JA = re.compile(
    r"(?:回|度)目|[回度]も|(?:電話|連絡|問い合わせ)(?:し|を|した|して)|言っ|言わ|待っ|待た|かけ[てた]"
)
_NOT_AN_ISSUE_JA = re.compile(r"方法|手順|について|とは|[?？か]$|ください|んで$|ので$")
_ISSUE_VERB_EN = (
    r"(?:keeps? (?:on )?[a-z]+ing|drops|stops|fails|crashes|freezes|disconnects|(?:won't|doesn't|does not|"
    r"isn't|is not|can't|cannot|are not|aren't|didn't|did not|never)\b|is|are|was|were|has|have|shows|"
    r"goes|went|cuts|keeps|hangs|lags|loads|runs)"
)
_ISSUE_EN = re.compile(
    r"^(?:(?P<det>the|"
    rf"your) )?(?P<subject>[a-z][\w-]*(?: [a-z][\w-]*){{0,2}}?) (?P<rest>{_ISSUE_VERB_EN}\b.*)$",
    re.IGNORECASE,
)
_NOT_A_SUBJECT_EN = frozenset(
    [
        "it",
        "this",
        "that",
        "they",
        "he",
        "she",
        "there",
        "you",
        "what",
        "how",
        "why",
        "when",
        "who",
        "which",
        "if",
        "whether",
        "to",
        "customer",
        "agent",
        "caller",
    ]
)


def _words_only(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().strip("。．.!！?？、, ")


def _japanese_issue(clause: str) -> str | None:
    """A clause as the agent can say it before 「、お困りなのですね」, or None when it does not read as an
    issue."""
    said = _words_only(clause).replace(" ", "").replace("\u3000", "")
    clause = _POLITE_END_JA.sub("", said)
    if not 3 <= len(clause) <= 22 or _FIRST_PERSON_JA.search(clause) or _NOT_AN_ISSUE_JA.search(clause):
        return None
    if _COUNTED_JA.search(clause) or any(p.search(said) for _, lang, p in _EMOTIONS if lang == "ja"):
        return None
    if _TE_FORM_JA.search(clause):
        return clause
    if _PLAIN_END_JA.search(clause):
        return clause + "ということで"
    return None


def _english_issue(title: str) -> str | None:
    """A problem statement ("Internet drops in the evening", "wifi keeps dropping") as "the internet drops in
    the evening"; None for anything else (how-tos, imperatives, noun phrases), which cannot follow "So" as
    is."""
    text = _words_only(title)
    if detect_language(text) != "en" or len(text.split()) > 10 or _FIRST_PERSON_EN.search(text):
        return None
    match = _ISSUE_EN.match(text)
    if match is None or any(word.lower() in _NOT_A_SUBJECT_EN for word in match.group("subject").split()):
        return None
    first, *others = match.group("subject").split()
    # Keep proper names and acronyms as written (VPN, Wi-Fi); an ordinary word opening a title goes lower
    # case.
    first = first if any(c.isupper() for c in first[1:]) else first.lower()
    return " ".join([(match.group("det") or "the").lower(), first, *others, match.group("rest")])


def issue_phrase(topics: Iterable[str], language: str) -> str | None:
    """The first of ``topics`` (knowledge card titles and aliases, best card first) that reads as the
    customer's issue in ``language``, in the form the frustration phrase takes."""
    for topic in topics:
        if language == "ja":
            if detect_language(topic) == "ja" and (issue := _japanese_issue(topic)) is not None:
                return issue
        elif (issue := _english_issue(topic)) is not None:
            return issue
    return None


def heard_issue(text: str, language: str) -> str | None:
    """A short clause of the customer's own (Japanese) words naming the issue, freed of the words of feeling:
    「何度もメールが届かないんです」 -> 「メールが届かないということで」. English is never echoed: its
    pronouns would have to be turned around, which is exactly how broken English reaches the agent's
    screen."""
    if language != "ja":
        return None
    for clause in re.split(r"[、。,.!！?？\s]+", strip_fillers(unicodedata.normalize("NFKC", text))):
        issue = _japanese_issue(_FEELING_WORDS_JA.sub("", clause))
        if issue is not None:
            return issue
    return None


def names_issue(cue: Cue) -> bool:
    """Whether an empathy phrase names the customer's issue (rather than the plain phrase of its feeling)."""
    return cue.kind is not CueKind.PROMISE and cue.phrase != _PHRASES.get(
        (cue.kind, cue.language), cue.phrase
    )


def emotion_cues(segment_id: str, text: str, language: str = "", topics: Sequence[str] = ()) -> list[Cue]:
    """Empathy cues for one customer line. ``topics``: titles and aliases of the cards that fit the
    conversation, best first, from which the frustration phrase may name the issue."""
    lang = language if language in ("ja", "en") else detect_language(text)
    spoken = normalize(text)
    found: list[Cue] = []
    for kind, pattern_lang, pattern in _EMOTIONS:
        if any(c.kind == kind for c in found):
            continue
        match = pattern.search(spoken)
        if match is None:
            continue
        # A Japanese feeling in an English call (or the other way) is answered in the language the customer
        # used.
        phrase_lang = pattern_lang if detect_language(text) != lang else lang
        phrase = _PHRASES[(kind, phrase_lang)]
        if kind is CueKind.FRUSTRATION:
            issue = issue_phrase(topics, phrase_lang) or heard_issue(text, phrase_lang)
            if issue is not None:
                phrase = _ISSUE_PHRASES[phrase_lang].format(issue=issue)
        found.append(
            Cue(kind=kind, segment_id=segment_id, trigger=match.group(0), phrase=phrase, language=phrase_lang)
        )
    # Anger outranks frustration: one banner, the strongest feeling.
    if any(c.kind == CueKind.ANGER for c in found):
        found = [c for c in found if c.kind != CueKind.FRUSTRATION]
    return found


_WEEKDAYS_JA = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}
_WEEKDAYS_EN = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}


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
    if re.search(
        r"本日中|今日中|本日|今日|後ほど|のちほど|しばらくして|today|tonight|later|this afternoon|"
        r"in an hour|within the hour|shortly",
        spoken,
    ):
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


def promise_cue(
    segment_id: str, text: str, now: datetime, customer_id: str | None, call_id: str, owner: str = ""
) -> Cue | None:
    """A proposed follow-up when the agent promised something (「折り返しご連絡します」, "I'll call you
    back")."""
    found = find_promise(text, now.date())
    if found is None:
        return None
    lang = detect_language(text)
    follow_up = FollowUp(
        id=new_id("fu"),
        customer_id=customer_id,
        text=text.strip(),
        due=found.due.isoformat(),
        call_id=call_id,
        owner=owner,
        created_at=now.isoformat(timespec="seconds"),
    )
    return Cue(
        kind=CueKind.PROMISE,
        segment_id=segment_id,
        trigger=found.trigger,
        phrase=text.strip(),
        language=lang,
        follow_up=follow_up,
    )
