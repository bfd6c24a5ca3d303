"""The wrap-up written from the whole call: every issue the customer raised, the facts, what the agent did,
the supervisor's advice, each promise as a follow-up (what, by when, how to reach the customer), a disposition
and tags, each line linked to the transcript lines it came from.

Why rules and not a model: the wrap-up must be explainable line by line ("this issue: lines 2 and 3"), run in
milliseconds on a 2-core PC beside live transcription, and behave the same in Japanese and English. No local
summarisation model that ships its weights in a PyPI package fits those limits (see docs/conversation.md); the
rules below only rewrite and select what was said, so they cannot invent a fact.

How a line becomes a note (not a copy of what was said):
* fillers and phone formulae go (えっと, 承知いたしました, "um", "certainly"), greetings and introductions
  too;
* Japanese: polite and humble forms become plain ones with janome's base forms (確認いたします -> 確認する,
  引き落とされていました -> 引き落とされていた, 返していただけますか -> 返してほしい), feeling clauses
  (本当に困っているんです) are dropped; English: first person becomes the customer (my -> the, I was ->
  Customer was, I would like -> Customer wants), the agent's "let me check your ..." becomes "Checked the
  ...";
* a promise loses its time words (明日, tomorrow: they become the due date, written with its weekday).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from assist.cues import _EMOTIONS, _FEELING_WORDS_JA, detect_language, due_date, find_promise
from assist.domain import (
    Customer,
    Disposition,
    KnowledgeEntry,
    Note,
    Segment,
    WhisperRecord,
    unique,
)
from assist.dynamics import ensure_dynamics_schema, janome_tokenizer
from assist.store import Store
from assist.text import JA_FILLERS, normalize, stem

# --- lines with their sources --------------------------------------------------------------------------


def _strings(value: object) -> tuple[str, ...]:
    """A stored list of strings (segment ids, tags) read back; nothing stored reads as empty."""
    if not value:
        return ()
    if not isinstance(value, Iterable):
        raise TypeError(f"expected a list of strings, got {type(value).__name__}")
    return tuple(str(s) for s in value)


def _records(value: object) -> list[Mapping[str, object]]:
    """A stored list of objects (wrap-up lines) read back; nothing stored reads as empty."""
    if not value:
        return []
    if not isinstance(value, Iterable):
        raise TypeError(f"expected a list of objects, got {type(value).__name__}")
    return [_record(item) for item in value]


def _record(value: object) -> Mapping[str, object]:
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class SourcedLine:
    """One line of the wrap-up and the transcript lines (segment ids) it was written from."""

    text: str
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "sources": list(self.sources)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SourcedLine:
        return cls(str(data.get("text", "")), _strings(data.get("sources")))


@dataclass(frozen=True, slots=True)
class IssueLine:
    """An issue the customer raised: the note about it, its title (the knowledge entry's when one fits)."""

    text: str
    title: str
    sources: tuple[str, ...] = ()
    entry_id: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "title": self.title,
            "sources": list(self.sources),
            "entry_id": self.entry_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> IssueLine:
        return cls(
            str(data.get("text", "")),
            str(data.get("title", "")),
            _strings(data.get("sources")),
            str(data.get("entry_id", "")),
        )


@dataclass(frozen=True, slots=True)
class PromiseLine:
    """A promise as a follow-up: what, by when (ISO date and the label with its weekday), how to reach
    them."""

    what: str
    due: str
    due_label: str
    contact: str = ""
    sources: tuple[str, ...] = ()
    contact_sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "what": self.what,
            "due": self.due,
            "due_label": self.due_label,
            "contact": self.contact,
            "sources": list(self.sources),
            "contact_sources": list(self.contact_sources),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PromiseLine:
        return cls(
            str(data.get("what", "")),
            str(data.get("due", "")),
            str(data.get("due_label", "")),
            str(data.get("contact", "")),
            _strings(data.get("sources")),
            _strings(data.get("contact_sources")),
        )


@dataclass(frozen=True, slots=True)
class StructuredWrapUp:
    """The whole call in notes; ``render`` gives the text the agent edits."""

    language: str
    issues: tuple[IssueLine, ...] = ()
    facts: tuple[SourcedLine, ...] = ()
    actions: tuple[SourcedLine, ...] = ()
    entries_used: tuple[SourcedLine, ...] = ()  # knowledge entries the agent used, by title
    advice: tuple[SourcedLine, ...] = ()
    promises: tuple[PromiseLine, ...] = ()
    disposition: Disposition = Disposition.RESOLVED
    disposition_reason: SourcedLine = field(default_factory=lambda: SourcedLine(""))
    tags: tuple[str, ...] = ()
    source: str = ""  # "after-call <model>" when rebuilt from the after-call pass's lines

    @property
    def main_issue(self) -> str:
        return self.issues[0].title if self.issues else ""

    def lines(self) -> list[tuple[str, SourcedLine]]:
        """Every line of the rendered summary with its section and sources, in order."""
        out: list[tuple[str, SourcedLine]] = [("issue", SourcedLine(i.text, i.sources)) for i in self.issues]
        out += [("fact", f) for f in self.facts]
        out += [("action", a) for a in self.actions]
        used = "参照: " if self.language == "ja" else "Used: "
        out += [("action", SourcedLine(used + e.text, e.sources)) for e in self.entries_used]
        out += [("advice", a) for a in self.advice]
        out += [
            ("promise", SourcedLine(_promise_text(p, self.language), (*p.sources, *p.contact_sources)))
            for p in self.promises
        ]
        return out

    def render(self) -> str:
        heads = _HEADINGS[self.language if self.language == "ja" else "en"]
        parts: list[str] = []
        for section, head in heads.items():
            rows = [line.text for kind, line in self.lines() if kind == section]
            if rows:
                parts.append(head)
                parts.extend(f"・{r}" if self.language == "ja" else f"- {r}" for r in rows)
        return "\n".join(parts)

    def redacted(self, mask: Callable[[str], str]) -> StructuredWrapUp:
        """The same wrap-up with ``mask`` applied to every text (personal data typed or said in a line)."""

        def line(x: SourcedLine) -> SourcedLine:
            return SourcedLine(mask(x.text), x.sources)

        return replace(
            self,
            issues=tuple(replace(i, text=mask(i.text), title=mask(i.title)) for i in self.issues),
            facts=tuple(line(f) for f in self.facts),
            actions=tuple(line(a) for a in self.actions),
            advice=tuple(line(a) for a in self.advice),
            promises=tuple(replace(p, what=mask(p.what), contact=mask(p.contact)) for p in self.promises),
            disposition_reason=line(self.disposition_reason),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "language": self.language,
            "issues": [i.to_dict() for i in self.issues],
            "facts": [f.to_dict() for f in self.facts],
            "actions": [a.to_dict() for a in self.actions],
            "entries_used": [e.to_dict() for e in self.entries_used],
            "advice": [a.to_dict() for a in self.advice],
            "promises": [p.to_dict() for p in self.promises],
            "disposition": self.disposition.value,
            "disposition_reason": self.disposition_reason.to_dict(),
            "tags": list(self.tags),
            **({"source": self.source} if self.source else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> StructuredWrapUp:
        return cls(
            language=str(data.get("language", "")),
            issues=tuple(IssueLine.from_dict(i) for i in _records(data.get("issues"))),
            facts=tuple(SourcedLine.from_dict(f) for f in _records(data.get("facts"))),
            actions=tuple(SourcedLine.from_dict(a) for a in _records(data.get("actions"))),
            entries_used=tuple(SourcedLine.from_dict(e) for e in _records(data.get("entries_used"))),
            advice=tuple(SourcedLine.from_dict(a) for a in _records(data.get("advice"))),
            promises=tuple(PromiseLine.from_dict(p) for p in _records(data.get("promises"))),
            disposition=Disposition(str(data.get("disposition") or Disposition.RESOLVED)),
            disposition_reason=SourcedLine.from_dict(_record(data.get("disposition_reason"))),
            tags=_strings(data.get("tags")),
            source=str(data.get("source") or ""),
        )


_HEADINGS = {
    "ja": {
        "issue": "【用件】",
        "fact": "【状況】",
        "action": "【対応】",
        "advice": "【SVの助言】",
        "promise": "【約束・フォロー】",
    },
    "en": {
        "issue": "Issues:",
        "fact": "Facts:",
        "action": "Done:",
        "advice": "Supervisor's advice:",
        "promise": "Follow-ups:",
    },
}


def _promise_text(p: PromiseLine, language: str) -> str:
    if language == "ja":
        contact = f"／連絡方法: {p.contact}" if p.contact else ""
        return f"{p.what}（期限: {p.due_label}）{contact}"
    contact = f"; reach them: {p.contact}" if p.contact else ""
    return f"{p.what} (by {p.due_label}){contact}"


def due_label(day: date, language: str) -> str:
    """A due date as people read it, with its weekday: 2026年11月19日（木） / Thu 19 Nov 2026."""
    if language == "ja":
        return f"{day.year}年{day.month}月{day.day}日（{'月火水木金土日'[day.weekday()]}）"
    return f"{day:%a} {day.day} {day:%b %Y}"


# --- Japanese: from spoken polite forms to plain notes ---------------------------------------------------


@dataclass(slots=True)
class _Tok:
    surface: str
    pos: str
    sub: str
    infl_type: str
    infl_form: str
    base: str


def _tokens(text: str) -> list[_Tok]:
    out = []
    for t in janome_tokenizer().tokenize(text):
        pos = str(t.part_of_speech).split(",")
        out.append(_Tok(str(t.surface), pos[0], pos[1], str(t.infl_type), str(t.infl_form), str(t.base_form)))
    return out


_A_ROW = {
    "う": "わ",
    "く": "か",
    "ぐ": "が",
    "す": "さ",
    "つ": "た",
    "ぬ": "な",
    "ぶ": "ば",
    "む": "ま",
    "る": "ら",
}


def _ta_form(tok: _Tok) -> str:
    base, kind = tok.base, tok.infl_type
    if kind.startswith("一段") or base in ("いる", "れる", "られる", "せる", "させる"):
        return base[:-1] + "た"
    if kind.startswith("サ変"):
        return base[:-2] + "した"
    if kind.startswith("カ変"):
        return base[:-1] + "た" if base.endswith("来る") else base[:-2] + "きた"
    if kind.startswith("五段"):
        if base in ("行く", "いく"):
            return base[:-1] + "った"
        last = base[-1]
        if last == "く":
            return base[:-1] + "いた"
        if last == "ぐ":
            return base[:-1] + "いだ"
        if last == "す":
            return base[:-1] + "した"
        if last in "つるう":
            return base[:-1] + "った"
        if last in "ぬぶむ":
            return base[:-1] + "んだ"
    return tok.surface + "た"


def _negative(tok: _Tok) -> str:
    base, kind = tok.base, tok.infl_type
    if base == "ある":
        return "ない"
    if kind.startswith("一段") or base in ("いる", "れる", "られる"):
        return base[:-1] + "ない"
    if kind.startswith("サ変"):
        return base[:-2] + "しない"
    if kind.startswith("カ変"):
        return "こない"
    if kind.startswith("五段") and base[-1] in _A_ROW:
        return base[:-1] + _A_ROW[base[-1]] + "ない"
    return tok.surface + "ない"


_HUMBLE_JA = (
    (re.compile(r"(?:ん|の)?でしょう(?=か)"), ""),
    (re.compile(r"なんです(?=か)"), "なの"),
    (re.compile(r"(?<=[るたいぃうくすつぬむ])んです(?=か)"), "の"),
    (re.compile(r"(?:ん|の)?でしょう"), "だろう"),
    (re.compile(r"させていただ(?:き|け)ま"), "しま"),
    (re.compile(r"(?:いた|致)しま"), "しま"),
    (re.compile(r"申し上げま"), "しま"),
    (re.compile(r"差し上げま"), "しま"),
    (re.compile(r"(?:でございます|でございました)"), "です"),
    (re.compile(r"ございま"), "ありま"),
    (
        re.compile(
            r"[ごお](?=連絡|電話|確認|案内|報告|送付|返金|予約|返信|用意|手配|説明|相談|"
            r"調べ|送り|知らせ|伺い|待ち|届け|支払い|申し込み|申込|問い合わせ|手続き|見積)"
        ),
        "",
    ),
)
_TIME_WORDS_JA = re.compile(
    r"明後日|あさって|明日|あした|あす|本日中|今日中|本日|今日|後ほど|のちほど|しばらくして|"
    r"(?:来週|今週|週明け)(?:の|中に?)?(?:[月火水木金土日]曜日?)?(?:中に?|まで)?に?|[月火水木金土日]曜日?(?:まで)?に?|"
    r"\d+営業日(?:以内)?(?:に)?|\d+日以内に?|(?:午前|午後)(?:中)?に?|夕方(?:まで)?に?|までに"
)
_FEELING_JA = re.compile(
    "|".join(p.pattern for kind, lang, p in _EMOTIONS if lang == "ja") + r"|本当に|ほんとに|すごく|とても"
)
_FORMULA_JA = re.compile(
    "|".join(sorted((re.escape(f) for f in JA_FILLERS), key=len, reverse=True))
    + r"|もしもし|はい|ええ|いいえ|どうも|すみません|恐れ入りますが|失礼ですが|お世話になって(?:おり)?ます|"
    r"お待たせ(?:いた)?しました|よろしいでしょうか|(?:ご不便|ご迷惑|お手数|ご心配)[をの]?お?かけ(?:して|し|いたし(?:まして)?)?|"
    r"(?:誠に)?申し訳(?:ございません|ありません)(?:でした)?"
)


_ASKING_JA = frozenset(["いただける", "いただく", "もらえる", "もらう", "くださる", "下さる"])


def plain_ja(text: str, final: bool = True) -> str:
    """A Japanese clause in plain note form: polite, humble and explanatory endings become plain ones. A
    clause that is not ``final`` keeps its connecting て-form (確認して、…)."""
    for pattern, replacement in _HUMBLE_JA:
        text = pattern.sub(replacement, text)
    toks = _tokens(text)
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        after = toks[i + 2] if i + 2 < len(toks) else None
        if t.base == "ます" and t.pos == "助動詞" and out:
            prev = out[-1]
            if nxt is not None and nxt.base == "た":
                out[-1] = _Tok(_ta_form(prev), prev.pos, prev.sub, "", "", prev.base)
                i += 2
                continue
            if nxt is not None and nxt.surface == "ん":
                neg = _negative(prev)
                if after is not None and after.surface == "でし":
                    neg = neg[:-1] + "かった"
                    i += 2
                out[-1] = _Tok(neg, prev.pos, prev.sub, "", "", prev.base)
                i += 2
                continue
            out[-1] = _Tok(prev.base, prev.pos, prev.sub, "", "", prev.base)
            i += 1
            continue
        if t.base in _ASKING_JA and out and out[-1].surface in ("て", "で"):
            out.append(_Tok("ほしい", "形容詞", "自立", "", "", "ほしい"))
            break
        if t.base == "です" and t.pos == "助動詞":
            if t.surface == "でし" and nxt is not None and nxt.base == "た":
                out.append(_Tok("だった", "助動詞", "*", "", "", "だ"))
                i += 2
                continue
            i += 1
            continue
        out.append(t)
        i += 1
    # Drop what closes a spoken sentence but says nothing in a note: よ, ね, か, けど, explanatory ん/の.
    while out and (
        out[-1].pos in ("記号", "フィラー", "感動詞")
        or (out[-1].pos == "助詞" and out[-1].sub in ("終助詞", "接続助詞", "副助詞／並立助詞／終助詞"))
        or (out[-1].pos == "名詞" and out[-1].sub == "非自立" and out[-1].surface in ("ん", "の"))
    ):
        out.pop()
    if not final and text.rstrip().endswith(("て", "で")) and out and out[-1].pos in ("動詞", "形容詞"):
        out.append(_Tok(text.rstrip()[-1], "助詞", "接続助詞", "", "", ""))
    elif out and out[-1].pos in ("動詞", "形容詞") and out[-1].infl_form.startswith("連用"):
        last = out.pop()
        out.append(_Tok(last.base, last.pos, last.sub, "", "", last.base))
    result = "".join(t.surface for t in out)
    # 「切れてしまう」「切れてしまった」: the note keeps what happened, not the regret.
    result = re.sub(r"てしまう$", "る", result)
    result = re.sub(r"(?:て|で)しまった$", "た", result)
    result = re.sub(r"ちゃ(?:う|った)$", "た", result)
    return result.strip("、。 ")


# --- English: from what was said to a note -------------------------------------------------------------

_EN_OPENERS = re.compile(
    r"^(?:(?:also|and|but|so|well|um+|uh+|oh|okay|ok|right|actually|yes|yeah|no|hi|hello|alright|now|"
    r"and also|one more thing|another thing|by the way|certainly|sure|of course|absolutely)\b[,\s]*)+",
    re.IGNORECASE,
)
_EN_FORMULA = re.compile(
    r"^(?:thank you|thanks|you'?re welcome|have a (?:good|great|nice)|goodbye|bye|"
    r"(?:hello|hi),? this is|this is \w+(?: \w+)?$|my name is|how (?:can|may) i help|i understand|"
    r"i(?:'m| am) (?:so |very |really )?sorry|sorry about that|i see|got it|no problem|"
    r"is there anything else|okay|ok)\b",
    re.IGNORECASE,
)
_EN_FEELING = re.compile(
    "|".join(p.pattern for kind, lang, p in _EMOTIONS if lang == "en")
    + r"|\bi(?:'m| am) (?:really |so |very )?(?:upset|unhappy|angry|annoyed|frustrated)\b",
    re.IGNORECASE,
)
_EN_SUBJECT = (
    (re.compile(r"\bi(?:'d| would) like\b", re.I), "Customer wants"),
    (re.compile(r"\bi want\b", re.I), "Customer wants"),
    (re.compile(r"\bi need\b", re.I), "Customer needs"),
    (re.compile(r"\bi(?:'m| am)\b", re.I), "Customer is"),
    (re.compile(r"\bi was\b", re.I), "Customer was"),
    (re.compile(r"\bi(?:'ve| have)\b", re.I), "Customer has"),
    (re.compile(r"\bi can(?:'t|not)\b", re.I), "Customer cannot"),
    (re.compile(r"\bi (?:don'?t|do not)\b", re.I), "Customer does not"),
    (re.compile(r"\bi\b", re.I), "Customer"),
    (re.compile(r"\b(?:my|our)\b", re.I), "the"),
    (re.compile(r"\b(?:me|us)\b", re.I), "them"),
)
_EN_AGENT = (
    (
        re.compile(r"^(?:let me|i(?:'ll| will)|i(?:'m| am) going to|we(?:'ll| will)) (check|look)\b", re.I),
        r"Checked",
    ),
    (re.compile(r"^(?:let me|i(?:'ll| will)|we(?:'ll| will)) (\w+)", re.I), r"\1"),
    (re.compile(r"^i(?:'ve| have) (\w+)", re.I), r"\1"),
    (re.compile(r"^i (\w+ed)\b", re.I), r"\1"),
    (re.compile(r"\byour\b", re.I), "the"),
    (re.compile(r"\byou\b", re.I), "the customer"),
)
_TIME_WORDS_EN = re.compile(
    r"\s*\b(?:tomorrow|today|tonight|later(?: today)?|this (?:afternoon|evening|week)|next week|"
    r"(?:on|by) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"within (?:\d+|one|two|three) (?:business )?days?|in (?:\d+|an?|one) (?:hours?|days?)|shortly|"
    r"the day after tomorrow|first thing)\b",
    re.IGNORECASE,
)


def _sentence_en(text: str) -> str:
    text = " ".join(text.split()).strip(" ,;")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def note_en(clause: str) -> str:
    """A customer's English clause as a note about them (first person turned into the customer)."""
    text = _EN_OPENERS.sub("", clause.strip()).strip(" ,")
    for pattern, replacement in _EN_SUBJECT:
        text = pattern.sub(replacement, text)
    text = re.sub(r"\bthe the\b", "the", text)
    return _sentence_en(text)


def agent_note_en(clause: str) -> str:
    text = _EN_OPENERS.sub("", clause.strip()).strip(" ,")
    for pattern, replacement in _EN_AGENT:
        text = pattern.sub(replacement, text)
    text = re.sub(r"\bthe (line|router|account|bill|order) and the (\w+)", r"the \1 and \2", text)
    return _sentence_en(text)


# --- reading the transcript -----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=\.)\s+")
_ISSUE_JA = re.compile(
    r"切れ|つなが(?:ら|り?にく)|繋が(?:ら|り?にく)|届か|届いて(?:い)?な|使え(?:な|ませ)|でき(?:な|ませ)|壊れ|動か|遅い|遅く|"
    r"エラー|表示され|引き落と|請求|二重|返金|解約|変更|止ま|落ち|反応し|ログイン|パスワード|故障|不具合|"
    r"たい(?:の|ん|です|と|けど|が|$)|ほしい|欲しい|いただけ|もらえ|ください|教えて|知り|探して|予約|お願いでき"
)
_ISSUE_EN = re.compile(
    r"\b(?:keeps? \w+ing|drop\w*|disconnect\w*|charged|refund\w*|cancel\w*|can'?t|cannot|doesn'?t|won'?t|"
    r"isn'?t|not working|broken|error|stopped|slow|down|fail\w*|would like|want(?:ed)? to (?!say|thank|"
    r"let you know|tell you)|need(?:ed)? to|how (?:do|can) i|locked out|forgot|reset|bill(?:ed)? twice|"
    r"double charge|wrong|missing|never (?:arrived|came))\b",
    re.IGNORECASE,
)
_REQUEST_JA = re.compile(r"たい|ほしい|欲しい|いただけ|もらえ|ください|教えて|知り|探して|予約|お願い|か$")
_REQUEST_EN = re.compile(
    r"\b(?:would like|wants?|needs?|how (?:do|can)|could you|can you|please)\b|\?$", re.I
)
_REFERS_BACK = re.compile(r"^(?:そこ|その|それ|そちら|こちら|あちら|そっち)|^(?:there|that one|it)\b", re.I)
_ASKS_CUSTOMER = re.compile(
    r"ください|下さい|いただけ|お願いします|\bplease\b|\bcould you\b|\bcan you\b", re.I
)
_SHIFT_JA = re.compile(
    r"^(?:それと|あと|また|ところで|別件|もう一つ|もうひとつ|それから|あと一つ|それに|加えて)"
)
_SHIFT_EN = re.compile(
    r"^(?:also|and also|another thing|one more thing|besides|by the way|on top of that|secondly|second)\b",
    re.I,
)
_REPEAT_JA = re.compile(r"(?:もう|これで)?([二三四五六七八九十2-9]|\d+|何)(?:回|度)目")
_REPEAT_EN = re.compile(
    r"\b(second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time\b|\b(?:called|calling)\b.*\b(twice|three times|"
    r"several times|many times)\b",
    re.IGNORECASE,
)
_SINCE_JA = re.compile(
    r"(?:毎晩|毎日|毎朝|夜になると|夜間|(?:昨日|先週|先月|今朝|今月|月曜|火曜|水曜|木曜|金曜|土曜|日曜)(?:から|以降)?|"
    r"数日前|(?:\d+|[一二三四五六七八九十]+)(?:日|週間|か月|ヶ月)(?:前|くらい前|ほど前)(?:から)?|"
    r"(?:\d+|[一二三四五六七八九十]+)(?:日間|週間|か月|ヶ月)(?:くらい|ほど)?(?:ずっと)?)"
)
_SINCE_EN = re.compile(
    r"\b(?:every (?:evening|night|day|morning)|since (?:\w+ ?){1,3}|for (?:the (?:last|past) )?(?:\d+|a|two|"
    r"three|several|a few) (?:days?|weeks?|months?)|last (?:month|week|night|bill)|yesterday|this morning|"
    r"in the evenings?|at night)\b",
    re.IGNORECASE,
)
_TRIED_JA = re.compile(r"てみ(?:た|まし)|試し|やってみ|既に|すでに|もう(?:再起動|確認|試)")
_TRIED_EN = re.compile(
    r"\b(?:i(?:'ve| have)? (?:already )?tried|already (?:\w+ed|tried)|restarted|rebooted)\b", re.I
)
_IMPACT_JA = re.compile(r"仕事|業務|在宅|会議|使えな|できな|支障|影響|売上|お客さん")
_IMPACT_EN = re.compile(
    r"\b(?:work from home|my work|my business|meetings?|customers|lost|can'?t work)\b", re.I
)
_ACTION_JA = re.compile(
    r"確認|調べ|手配|案内|送付|送り|再起動|設定|変更|申請|登録|返金|説明|予約|照会|検索|記録|伝え|修正|取り消|停止"
)
_ACTION_EN = re.compile(
    r"\b(?:check\w*|look(?:ed|ing)? (?:into|up|at)|verif\w+|confirm\w*|reset|restart\w*|sent|send|book\w*|"
    r"schedul\w+|fil(?:e|ed)|refund\w*|escalat\w+|transferr?\w*|updat\w+|cancel\w*|appl(?:y|ied)|credit\w*|"
    r"explain\w*|walk\w* (?:you )?through|open\w* a ticket|rais\w+ a ticket)\b",
    re.IGNORECASE,
)
_ESCALATE = re.compile(
    r"上の者|責任者に|担当部署|専門部署|エスカレ|引き継ぎ|escalat\w+|transfer you|my supervisor will|"
    r"specialist will|hand (?:this|it) over",
    re.IGNORECASE,
)
_RESOLVED = re.compile(
    r"直りました|直った|つながりました|繋がりました|解決|できました|使えるようになり|works (?:now|great|fine|"
    r"well)|working now|"
    r"that (?:worked|fixed it)|it'?s fixed|problem solved|all (?:good|set)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Sentence:
    segment_id: str
    channel: str
    text: str
    start: float


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\u3000", " ").strip()


_JA_GAP = re.compile(r"(?<=[\u3040-\u30ff\u4e00-\u9fff）」])\s+(?=[\u3040-\u30ff\u4e00-\u9fff（「])")


def split_japanese(text: str) -> list[str]:
    """Sentences of Japanese as a recogniser writes it: 。！？, a space between Japanese words, or (where it
    wrote no punctuation at all) a polite or final ending followed by a new word (「困っているんですこの件
    で」)."""
    out: list[str] = []
    for chunk in _JA_GAP.split(text):
        current = ""
        toks = _tokens(chunk)
        for n, tok in enumerate(toks):
            current += tok.surface
            nxt = toks[n + 1] if n + 1 < len(toks) else None
            ends = tok.surface in ("。", "！", "？", "!", "?") or (
                (
                    (tok.pos == "助動詞" and tok.base in ("です", "ます") and tok.infl_form == "基本形")
                    or (tok.pos == "助詞" and tok.sub.endswith("終助詞") and tok.surface in ("よ", "ね"))
                    # 「…ますか」 asks; 「早められるか確認して」 does not end there.
                    or (tok.surface == "か" and n > 0 and toks[n - 1].base in ("です", "ます"))
                )
                and nxt is not None
                and nxt.pos not in ("助詞", "助動詞", "記号")
            )
            if ends:
                out.append(current.strip())
                current = ""
        if current.strip():
            out.append(current.strip())
    # A clause left hanging on its て-form (「確認して」 then a space) goes on into the next sentence.
    merged: list[str] = []
    for part in (x for x in out if x):
        if merged and re.search(r"[てで]$", merged[-1]):
            merged[-1] += "、" + part
        else:
            merged.append(part)
    return merged


def _sentences(segments: Sequence[Segment]) -> list[_Sentence]:
    out = []
    for s in sorted(segments, key=lambda s: s.start):
        text = _clean(s.text)
        parts = split_japanese(text) if detect_language(text) == "ja" else _SENTENCE_END.split(text)
        for part in parts:
            part = part.strip()
            if part:
                out.append(_Sentence(s.segment_id, s.channel, part, s.start))
    return out


def _strip_ja(sentence: str) -> str:
    """A Japanese sentence without fillers, formulae and clauses of feeling, in plain note form (the last
    clause ends in a plain form, the others keep their connecting form); '' when nothing is left."""
    kept = []
    question = _is_question(sentence)
    for clause in (c for part in re.split(r"[、,]", sentence) for c in _te_clauses(part)):
        clause = _SHIFT_JA.sub("", _FORMULA_JA.sub("", clause).strip(" 。！？!?")).strip()
        if len(clause) <= 1 or re.fullmatch(r"[ぁ-んー]{1,2}", clause):
            continue  # 「あ」「ほら」: a sound, not a clause
        if _FEELING_JA.search(clause):
            # A clause of feeling goes; one that also names the trouble keeps the trouble.
            rest = _FEELING_JA.sub("", clause)
            if not _ISSUE_JA.search(rest):
                continue
            clause = _FEELING_WORDS_JA.sub("", clause)
        kept.append(clause)
    notes = [plain_ja(c, final=n == len(kept) - 1) for n, c in enumerate(kept)]
    notes = [n for n in notes if n]
    if question and notes and not re.search(r"(?:か|ほしい|たい)$", notes[-1]):
        notes[-1] += "のか" if notes[-1].endswith("な") else "か"
    return "、".join(notes)


_AUXILIARY_VERBS = frozenset(
    [
        "いる",
        "しまう",
        "みる",
        "おく",
        "くる",
        "いく",
        "ある",
        "もらう",
        "くれる",
        "あげる",
        "いただく",
        "いただける",
    ]
)


def _te_clauses(text: str) -> list[str]:
    """Split where a て-form clause ends and a new one begins without a comma (「切れてしまって本当に困って
    いる」 -> 「切れてしまって」「本当に困っている」); not before a helping verb (返していただけ…)."""
    toks = _tokens(text)
    out, current = [], ""
    for n, tok in enumerate(toks):
        current += tok.surface
        nxt = toks[n + 1] if n + 1 < len(toks) else None
        if (
            tok.surface in ("て", "で")
            and tok.pos == "助詞"
            and nxt is not None
            and nxt.pos in ("副詞", "名詞", "連体詞", "接続詞", "接頭詞")
            and nxt.base not in _AUXILIARY_VERBS
        ):
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def _is_question(text: str) -> bool:
    return bool(
        re.search(r"(?:[?？]|でしょうか|ですか|ますか|ませんか|(?<=[るいた])か)[。.]?\s*$", text.strip())
    )


def _strip_en(sentence: str) -> list[str]:
    clauses = re.split(r",\s*(?:and|but)\s+|\s+(?:and|but)\s+(?=i\b|it\b|we\b)|;\s*", sentence, flags=re.I)
    out = []
    for clause in clauses:
        clause = _EN_OPENERS.sub("", clause.strip(" .!?,")).strip(" ,")
        if (
            not clause
            or _EN_FORMULA.match(clause)
            or (_EN_FEELING.search(clause) and not _ISSUE_EN.search(clause))
        ):
            continue
        out.append(clause)
    return out


def _is_intro(text: str, language: str) -> bool:
    if language == "ja":
        return bool(re.fullmatch(r"\S{1,12}(?:です|と申します|でございます)", text)) or "と申します" in text
    return bool(re.match(r"^(?:this is|my name is|it'?s) [A-Z]?\w+(?: \w+)?$", text, re.I))


def _content_nouns(text: str) -> set[str]:
    return {
        t.base
        for t in _tokens(text)
        if t.pos == "名詞" and t.sub in ("一般", "固有名詞", "サ変接続") and len(t.base) >= 2
    }


def _en_content(text: str) -> set[str]:
    from assist.text import EN_STOP

    return {stem(w) for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3 and w not in EN_STOP}


# --- contact preference ---------------------------------------------------------------------------------

# (patterns, Japanese label, English label)
_CHANNELS = (
    (re.compile(r"携帯|ケータイ|スマホ|\b(?:mobile|cell(?:phone)?)\b", re.I), "携帯", "mobile"),
    (re.compile(r"固定電話|自宅の電話|\blandline\b|home phone", re.I), "固定電話", "landline"),
    (re.compile(r"メール|\be-?mail\b", re.I), "メール", "email"),
    (re.compile(r"SMS|ショートメール|\btext message\b|\btext me\b", re.I), "SMS", "text message"),
)
_WINDOWS = (
    (re.compile(r"夕方以降|夕方から|\bevenings?\b|after (?:5|five)", re.I), "夕方以降", "evenings"),
    (re.compile(r"夜(?:なら|に|の方)|\bat night\b", re.I), "夜", "at night"),
    (re.compile(r"午前中|\bmornings?\b", re.I), "午前中", "mornings"),
    (re.compile(r"午後|\bafternoons?\b", re.I), "午後", "afternoons"),
    (re.compile(r"平日|\bweekdays?\b", re.I), "平日", "weekdays"),
    (re.compile(r"土日|週末|\bweekends?\b", re.I), "土日", "weekends"),
)
_CLOCK = re.compile(
    r"(\d{1,2})時(以降|から|まで|以前)|\b(after|before) (\d{1,2}) ?(am|pm)(?: ([A-Z][a-z]+))?", re.I
)
_CONTACT_CUE = re.compile(
    r"折り返し|連絡|出やすい|出られ|出れ|つながりやすい|希望|かけて|お願い|\bplease\b|\bcall(?:ed)?\b|\breach\b|"
    r"\bcontact\b|\bprefer\w*\b|\bbest\b|\bfollow-?ups?\b|\bring\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class ContactPreference:
    channels: tuple[tuple[str, str], ...]
    windows: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]

    def label(self, language: str) -> str:
        pick = 0 if language == "ja" else 1
        items = [c[pick] for c in self.channels] + [w[pick] for w in self.windows]
        return ("・" if language == "ja" else ", ").join(unique(items))


def contact_preference(
    customer: Customer | None, notes: Sequence[Note], sentences: Sequence[tuple[str, str]]
) -> ContactPreference:
    """How the customer wants to be reached, from what they said in the call (``(segment_id, text)``, said
    last wins first place), their notes and their traits. Only sentences about being contacted count:
    「固定電話は事務所のみ」 names a phone but is no wish."""
    found_channels: list[tuple[str, str]] = []
    found_windows: list[tuple[str, str]] = []
    sources: list[str] = []
    texts: list[tuple[str, str]] = [*reversed(sentences)]
    texts += [(f"note:{n.id}", n.text) for n in notes]
    if customer is not None:
        texts += [(f"trait:{t}", t) for t in customer.traits]
    for source, text in texts:
        for part in re.split(r"[。.!?！？]\s*", text):
            if not _CONTACT_CUE.search(part):
                continue
            hit = False
            for pattern, ja, en in _CHANNELS:
                if pattern.search(part) and (ja, en) not in found_channels:
                    found_channels.append((ja, en))
                    hit = True
            for pattern, ja, en in _WINDOWS:
                if pattern.search(part) and (ja, en) not in found_windows:
                    found_windows.append((ja, en))
                    hit = True
            m = _CLOCK.search(part)
            if m:
                if m.group(1):
                    hour, rel = int(m.group(1)), m.group(2)
                    ja = f"{hour}時{rel}"
                    en = f"{'after' if rel in ('以降', 'から') else 'before'} {hour}:00"
                else:
                    ja_rel = "以降" if m.group(3).lower() == "after" else "まで"
                    hour24 = int(m.group(4)) % 12 + (12 if m.group(5).lower() == "pm" else 0)
                    zone = f" {m.group(6)}" if m.group(6) else ""
                    ja = f"{hour24}時{ja_rel}{zone}"
                    en = f"{m.group(3).lower()} {m.group(4)} {m.group(5).lower()}{zone}"
                if (ja, en) not in found_windows:
                    found_windows.append((ja, en))
                    hit = True
            if hit:
                sources.append(source)
    return ContactPreference(tuple(found_channels[:2]), tuple(found_windows[:2]), tuple(unique(sources)))


# --- the wrap-up ---------------------------------------------------------------------------------------

_ENTRY_FLOOR = 0.2  # half the live cards' threshold: a sentence alone carries fewer words than a conversation


def _best_entry(ranked: Iterable[tuple[str, float]]) -> str:
    """The entry a sentence is about: the best one when it is clearly ahead of the next (twice its score)."""
    scored = sorted(ranked, key=lambda r: r[1], reverse=True)
    if not scored or scored[0][1] < _ENTRY_FLOOR:
        return ""
    if len(scored) > 1 and scored[0][1] < 2 * scored[1][1]:
        return ""
    return scored[0][0]


Classify = Callable[[str], Sequence[tuple[str, float]]]
"""Knowledge entries (id, score) that fit a text, best first."""


@dataclass(slots=True)
class _Issue:
    texts: list[str]
    sources: list[str]
    entry_id: str
    nouns: set[str]


def _tags(entries: Iterable[KnowledgeEntry], said: str, language: str) -> list[str]:
    """Tags of the issues' entries that are in the UI's language and were actually said."""
    heard = normalize(said)
    heard_stems = {stem(w) for w in re.findall(r"[a-z]+", heard)}
    tags: list[str] = []
    for entry in entries:
        for tag in entry.tags:
            norm = normalize(tag)
            if detect_language(tag) != language and not (language == "en" and norm.isascii()):
                continue
            if language == "ja" and detect_language(tag) != "ja":
                continue
            if detect_language(tag) == "ja":
                if norm in heard:
                    tags.append(tag)
            elif {stem(w) for w in re.findall(r"[a-z]+", norm)} <= heard_stems:
                tags.append(tag)
    return unique(tags)


def build_wrap_up(
    segments: Sequence[Segment],
    language: str,
    today: date,
    *,
    classify: Classify | None = None,
    entry: Callable[[str], KnowledgeEntry | None] = lambda _id: None,
    used_entries: Sequence[str] = (),
    whispers: Sequence[WhisperRecord] = (),
    customer: Customer | None = None,
    notes: Sequence[Note] = (),
) -> StructuredWrapUp:
    """The structured wrap-up of a call from its kept transcript (``segments``, channels agent/customer)."""
    lang = (
        language if language in ("ja", "en") else detect_language(" ".join(s.text for s in segments) or "a")
    )
    sentences = _sentences(segments)
    issues: list[_Issue] = []
    facts: list[SourcedLine] = []
    actions: list[SourcedLine] = []
    promises: list[PromiseLine] = []
    customer_said: list[tuple[str, str]] = []
    disposition_reason = SourcedLine("")
    escalated: SourcedLine | None = None
    resolved: SourcedLine | None = None
    first_note: SourcedLine | None = None  # what the call was about when no issue was raised
    asked = False  # the agent's last words asked the customer something
    answer_to = ""  # the customer's line that answers it

    def fact(text: str, source: str) -> None:
        if text and all(f.text != text for f in facts):
            facts.append(SourcedLine(text, (source,)))

    for s in sentences:
        raw = s.text
        if s.channel == "customer":
            if asked:
                answer_to, asked = s.segment_id, False
            customer_said.append((s.segment_id, raw))
            if _RESOLVED.search(raw):
                resolved = SourcedLine(raw, (s.segment_id,))
            repeat = (_REPEAT_JA if lang == "ja" else _REPEAT_EN).search(raw)
            if repeat:
                if lang == "ja":
                    count = repeat.group(1)
                    fact(
                        f"この件の問い合わせは{count}回目" if count != "何" else "同じ件で何度も問い合わせ",
                        s.segment_id,
                    )
                elif repeat.group(1):
                    fact(f"This is the customer's {repeat.group(1).lower()} call about it.", s.segment_id)
                else:
                    fact(f"Customer has called about this {repeat.group(2).lower()}.", s.segment_id)
                continue
            clauses = [_strip_ja(raw)] if lang == "ja" else _strip_en(raw)
            for clause in clauses:
                if not clause or _is_intro(clause, lang):
                    continue
                is_issue = bool((_ISSUE_JA if lang == "ja" else _ISSUE_EN).search(clause)) or _is_question(
                    raw
                )
                note = clause if lang == "ja" else note_en(clause)
                if not note or len(note) < 4:
                    continue
                if first_note is None:
                    first_note = SourcedLine(note, (s.segment_id,))
                if (_TRIED_JA if lang == "ja" else _TRIED_EN).search(clause):
                    fact(("試したこと: " if lang == "ja" else "Already tried: ") + note, s.segment_id)
                    continue
                since = (_SINCE_JA if lang == "ja" else _SINCE_EN).search(clause)
                problem = bool((_ISSUE_JA if lang == "ja" else _ISSUE_EN).search(clause))
                if since and problem:
                    when = since.group(0)
                    fact(("発生: " if lang == "ja" else "Since/when: ") + when, s.segment_id)
                if (_IMPACT_JA if lang == "ja" else _IMPACT_EN).search(clause) and problem:
                    fact(("影響: " if lang == "ja" else "Impact: ") + note, s.segment_id)
                if not is_issue:
                    continue
                shift = bool((_SHIFT_JA if lang == "ja" else _SHIFT_EN).search(raw))
                entry_id = _best_entry(classify(clause)) if classify is not None else ""
                nouns = _content_nouns(clause) if lang == "ja" else _en_content(clause)
                current = issues[-1] if issues else None
                if current is None or shift:
                    same = False
                elif (
                    s.segment_id in current.sources
                    or _REFERS_BACK.search(clause)
                    or (s.segment_id == answer_to and entry_id in ("", current.entry_id))
                ):
                    same = True  # more of the same turn, or an answer to the agent's question: a detail
                elif entry_id and current.entry_id:
                    same = entry_id == current.entry_id
                elif entry_id:
                    same = False
                else:
                    # No entry fits: a new problem starts a new issue; a question or request is a detail.
                    same = not (
                        problem and not (_REQUEST_JA if lang == "ja" else _REQUEST_EN).search(clause)
                    ) or bool(nouns & current.nouns)
                if current is not None and same:
                    if len(current.texts) < 2 and note not in current.texts:
                        current.texts.append(note)
                    current.sources.append(s.segment_id)
                    current.nouns |= nouns
                    current.entry_id = current.entry_id or entry_id
                else:
                    issues.append(_Issue([note], [s.segment_id], entry_id, set(nouns)))
            continue
        # The agent's lines: promises, escalations, what was done.
        asked = _is_question(raw) or bool(_ASKS_CUSTOMER.search(raw))
        if _ESCALATE.search(raw):
            escalated = SourcedLine(raw, (s.segment_id,))
        promise = find_promise(raw, today)
        if promise is not None:
            what = _promise_what(raw, lang)
            if what:
                day = due_date(raw, today)
                promises.append(
                    PromiseLine(what, day.isoformat(), due_label(day, lang), sources=(s.segment_id,))
                )
            continue
        if (
            (_ACTION_JA if lang == "ja" else _ACTION_EN).search(raw)
            and not _is_question(raw)
            and not _ASKS_CUSTOMER.search(raw)
        ):
            note = _action_note(raw, lang)
            if note and all(a.text != note for a in actions):
                actions.append(SourcedLine(note, (s.segment_id,)))

    advice = [
        SourcedLine(_advice_note(w.text, lang), (w.segment_id,) if w.segment_id else ()) for w in whispers
    ]
    advice = [a for a in advice if a.text]

    contact = contact_preference(customer, notes, customer_said)
    if contact.channels or contact.windows:
        promises = [
            PromiseLine(
                p.what,
                p.due,
                p.due_label,
                contact.label(lang),
                p.sources,
                tuple(c for c in contact.sources),
            )
            for p in promises
        ]

    issue_lines = []
    entries: list[KnowledgeEntry] = []
    for issue in issues:
        known = entry(issue.entry_id) if issue.entry_id else None
        if known is not None:
            entries.append(known)
        joiner = "。" if lang == "ja" else " "
        text = joiner.join(issue.texts)
        title = known.title if known is not None and detect_language(known.title) == lang else issue.texts[0]
        issue_lines.append(IssueLine(text, title.rstrip("。."), tuple(unique(issue.sources)), issue.entry_id))
    if not issue_lines and first_note is not None:
        issue_lines.append(IssueLine(first_note.text, first_note.text.rstrip("。."), first_note.sources))
    used: list[SourcedLine] = []
    for entry_id in unique(used_entries):
        known = entry(entry_id)
        if known is not None:
            # Linked to the lines of the issue it answered, when one did.
            where = [s for i in issue_lines if i.entry_id == entry_id for s in i.sources]
            used.append(SourcedLine(known.title, tuple(where)))

    if escalated is not None:
        disposition = Disposition.ESCALATED
        disposition_reason = escalated
    elif promises:
        disposition = Disposition.FOLLOW_UP
        disposition_reason = SourcedLine(promises[0].what, promises[0].sources)
    elif resolved is not None or not issue_lines:
        disposition = Disposition.RESOLVED
        disposition_reason = resolved or SourcedLine("")
    else:
        # Nothing left open that the call shows: resolved unless the agent says otherwise.
        disposition = Disposition.RESOLVED
        disposition_reason = actions[0] if actions else SourcedLine("")

    said = " ".join(s.text for s in segments)
    return StructuredWrapUp(
        language=lang,
        issues=tuple(issue_lines),
        facts=tuple(facts),
        actions=tuple(actions),
        entries_used=tuple(used),
        advice=tuple(advice),
        promises=tuple(promises),
        disposition=disposition,
        disposition_reason=SourcedLine(
            _sanitize_reason(disposition_reason.text, lang), disposition_reason.sources
        ),
        tags=tuple(_tags(entries, said, lang)),
    )


def _sanitize_reason(text: str, lang: str) -> str:
    if not text:
        return ""
    return _strip_ja(text) if lang == "ja" and detect_language(text) == "ja" else text


def _promise_what(sentence: str, lang: str) -> str:
    if lang == "ja":
        text = _TIME_WORDS_JA.sub("", _FORMULA_JA.sub("", sentence))
        text = re.sub(r"、(?=、)|^、|、$", "", text)
        return _strip_ja(text)
    text = _EN_OPENERS.sub("", sentence.strip())
    text = re.sub(r"^(?:i(?:'ll| will)|we(?:'ll| will)|let me|i(?:'m| am) going to)\s+", "", text, flags=re.I)
    text = _TIME_WORDS_EN.sub("", text)
    text = re.sub(r"\byour\b", "the", text, flags=re.I)
    text = re.sub(r"\byou\b", "the customer", text, flags=re.I)
    return _sentence_en(text)


def _action_note(sentence: str, lang: str) -> str:
    if lang == "ja":
        text = _strip_ja(sentence)
        if not text:
            return ""
        note = text
        # 「確認する」 -> 「確認」: what the agent did, as a note.
        return re.sub(r"(?<=[\u4e00-\u9fff])する$", "", note)
    parts = _strip_en(sentence)
    return " ".join(agent_note_en(p) for p in parts if _ACTION_EN.search(p))


def _advice_note(text: str, lang: str) -> str:
    text = _clean(text)
    if detect_language(text) == "ja":
        parts = [_strip_ja(p) for p in re.split(r"(?<=[。！？])", text) if p.strip()]
        parts = [re.sub(r"(?<=[\u4e00-\u9fff])(?:して)?ほしい$", "", p) for p in parts if p]
        return "。".join(p for p in parts if p)
    text = re.sub(r"\bplease\b\s*", "", text, flags=re.I).strip()
    return _sentence_en(text)


def copied_utterances(wrap: StructuredWrapUp, segments: Sequence[Segment]) -> list[str]:
    """Lines of the wrap-up that repeat a transcript sentence as it was said (what a wrap-up must not do)."""

    def key(text: str) -> str:
        return re.sub(r"[\s、。,.!?！？・]", "", normalize(text))

    said = {key(s.text) for s in _sentences(segments) if len(key(s.text)) >= 6}
    said |= {key(s.text) for s in segments if len(key(s.text)) >= 6}
    return [line.text for _kind, line in wrap.lines() if any(k in key(line.text) for k in said)]


# --- stored with the call ------------------------------------------------------------------------------


def save_structured(store: Store, call_id: str, wrap: StructuredWrapUp) -> None:
    """Keep the proposed wrap-up (with its sources) beside the call; its main issue is the call's topic."""
    import json

    ensure_dynamics_schema(store)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO call_wrapups(call_id, language, main_issue, structured) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(call_id) DO UPDATE SET language = excluded.language, main_issue = "
            "excluded.main_issue, structured = excluded.structured",
            (call_id, wrap.language, wrap.main_issue, json.dumps(wrap.to_dict(), ensure_ascii=False)),
        )


def load_structured(store: Store, call_id: str) -> StructuredWrapUp | None:
    import json

    ensure_dynamics_schema(store)
    row = store.conn.execute("SELECT structured FROM call_wrapups WHERE call_id = ?", (call_id,)).fetchone()
    return StructuredWrapUp.from_dict(json.loads(row[0])) if row else None
