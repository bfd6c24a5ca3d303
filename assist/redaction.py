"""Removing payment cards, security codes and My Number from what customers say, before anything keeps it.

Customers read their card number aloud; the recogniser writes it as digits ("4111 1111 ...", 「4111の1111」)
or as words ("four one one one", 「よんいちいちいち」). Whatever the form, the raw value must never reach a
table, an FTS index, a log line or the team server. So every final and partial transcript line goes through
``Redactor.redact`` first, and only its output travels on.

What is redacted:
* card numbers: 13-19 digits (written, full-width, or spoken in Japanese or English, grouped in any way)
  that pass the Luhn check; and, once a card number was mentioned in the last few lines, any further run of
  4+ digits (a number read out over two utterances arrives in pieces that cannot pass Luhn alone);
* security codes: 3-4 digits near "security code", "CVV/CVC", 「セキュリティコード」「裏の3桁」;
* My Number: 12 digits with a valid check digit, or any 12 digits near 「マイナンバー」「個人番号」;
* email addresses and phone numbers (on by default; the policy can keep them). A phone number is caught
  however it was written: grouped digits ("090-1234-5678"), digits joined by 「の」 (「090の1234の5678」),
  kanji numerals (「〇九〇…」) or spoken words ("zero nine zero ..."): 10-11 digits that start with 0 (how
  every Japanese number and most numbers read out domestically begin), or 7-15 digits right after a word
  that says it is a phone number (「電話」「携帯」「連絡先」, "phone", "mobile", "call me back on").
  Digits read out in katakana (「ゼロキュウゼロ イチニサンヨン…」, also mixed with other forms) count only
  towards a phone number: 10-11 digits starting with 0 (ゼロ, レイ). Katakana readings are also pieces of
  ordinary words (イチゴ, サンプル, ゴール), which never make such a run (tests/bench/bench_kana_phones.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum


class PiiKind(StrEnum):
    CARD = "card"
    SECURITY_CODE = "security_code"
    MY_NUMBER = "my_number"
    EMAIL = "email"
    PHONE = "phone"


PLACEHOLDER = {
    PiiKind.CARD: "[CARD]",
    PiiKind.SECURITY_CODE: "[CODE]",
    PiiKind.MY_NUMBER: "[MY NUMBER]",
    PiiKind.EMAIL: "[EMAIL]",
    PiiKind.PHONE: "[PHONE]",
}


@dataclass(frozen=True, slots=True)
class RedactionPolicy:
    """What is masked besides card numbers, security codes and My Number (always masked). Email addresses and
    phone numbers spoken in a call are masked too by default: the customer's own contact details are in their
    record already, and a line is stored, shown to followers and exported."""

    emails: bool = True
    phones: bool = True
    # How many following lines stay suspicious after a card number was mentioned.
    card_context_lines: int = 3


@dataclass(frozen=True, slots=True)
class Redacted:
    text: str
    kinds: tuple[PiiKind, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


# Spoken digit words. Order matters: longer readings first so 「きゅう」 wins over 「く」.
_JA_DIGITS = {
    "ゼロ": "0",
    "ぜろ": "0",
    "れい": "0",
    "零": "0",
    "〇": "0",
    "まる": "0",
    "いち": "1",
    "一": "1",
    "いっ": "1",
    "に": "2",
    "二": "2",
    "にー": "2",
    "さん": "3",
    "三": "3",
    "よん": "4",
    "四": "4",
    "し": "4",
    "よ": "4",
    "ご": "5",
    "五": "5",
    "ごー": "5",
    "ろく": "6",
    "六": "6",
    "ろっ": "6",
    "なな": "7",
    "七": "7",
    "しち": "7",
    "はち": "8",
    "八": "8",
    "はっ": "8",
    "きゅう": "9",
    "九": "9",
    "きゅー": "9",
    "く": "9",
}
_EN_DIGITS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "for": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "to": "2",
    "too": "2",
}
# Katakana readings (ゼロ is read with the others above). Only a phone number is looked for with them.
_KANA_DIGITS = {
    "レイ": "0",
    "イチ": "1",
    "イッ": "1",
    "ニー": "2",
    "ニ": "2",
    "サン": "3",
    "ヨン": "4",
    "シ": "4",
    "ゴー": "5",
    "ゴ": "5",
    "ロク": "6",
    "ロッ": "6",
    "ナナ": "7",
    "シチ": "7",
    "ハチ": "8",
    "ハッ": "8",
    "キュウ": "9",
    "キュー": "9",
    "ク": "9",
}
_WITH_KANA_DIGITS = _JA_DIGITS | _KANA_DIGITS


def _alternatives(words: dict[str, str]) -> str:
    return "|".join(sorted((re.escape(k) for k in words), key=len, reverse=True))


_JA_DIGIT_RE = _alternatives(_JA_DIGITS)
# ASCII-letter boundaries, not \b: Japanese text may touch an English word ("sixで") without a space.
_EN_WORD_RE = (
    r"(?<![A-Za-z])(?:zero|oh|o|one|two|three|four|five|six|seven|eight|nine|double|triple|for|to|"
    r"too)(?![A-Za-z])"
)
# A digit "token": a numeral, a Japanese reading, or an English word, optionally in katakana reading.
_TOKEN = re.compile(rf"\d|{_EN_WORD_RE}|{_JA_DIGIT_RE}", re.IGNORECASE)
# The same with katakana readings, for phone numbers only.
_KANA_TOKEN = re.compile(rf"\d|{_EN_WORD_RE}|{_alternatives(_WITH_KANA_DIGITS)}", re.IGNORECASE)
# What may sit between digits of one number: spaces, hyphens, dots, commas, Japanese 「の」 and small pauses.
_GAP = re.compile(r"^[\s\-‐-―ー.,、。・/の]*$")
_MAX_GAP = 4

_CARD_CONTEXT = re.compile(r"(?i)card|カード|クレジット|credit|visa|mastercard|amex|アメックス|ビザ|マスター")
_CODE_CONTEXT = re.compile(
    r"(?i)security code|cvv|cvc|cv2|verification code|three digits on the back|セキュリティ[ー・ ]?コード|"
    r"裏面?の(?:3|三|３)桁|裏の数字|暗証番号|pin"
)
_MY_NUMBER_CONTEXT = re.compile(r"(?i)マイナンバー|個人番号|my number")
_PHONE_CONTEXT = re.compile(
    r"(?i)電話|携帯|連絡先|ケータイ|でんわ|phone|mobile|cell|call (?:me|us)(?: back)?(?: on| at)?|reach me"
)
# Addresses are ASCII once NFKC has folded full-width letters. The lookbehind makes one start where such a run
# starts (not inside it: a long run would be rescanned from every position), and Japanese before it
# (「メールはtaro@...」) is not taken into the address.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+?\d[\d\s\-()]{8,}\d)(?!\d)")


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def my_number_ok(digits: str) -> bool:
    """The check digit of a 12-digit Japanese individual number (My Number)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = [int(c) for c in digits[:11]]
    total = 0
    for n in range(1, 12):
        p = body[11 - n]
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    remainder = total % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return check == int(digits[11])


@dataclass
class _Run:
    start: int
    end: int
    digits: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)


def _digit_runs(
    text: str, token: re.Pattern[str] = _TOKEN, readings: dict[str, str] = _JA_DIGITS
) -> list[_Run]:
    """Maximal stretches of digit tokens (written or spoken) separated only by small gaps."""
    runs: list[_Run] = []
    current: _Run | None = None
    repeat = 1
    for m in token.finditer(text):
        word = m.group(0).lower()
        if word in ("double", "triple"):
            repeat = 2 if word == "double" else 3
            if (
                current is not None
                and _GAP.match(text[current.end : m.start()])
                and m.start() - current.end <= _MAX_GAP
            ):
                current.end = m.end()
            continue
        digit = word if word.isdigit() else _EN_DIGITS.get(word) or readings.get(m.group(0), "")
        if not digit:
            continue
        gap = text[current.end : m.start()] if current else ""
        if current is not None and m.start() - current.end <= _MAX_GAP and _GAP.match(gap):
            current.end = m.end()
            current.digits += digit * repeat
        else:
            current = _Run(m.start(), m.end(), digit * repeat)
            runs.append(current)
        current.spans.append((m.start(), m.end(), digit))
        repeat = 1
    # Spoken fragments like 「に」 alone are ordinary words; only real numbers matter.
    return [r for r in runs if len(r.digits) >= 3]


class Redactor:
    """Redacts one call's lines in order; remembers a recent card mention to catch numbers split over
    lines."""

    def __init__(self, policy: RedactionPolicy | None = None) -> None:
        self.policy = policy or RedactionPolicy()
        self._card_context_left = 0

    def redact(self, text: str, *, remember: bool = True) -> Redacted:
        """The text with PII replaced by placeholders. ``remember=False`` for partials: a provisional line
        must not change how the following final lines are judged."""
        normalized = unicodedata.normalize("NFKC", text)
        kinds: list[PiiKind] = []
        replacements: list[tuple[int, int, PiiKind]] = []
        card_context = bool(_CARD_CONTEXT.search(normalized)) or self._card_context_left > 0
        for run in _digit_runs(normalized):
            kind = self._classify(normalized, run, card_context)
            if kind is PiiKind.PHONE:
                run = _without_trailing_particle(normalized, run)
            if kind is not None:
                replacements.append((run.start, run.end, kind))
        if self.policy.phones:
            # A number partly in katakana: the whole of it, with any written part another rule found in it.
            for start, end in _kana_phones(normalized):
                inside = [r for r in replacements if r[0] < end and r[1] > start]
                replacements = [r for r in replacements if r not in inside]
                # (Not past its end: what another rule took beyond it is a particle it read as a digit.)
                replacements.append((min([start, *(r[0] for r in inside)]), end, PiiKind.PHONE))
        if self.policy.emails:
            replacements += [(m.start(), m.end(), PiiKind.EMAIL) for m in _EMAIL.finditer(normalized)]
        if self.policy.phones:
            replacements += [(m.start(), m.end(), PiiKind.PHONE) for m in _PHONE.finditer(normalized)]
        result = normalized
        last_start = len(result) + 1
        for start, end, kind in sorted(replacements, key=lambda r: r[0], reverse=True):
            if end > last_start:  # overlapping with a replacement already made
                continue
            result = result[:start] + PLACEHOLDER[kind] + result[end:]
            last_start = start
            kinds.append(kind)
        if remember:
            if PiiKind.CARD in kinds or _CARD_CONTEXT.search(normalized):
                self._card_context_left = self.policy.card_context_lines
            elif self._card_context_left > 0:
                self._card_context_left -= 1
        if not kinds:
            return Redacted(text)
        return Redacted(result, tuple(dict.fromkeys(kinds)))

    def _classify(self, text: str, run: _Run, card_context: bool) -> PiiKind | None:
        digits = run.digits
        window = text[max(0, run.start - 30) : run.start]
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return PiiKind.CARD
        for size in range(19, 12, -1):  # a card number inside a longer run of spoken digits
            for i in range(0, len(digits) - size + 1):
                if luhn_ok(digits[i : i + size]) and len(digits) <= 24:
                    return PiiKind.CARD
        if len(digits) == 12 and (my_number_ok(digits) or _MY_NUMBER_CONTEXT.search(window)):
            return PiiKind.MY_NUMBER
        if 3 <= len(digits) <= 4 and _CODE_CONTEXT.search(text[max(0, run.start - 40) : run.start]):
            return PiiKind.SECURITY_CODE
        if self.policy.phones and not _looks_like_date_or_amount(text, run):
            # Before the card context: no card number starts with 0, and 「電話は…」 names what follows.
            # (12: a particle read as a digit may end the run, 「…五六七八に」)
            if 10 <= len(digits) <= 12 and digits.startswith("0"):
                return PiiKind.PHONE
            if 7 <= len(digits) <= 15 and _PHONE_CONTEXT.search(text[max(0, run.start - 12) : run.start]):
                return PiiKind.PHONE
        if card_context and len(digits) >= 4 and not _looks_like_date_or_amount(text, run):
            return PiiKind.CARD
        return None


# One-kana digit readings that are also particles: 「090-1234-5678に」 ends with "to", not with a 2.
_PARTICLE_DIGITS = frozenset({"に", "し", "く", "よ", "ご"})


def _without_trailing_particle(text: str, run: _Run) -> _Run:
    """A phone number's run without a particle the digit scan took for its last digit."""
    start, end, _ = run.spans[-1]
    if len(run.digits) > 10 and len(run.spans) > 1 and text[start:end] in _PARTICLE_DIGITS:
        kept = run.spans[:-1]
        return _Run(run.start, kept[-1][1], run.digits[:-1], kept)
    return run


def _kana_phones(text: str) -> list[tuple[int, int]]:
    """Where phone numbers with digits read out in katakana are: runs that hold a katakana reading, have
    10-11 digits (after a trailing particle) and start with 0. (Runs without one are judged by
    ``_classify``.)"""
    if not any("\u30a0" <= ch <= "\u30ff" for ch in text):
        return []
    found = []
    for run in _digit_runs(text, _KANA_TOKEN, _WITH_KANA_DIGITS):
        if not any(text[start:end] in _KANA_DIGITS for start, end, _ in run.spans):
            continue
        run = _without_trailing_particle(text, run)
        if (
            10 <= len(run.digits) <= 11
            and run.digits.startswith("0")
            and not _looks_like_date_or_amount(text, run)
        ):
            found.append((run.start, run.end))
    return found


def _looks_like_date_or_amount(text: str, run: _Run) -> bool:
    after = text[run.end : run.end + 2]
    return bool(re.match(r"\s*(円|年|月|日|ドル|yen|dollars?|時|分)", after))


def redact(text: str, policy: RedactionPolicy | None = None) -> Redacted:
    """Redact one stand-alone text (a note, an imported field) with no call context."""
    return Redactor(policy).redact(text, remember=False)
