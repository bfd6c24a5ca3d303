"""Calm live coaching from the seeds' playbook: each hint says why it is shown, each kind can be switched off.

* **pace**: the agent speaks fast (speech rate over the last stretch of their talk, assist.dynamics) for a
  customer whose card says so (ゆっくり, 不慣れ, elderly ...), or fast for anyone;
* **jargon**: the agent used a technical term with a customer marked non-technical, with the plain wording
  when the glossary has one (terms: resources/coaching/jargon.json, the user's own copy, and knowledge entries
  tagged 用語 / glossary / jargon);
* **expectation**: an absolute promise (必ず, 絶対, すぐに直ります, "definitely", "right away") -> a realistic
  phrasing;
* **backtracking**: after a long customer turn about a problem, a one-line summary-back filled with the issue
  (「つまり、…ということでよろしいでしょうか」);
* **dead air**: a silence while the agent works -> tell the customer what you are checking;
* **pause**: after a hard call (an anger cue, many frustration cues, a long call) a short pause before the
  next call; the team is told only that the agent "needs a moment", never why.

Why rules: every hint must be explainable in one line and instant on a 2-core PC, in Japanese and English. A
hint fires at most once per trigger (a term, a turn, a silence) and each kind has a cooldown, so the screen
stays calm. The reason and the words to say are written here in the call's language like the empathy cues
(assist.cues), since they are the words the agent may say.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from assist.cues import detect_language
from assist.domain import Cue, CueKind, KnowledgeEntry
from assist.dynamics import Line, rate_unit, speech_rate
from assist.wrapup import _ISSUE_EN, _ISSUE_JA, _strip_en, _strip_ja, note_en


class HintKind(StrEnum):
    PACE = "pace"
    JARGON = "jargon"
    EXPECTATION = "expectation"
    BACKTRACK = "backtrack"
    DEAD_AIR = "dead_air"
    PAUSE = "pause"


ALL_HINTS = frozenset(HintKind)


@dataclass(frozen=True, slots=True)
class Hint:
    """A coaching hint: what triggered it, why it is shown, and words the agent may use."""

    kind: HintKind
    segment_id: str
    language: str
    trigger: str
    reason: str
    say: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "segment_id": self.segment_id,
            "language": self.language,
            "trigger": self.trigger,
            "reason": self.reason,
            "say": self.say,
        }


# --- thresholds (documented in docs/conversation.md) ----------------------------------------------------

PACE_WINDOW_S = 30.0  # the agent's lines of the last 30 s of the call
PACE_MIN_TALK_S = 6.0  # judged once the agent has spoken at least this long in the window
PACE_COOLDOWN_S = 60.0
# Morae per second (ja) and words per minute (en): fast for anyone / fast for a customer who needs it slower.
FAST = {"ja": 8.5, "en": 190.0}
FAST_FOR_SLOW_LISTENER = {"ja": 7.5, "en": 160.0}
BACKTRACK_MIN_S = 10.0  # a customer turn about a problem this long (speech time) deserves a summary back
DEAD_AIR_S = 10.0  # silence while the agent works, nothing said about what they are doing
DEAD_AIR_ANNOUNCED_S = 30.0  # after 「確認しますので少々お待ちください」 the customer knows; remind later
HARD_CALL_FRUSTRATION = 3  # frustration or anxiety cues in one call
HARD_CALL_LONG_S = 20 * 60.0

_SLOW_TRAITS = re.compile(
    r"ゆっくり|不慣れ|苦手|高齢|ご年配|年配|聞き取りにく|耳が遠|elderly|senior|speak slowly|slowly|"
    r"hard of hearing|not (?:very )?(?:tech|technical)|non-?technical|new to computers",
    re.IGNORECASE,
)
_NON_TECHNICAL = re.compile(
    r"不慣れ|苦手|詳しくな|初心者|高齢|ご年配|機械に弱|not (?:very )?(?:tech|technical)|non-?technical|"
    r"beginner|new to computers|elderly|not tech-?savvy",
    re.IGNORECASE,
)
_ABSOLUTE_JA = re.compile(
    r"必ず(?!しも)|絶対に?|確実に|間違いなく|100\s*[%％]|今すぐ(?:に)?(?=[^。]*(?:直|解決|復旧|届|返金|戻|つなが|使える))|"
    r"すぐに?(?=[^。]*(?:直[りるっ]|解決|復旧|届[きくい]|返金され|戻[りるっ]|つなが[りるっ]|繋が[りるっ]|使える))"
)
_ABSOLUTE_EN = re.compile(
    r"\b(?:definitely|guarantee[ds]?|100 ?%|for sure|certainly will|absolutely will|i promise|"
    r"never happen again|(?:fixed|solved|resolved|sorted|refunded|back|working|done) (?:right away|"
    r"immediately|straight away|in no time)|right away (?:it|this|that|you)'?ll|it will be fixed today)\b",
    re.IGNORECASE,
)
_SUMMARY_BACK = re.compile(
    r"つまり|ということ(?:ですね|で(?:よろしい|お間違い))|という(?:状況|こと)で|確認させて(?:ください|いただ)|"
    r"\b(?:so what you'?re saying|if i understand|just to (?:confirm|check|make sure)|so you'?re saying|"
    r"let me make sure i|to summari[sz]e)\b",
    re.IGNORECASE,
)
_ANNOUNCED = re.compile(
    r"確認(?:いた)?します|お調べ|調べます|お待ちください|お待ち(?:いただけ|いただき)|少々|"
    r"\b(?:let me (?:check|look|pull)|i'?m (?:checking|looking)|one moment|bear with me|(?:please )?hold on|"
    r"give me a (?:moment|second|minute))\b",
    re.IGNORECASE,
)


# --- glossary --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    forms: tuple[str, ...]
    plain: Mapping[str, str] = field(default_factory=dict)

    def pattern(self) -> re.Pattern[str]:
        words = sorted({_norm(f) for f in self.forms if f.strip()}, key=len, reverse=True)
        ascii_words = [re.escape(w) for w in words if w.isascii()]
        # A katakana term is not part of a longer katakana word (キャッシュ is not キャッシュレス).
        kana = "\u30a1-\u30fa\u30fc"
        other = [
            (rf"(?<![{kana}])" if re.match(rf"[{kana}]", w) else "")
            + re.escape(w)
            + (rf"(?![{kana}])" if re.search(rf"[{kana}]$", w) else "")
            for w in words
            if not w.isascii()
        ]
        parts = ([rf"(?<![a-z0-9])(?:{'|'.join(ascii_words)})(?![a-z0-9])"] if ascii_words else []) + other
        return re.compile("|".join(parts)) if parts else re.compile(r"(?!x)x")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


GLOSSARY_FILE = Path(__file__).resolve().parents[1] / "resources" / "coaching" / "jargon.json"
GLOSSARY_TAGS = frozenset(["用語", "glossary", "jargon"])


class GlossaryError(ValueError):
    """The glossary file cannot be read; the message names the file and what is wrong."""


def load_glossary(path: Path = GLOSSARY_FILE) -> list[Term]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            Term(
                str(t["term"]),
                (str(t["term"]), *(str(a) for a in t.get("also") or ())),
                {k: str(t[k]) for k in ("ja", "en") if t.get(k)},
            )
            for t in data["terms"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GlossaryError(f"{path}: not a jargon list ({exc})") from exc


def user_glossary_file() -> Path:
    from assist import paths

    return paths.data_dir() / "jargon.json"


def glossary(entries: Iterable[KnowledgeEntry], user_file: Path | None = None) -> list[Term]:
    """The shipped list, replaced term by term by the user's own file, plus knowledge entries tagged as
    terms."""
    terms = {t.term: t for t in load_glossary()}
    if user_file is not None and user_file.exists():
        terms.update({t.term: t for t in load_glossary(user_file)})
    for entry in entries:
        if GLOSSARY_TAGS.intersection(entry.tags):
            plain = re.split(r"(?<=[。.!?！？])", entry.body.strip(), maxsplit=1)[0].strip()
            lang = entry.language or detect_language(entry.title)
            terms[entry.title] = Term(
                entry.title, (entry.title, *entry.aliases), {lang: plain} if plain else {}
            )
    return list(terms.values())


# --- the coach -------------------------------------------------------------------------------------------

_TEXT = {
    "ja": {
        "pace_slow": "話す速さ {rate:.1f} モーラ/秒。お客様は「{trait}」: ゆっくり、区切って話しましょう。",
        "pace_fast": "話す速さ {rate:.1f} モーラ/秒（目安 {limit:.1f} 以下）。少しゆっくり話しましょう。",
        "jargon": "「{term}」は専門用語です。お客様は「{trait}」。",
        "jargon_say": "「{plain}」と言い換えると伝わりやすくなります。",
        "jargon_nosay": "やさしい言葉に言い換えましょう。",
        "expectation": "「{trigger}」は約束しすぎかもしれません。できることと目安を伝えましょう。",
        "expectation_say": "確認のうえ、目安を改めてご連絡いたします。",
        "backtrack": "お客様が{seconds:.0f}秒話されました。要点を言い返して確認しましょう。",
        "backtrack_say": "つまり、{issue}ということでよろしいでしょうか。",
        "backtrack_plain": "つまり、〇〇という状況でよろしいでしょうか。",
        "dead_air": "{seconds:.0f}秒、無言です。何を確認しているかお伝えしましょう。",
        "dead_air_say": "ただいま、〇〇を確認しております。もう少々お待ちください。",
        "pause_anger": "強いお怒りのあった通話でした。",
        "pause_frustration": "お客様の不満の声が{count}回ありました。",
        "pause_long": "{minutes:.0f}分の長い通話でした。",
        "pause": "次の通話の前に、1〜2分ひと息つきましょう。",
    },
    "en": {
        "pace_slow": "Speaking at {rate:.0f} words a minute. The customer's card says \u201c{trait}\u201d: "
        "slow down and pause between steps.",
        "pace_fast": "Speaking at {rate:.0f} words a minute (aim for {limit:.0f} or less). "
        "Slow down a little.",
        "jargon": "\u201c{term}\u201d is a technical term; the customer's card says \u201c{trait}\u201d.",
        "jargon_say": "Try: \u201c{plain}\u201d.",
        "jargon_nosay": "Say it in everyday words.",
        "expectation": "\u201c{trigger}\u201d may promise too much. "
        "Say what you will do and when to expect it.",
        "expectation_say": "I'll check this and let you know what to expect by {when}.",
        "backtrack": "The customer spoke for {seconds:.0f} seconds. Sum it up back to check you understood.",
        "backtrack_say": "So, just to check: {issue} \u2014 is that right?",
        "backtrack_plain": "So, just to check I've got this right: \u2026 \u2014 is that right?",
        "dead_air": "{seconds:.0f} seconds of silence. Tell the customer what you are checking.",
        "dead_air_say": "I'm just checking \u2026 for you now \u2014 thanks for bearing with me.",
        "pause_anger": "The customer was angry on this call.",
        "pause_frustration": "The customer sounded frustrated {count} times.",
        "pause_long": "A long call ({minutes:.0f} minutes).",
        "pause": "Take a minute or two before the next call.",
    },
}


def _say_back_en(note: str) -> str:
    """A note about the customer ("Customer was charged twice") as words to say to them."""
    text = note.rstrip(".")
    for pattern, replacement in (
        (r"^Customer was\b", "you were"),
        (r"^Customer is\b", "you are"),
        (r"^Customer has\b", "you have"),
        (r"^Customer wants\b", "you'd like"),
        (r"^Customer needs\b", "you need"),
        (r"^Customer cannot\b", "you can't"),
        (r"^Customer does not\b", "you don't"),
        (r"^Customer\b", "you"),
        (r"\bthe customer\b", "you"),
        (r"\btheir\b", "your"),
        (r"^The\b", "the"),
    ):
        text = re.sub(pattern, replacement, text)
    return text


@dataclass(frozen=True, slots=True)
class CoachSettings:
    """Which hints are on (each can be switched off in the settings)."""

    enabled: frozenset[HintKind] = ALL_HINTS

    def on(self, kind: HintKind) -> bool:
        return kind in self.enabled


class Coach:
    """Watches one live call and returns hints. Feed every final line with ``heard``; call ``silence`` with
    the audio time now and then; ``after_call`` when it ends."""

    def __init__(
        self,
        language: str,
        traits: Sequence[str] = (),
        terms: Sequence[Term] = (),
        settings: CoachSettings | None = None,
        ui_language: str = "",
    ) -> None:
        self.language = language if language in ("ja", "en") else ""
        self.ui_language = ui_language if ui_language in ("ja", "en") else ""
        self.settings = settings or CoachSettings()
        self.slow_trait = next((t for t in traits if _SLOW_TRAITS.search(t)), "")
        self.non_technical = next((t for t in traits if _NON_TECHNICAL.search(t)), "")
        self._terms = [(t, t.pattern()) for t in terms]
        self._lines: list[Line] = []
        self._said_terms: set[str] = set()
        self._last_pace = -1e9
        self._turn: list[Line] = []  # the customer's current turn
        self._turn_hinted = False
        self._last_speech_end = 0.0
        self._last_agent_text = ""
        self._silence_hinted_at = -1.0
        self.hints: list[Hint] = []

    def _lang(self, text: str) -> str:
        return self.language or detect_language(text)

    def _text(self, lang: str, key: str, **values: object) -> str:
        return _TEXT[self.ui_language or lang][key].format(**values)

    def _emit(self, hint: Hint) -> Hint:
        self.hints.append(hint)
        return hint

    def heard(self, channel: str, start: float, end: float, text: str, segment_id: str) -> list[Hint]:
        """Hints for one final line of the transcript (``channel`` agent or customer)."""
        line = Line(channel, start, end, text, segment_id)
        self._lines.append(line)
        self._last_speech_end = max(self._last_speech_end, end)
        lang = self._lang(text)
        found: list[Hint] = []
        if channel == "agent":
            self._last_agent_text = text
            if self._turn and _SUMMARY_BACK.search(text):
                self._turn_hinted = True
            self._turn = []
            for hint in (self._pace(line, lang), self._expectation(line, lang), *self._jargon(line, lang)):
                if hint is not None:
                    found.append(self._emit(hint))
        else:
            if self._turn and start - self._turn[-1].end > 3.0:
                self._turn, self._turn_hinted = [], False
            self._turn.append(line)
            backtrack = self._backtrack(lang)
            if backtrack is not None:
                found.append(self._emit(backtrack))
        return found

    # --- the hints ---

    def _pace(self, line: Line, lang: str) -> Hint | None:
        if not self.settings.on(HintKind.PACE) or line.end - self._last_pace < PACE_COOLDOWN_S:
            return None
        window = [
            x
            for x in self._lines
            if x.channel == "agent" and x.end >= line.end - PACE_WINDOW_S and x.text.strip()
        ]
        talk = sum(x.end - x.start for x in window)
        if talk < PACE_MIN_TALK_S:
            return None
        rate = speech_rate(window, lang)
        limit = (FAST_FOR_SLOW_LISTENER if self.slow_trait else FAST)[lang]
        if rate <= limit:
            return None
        self._last_pace = line.end
        unit = rate_unit(lang)
        if self.slow_trait:
            reason = self._text(lang, "pace_slow", rate=rate, trait=self.slow_trait)
        else:
            reason = self._text(lang, "pace_fast", rate=rate, limit=limit)
        return Hint(HintKind.PACE, line.segment_id, lang, f"{rate:.1f} {unit}", reason)

    def _jargon(self, line: Line, lang: str) -> list[Hint]:
        if not self.settings.on(HintKind.JARGON) or not self.non_technical:
            return []
        spoken = _norm(line.text)
        found = []
        for term, pattern in self._terms:
            if term.term in self._said_terms:
                continue
            match = pattern.search(spoken)
            if match is None:
                continue
            self._said_terms.add(term.term)
            plain = term.plain.get(lang, "")
            reason = self._text(
                lang,
                "jargon",
                term=line.text[match.start() : match.end()] or term.term,
                trait=self.non_technical,
            )
            reason += " " + (
                self._text(lang, "jargon_say", plain=plain) if plain else self._text(lang, "jargon_nosay")
            )
            found.append(Hint(HintKind.JARGON, line.segment_id, lang, term.term, reason.strip(), plain))
        return found

    def _expectation(self, line: Line, lang: str) -> Hint | None:
        if not self.settings.on(HintKind.EXPECTATION) or re.search(
            r"[?？]\s*$|(?:ですか|ますか)[。]?\s*$", line.text
        ):
            return None  # a question ("Is that definitely your email?") promises nothing
        match = (_ABSOLUTE_JA if lang == "ja" else _ABSOLUTE_EN).search(_norm(line.text))
        if match is None:
            return None
        trigger = match.group(0).strip()
        say = self._text(lang, "expectation_say", when="…")
        return Hint(
            HintKind.EXPECTATION,
            line.segment_id,
            lang,
            trigger,
            self._text(lang, "expectation", trigger=trigger),
            say,
        )

    def _backtrack(self, lang: str) -> Hint | None:
        if not self.settings.on(HintKind.BACKTRACK) or self._turn_hinted:
            return None
        spoken = sum(x.end - x.start for x in self._turn)
        if spoken < BACKTRACK_MIN_S:
            return None
        issue = ""
        for x in self._turn:
            if lang == "ja":
                for sentence in re.split(r"(?<=[。！？])", x.text):
                    note = _strip_ja(sentence)
                    if note and _ISSUE_JA.search(note) and not note.endswith("か"):
                        issue = note
                        break
            else:
                for clause in _strip_en(x.text):
                    if _ISSUE_EN.search(clause):
                        issue = _say_back_en(note_en(clause))
                        break
            if issue:
                break
        if not issue:
            return None  # a long turn that names no problem (a story, a greeting) needs no summary back
        self._turn_hinted = True
        say = self._text(lang, "backtrack_say", issue=issue)
        return Hint(
            HintKind.BACKTRACK,
            self._turn[-1].segment_id,
            lang,
            issue,
            self._text(lang, "backtrack", seconds=spoken),
            say,
        )

    def silence(self, now: float) -> Hint | None:
        """A dead-air hint when nobody has spoken for a while (``now``: audio seconds since the call
        started)."""
        if not self.settings.on(HintKind.DEAD_AIR) or not self._lines:
            return None
        quiet = now - self._last_speech_end
        limit = DEAD_AIR_ANNOUNCED_S if _ANNOUNCED.search(self._last_agent_text) else DEAD_AIR_S
        if quiet < limit or self._silence_hinted_at == self._last_speech_end:
            return None
        self._silence_hinted_at = self._last_speech_end
        lang = self._lang(self._last_agent_text or self._lines[-1].text)
        return self._emit(
            Hint(
                HintKind.DEAD_AIR,
                "",
                lang,
                f"{quiet:.0f} s",
                self._text(lang, "dead_air", seconds=quiet),
                self._text(lang, "dead_air_say"),
            )
        )

    def after_call(self, cues: Sequence[Cue], duration: float) -> Hint | None:
        """A pause suggestion after a hard call: an anger cue, several frustration cues, or a long call."""
        if not self.settings.on(HintKind.PAUSE):
            return None
        lang = self.language or (self._lang(self._lines[-1].text) if self._lines else "en")
        anger, upset, long_call = _hard(cues, duration)
        reasons: list[str] = []
        if anger:
            reasons.append(self._text(lang, "pause_anger"))
        if upset >= HARD_CALL_FRUSTRATION:
            reasons.append(self._text(lang, "pause_frustration", count=upset))
        if long_call:
            reasons.append(self._text(lang, "pause_long", minutes=duration / 60))
        if not reasons:
            return None
        return self._emit(
            Hint(HintKind.PAUSE, "", lang, "hard call", " ".join([*reasons, self._text(lang, "pause")]))
        )


def _hard(cues: Sequence[Cue], duration: float) -> tuple[bool, int, bool]:
    anger = any(c.kind is CueKind.ANGER for c in cues)
    upset = sum(1 for c in cues if c.kind in (CueKind.FRUSTRATION, CueKind.ANXIETY))
    return anger, upset, duration >= HARD_CALL_LONG_S


def hard_call(cues: Sequence[Cue], duration: float) -> bool:
    """Whether the team should be told the agent needs a moment (no content: just that)."""
    anger, upset, long_call = _hard(cues, duration)
    return anger or upset >= HARD_CALL_FRUSTRATION or long_call
