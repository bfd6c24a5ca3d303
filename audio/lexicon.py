"""Reading-based correction of misheard domain words against a plain word list.

Whisper base writes support words as other words that sound the same or nearly: 料金 -> 両金, ご用件 ->
ご予見, この件 -> この権, 返金 -> 変金, 違約金 -> 医学金, 二重請求 -> 2重製給, ルーター -> ルーダー. The
product already knows most of these words (knowledge titles, aliases and tags, customer names and their kana,
a support word list), so a final's words are compared with them by **reading** (janome's katakana readings):

- only runs of nouns, prefixes and numbers are candidates (a demonstrative such as この may start one): never
  across a particle, an auxiliary or a verb, so a correction stays inside one word;
- a span must be two or more tokens, or one token janome does not know (ルーダー): a single dictionary word
  (予見, 現金) is a real word the recognizer chose, and homophones are too many to second-guess it;
- readings under 4 kana must match exactly; from 4 kana on a small weighted distance is allowed (voicing
  and small/large kana pairs and a lengthened vowel count half): 0.5 at 4 kana, 1 from 5, compared with the
  listed words that start with the same sound or differ only in it (タスワード -> パスワード: telephone audio
  often loses the first consonant); a span with a number in it must match exactly (4件 is not 要件);
- a span that is a listed word itself is left as it is, and one that holds a listed word (再起動後,
  設定値) only changes on an exact reading (小路次郎 -> 東海林次郎 when the caller's kana is ショウジ ジロウ).

Each correction keeps what it replaced (``"両金 -> 料金"``) so nothing is rewritten silently. The word list is
plain strings, earlier words first on ties (the caller's name goes first): audio/ knows nothing about where
it comes from. English words are kept in the list for biasing, and are not corrected (no readings).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

_KANA_RE = re.compile(r"[ァ-ヺー]+")
_HIRAGANA = {chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)}
_DIGITS = dict(
    zip(
        "0123456789",
        ("ゼロ", "イチ", "ニ", "サン", "ヨン", "ゴ", "ロク", "ナナ", "ハチ", "キュウ"),
        strict=True,
    )
)
_CANDIDATE = {"名詞", "接頭詞"}
_NOT_CANDIDATE_SUB = {"非自立", "代名詞"}  # こと, もの, それ, これ: function-like nouns stay out of spans
MAX_SPAN_TOKENS = 4

# half-cost pairs: voicing (タ/ダ, ハ/バ/パ) and small/large kana (ッ/ツ, ャ/ヤ)
_VOICED = "ガギグゲゴザジズゼゾダヂヅデドバビブベボ"
_PLAIN = "カキクケコサシスセソタチツテトハヒフヘホ"
_SMALL = "ァィゥェォッャュョヮ"
_LARGE = "アイウエオツヤユヨワ"


def _base(kana: str) -> str:
    if kana in _VOICED:
        return _PLAIN[_VOICED.index(kana)]
    if kana in "パピプペポ":
        return "ハヒフヘホ"["パピプペポ".index(kana)]
    if kana in _SMALL:
        return _LARGE[_SMALL.index(kana)]
    return kana


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return 0.5 if _base(a) == _base(b) else 1.0


def _indel(kana: str) -> float:
    # a lengthened vowel (ー, or the ウ/イ that lengthen オ/エ sounds) and a small ッ are easily lost or added
    return 0.5 if kana in "ーウイッ" else 1.0


def reading_distance(a: str, b: str) -> float:
    """Weighted edit distance between two katakana readings."""
    return _edit_distance(a, b, anywhere_in_b=False)


def _edit_distance(a: str, b: str, anywhere_in_b: bool) -> float:
    """Weighted edit distance from ``a`` to ``b`` or, ``anywhere_in_b``, to the closest stretch of ``b`` (the
    stretch may start and end anywhere: skipping ``b``'s characters before and after it costs nothing)."""
    prev = [0.0] * (len(b) + 1)
    if not anywhere_in_b:
        for j, ch in enumerate(b, 1):
            prev[j] = prev[j - 1] + _indel(ch)
    for ca in a:
        cur = [prev[0] + _indel(ca)]
        for j, cb in enumerate(b, 1):
            cur.append(
                min(prev[j] + _indel(ca), cur[j - 1] + _indel(cb), prev[j - 1] + _substitution(ca, cb))
            )
        prev = cur
    return min(prev) if anywhere_in_b else prev[-1]


def allowed_distance(kana: int) -> float:
    """How far a reading of ``kana`` characters may be from a listed word's to be corrected to it."""
    if kana < 4:
        return 0.0
    if kana == 4:
        return 0.5
    return 1.0


NEAR_LIMIT = 20
"""At most this many words in an utterance's short biasing list (:meth:`Lexicon.near`)."""


def near_distance(kana: int) -> float:
    """How far a listed word's reading of ``kana`` characters may be from a stretch of what was heard for
    the word to go into the utterance's short biasing list: looser than :func:`allowed_distance`, since
    the list only lets Whisper consider the word (the merge and the guards still decide what is kept)."""
    if kana <= 2:
        return 0.0
    if kana == 3:
        return 0.5
    if kana == 4:
        return 1.0
    return 1.5 if kana < 8 else 2.0


def _fold(reading: str) -> str:
    return "".join(_base(ch) for ch in reading if ch != "ー")


def _pairs(folded: str) -> list[str]:
    return [folded[i : i + 2] for i in range(len(folded) - 1)] or ([folded] if folded else [])


def _stretch_distance(word: str, text: str) -> float:
    """The smallest :func:`reading_distance` between ``word`` and any stretch of ``text``."""
    return _edit_distance(word, text, anywhere_in_b=True)


def _kana_stretches(text: str) -> list[str]:
    """The katakana readings of ``text``'s runs of tokens that have one (split where one has none)."""
    stretches: list[str] = []
    run: list[str] = []
    for token in [*_tokenize(unicodedata.normalize("NFKC", text)), None]:
        reading = _token_reading(token) if token is not None else None
        if reading is not None and _KANA_RE.fullmatch(reading):
            run.append(reading)
            continue
        if run:
            stretches.append("".join(run))
        run = []
    return stretches


def to_katakana(text: str) -> str:
    return "".join(_HIRAGANA.get(ch, ch) for ch in text)


def _kana(given: str) -> str | None:
    kana = to_katakana("".join(unicodedata.normalize("NFKC", given).split()))
    return kana if _KANA_RE.fullmatch(kana) else None


@dataclass(frozen=True, slots=True)
class Correction:
    heard: str
    word: str

    def __str__(self) -> str:
        return f"{self.heard} -> {self.word}"


@dataclass(frozen=True, slots=True)
class _Entry:
    word: str
    reading: str
    rank: int


class JanomeToken(Protocol):
    """What we read of a janome token (janome ships no type information)."""

    surface: str
    part_of_speech: str
    infl_type: str
    infl_form: str
    base_form: str
    reading: str


class JanomeTokenizer(Protocol):
    def tokenize(self, text: str) -> Iterable[JanomeToken]: ...


_tokenizer_lock = threading.Lock()
_tokenizer: JanomeTokenizer | None = None


def _tokenize(text: str) -> list[JanomeToken]:
    global _tokenizer
    with _tokenizer_lock:
        if _tokenizer is None:
            from janome.tokenizer import Tokenizer

            _tokenizer = Tokenizer()
        return list(_tokenizer.tokenize(text))


def _token_reading(token: JanomeToken) -> str | None:
    reading = str(token.reading)
    if reading and reading != "*":
        return reading
    surface = unicodedata.normalize("NFKC", str(token.surface))
    if surface.isdigit():
        return "".join(_DIGITS[d] for d in surface)
    kana = to_katakana(surface)
    return kana if _KANA_RE.fullmatch(kana) else None


def reading_of(text: str) -> str | None:
    """The katakana reading of ``text`` by janome, None when part of it has none (Latin letters, symbols)."""
    parts = []
    for token in _tokenize(text):
        reading = _token_reading(token)
        if reading is None:
            return None
        parts.append(reading)
    return "".join(parts) or None


def _has_japanese(word: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in word)


class Lexicon:
    """Domain words with their readings; :meth:`correct` puts them in place of what sounds like them."""

    def __init__(self, words: Iterable[str | tuple[str, str]]) -> None:
        """``words``: plain words, or (word, reading) pairs where the reading is known (a customer's kana)."""
        self._exact: dict[str, _Entry] = {}
        self._by_start: dict[tuple[str, int], list[_Entry]] = {}
        self._by_rest: dict[str, list[_Entry]] = {}  # by the reading after its first kana
        self.words: list[str] = []
        self._listed: set[str] = set()
        self._by_first: dict[str, list[str]] = {}
        self._by_pair: dict[str, list[_Entry]] = {}  # by each two-kana stretch of the folded reading
        seen: set[tuple[str, str]] = set()
        for rank, item in enumerate(words):
            raw, given = (item, "") if isinstance(item, str) else item
            word = unicodedata.normalize("NFKC", raw).strip()
            if not word or not _has_japanese(word):
                continue
            reading = _kana(given) if given else reading_of(word)
            if reading is None or len(reading) < 2 or (word, reading) in seen:
                continue
            seen.add((word, reading))
            if word not in self._listed:
                self.words.append(word)
                self._listed.add(word)
                self._by_first.setdefault(word[0], []).append(word)
            entry = _Entry(word, reading, rank)
            if reading not in self._exact:
                self._exact[reading] = entry
            self._by_start.setdefault((_base(reading[0]), len(reading)), []).append(entry)
            self._by_rest.setdefault(reading[1:], []).append(entry)
            for pair in set(_pairs(_fold(reading))):
                self._by_pair.setdefault(pair, []).append(entry)

    def __len__(self) -> int:
        return len(self.words)

    def _match(self, reading: str) -> _Entry | None:
        exact = self._exact.get(reading)
        if exact is not None:
            return exact
        limit = allowed_distance(len(reading))
        if limit == 0.0:
            return None
        best: tuple[float, int, _Entry] | None = None
        for length in (len(reading) - 1, len(reading), len(reading) + 1):
            if allowed_distance(length) == 0.0:
                continue
            candidates = self._by_start.get((_base(reading[0]), length), [])
            if length == len(reading):
                # the first sound misheard and the rest exact (タスワード for パスワード)
                candidates = [*candidates, *self._by_rest.get(reading[1:], ())]
            for entry in candidates:
                distance = reading_distance(reading, entry.reading)
                if distance <= min(limit, allowed_distance(length)) and (
                    best is None or (distance, entry.rank) < best[:2]
                ):
                    best = (distance, entry.rank, entry)
        return best[2] if best else None

    def near(self, text: str, limit: int = NEAR_LIMIT) -> list[str]:
        """The listed words whose reading is close to a stretch of ``text``'s (see :func:`near_distance`),
        nearest first (relative to their length; earlier words first on ties), at most ``limit``: the words
        an utterance may have been about, for a short biasing list (Whisper keeps only the first ~220
        tokens of its hotwords, so the whole list of a large team never reaches it)."""
        if not self._by_pair or not text:
            return []
        stretches = _kana_stretches(text)
        pairs = {p for stretch in stretches for p in _pairs(_fold(stretch))}
        candidates = {id(e): e for p in pairs for e in self._by_pair.get(p, ())}
        found: dict[str, tuple[float, int]] = {}
        for entry in candidates.values():
            limit_here = near_distance(len(entry.reading))
            distance = min(_stretch_distance(entry.reading, s) for s in stretches)
            if distance <= limit_here:
                key = (distance / len(entry.reading), entry.rank)
                if entry.word not in found or key < found[entry.word]:
                    found[entry.word] = key
        return sorted(found, key=found.__getitem__)[:limit]

    def correct(self, text: str) -> tuple[str, tuple[Correction, ...]]:
        """``text`` with misheard listed words put right, and what was replaced by what."""
        if not self._exact or not text:
            return text, ()
        tokens = _tokenize(text)
        out: list[str] = []
        corrections: list[Correction] = []
        i = 0
        while i < len(tokens):
            done = False
            if _may_start(tokens[i]):
                for j in range(min(len(tokens), i + MAX_SPAN_TOKENS), i, -1):
                    span = tokens[i:j]
                    if not all(_may_continue(t) for t in span[1:]):
                        continue
                    fix = self._fix(span)
                    if fix is not None:
                        out.append(fix.word)
                        corrections.append(fix)
                        i = j
                        done = True
                        break
            if not done:
                out.append(str(tokens[i].surface))
                i += 1
        if not corrections:
            return text, ()
        return "".join(out), tuple(corrections)

    def _fix(self, span: list[JanomeToken]) -> Correction | None:
        heard = "".join(str(t.surface) for t in span)
        if len(span) == 1 and _token_reading_known(span[0]):
            return None  # a dictionary word the recognizer chose: homophones are too many to second-guess
        readings = [_token_reading(t) for t in span]
        if any(r is None for r in readings):
            return None
        reading = "".join(r for r in readings if r)
        if len(reading) < 2:
            return None
        norm = unicodedata.normalize("NFKC", heard)
        if norm in self._listed:
            return None
        entry = self._exact.get(reading)
        has_number = any(_pos(t)[1] == "数" or str(t.surface).isdigit() for t in span)
        if entry is None and not has_number and not any(word in norm for word in self._listed_in(norm)):
            entry = self._match(reading)
        if entry is None:
            return None
        return Correction(heard, entry.word)

    def _listed_in(self, text: str) -> list[str]:
        """Listed words that occur in ``text`` (checked by their first character, cheaply)."""
        return [w for ch in set(text) for w in self._by_first.get(ch, ())]


def noun_compounds(text: str) -> list[str]:
    """The runs of nouns in ``text`` (a knowledge title, say) that could be listed words: ポータルサイト,
    料金."""
    out: list[str] = []
    run: list[str] = []
    for token in [*_tokenize(text), None]:
        if token is not None and _may_continue(token) and _token_reading(token) is not None:
            run.append(str(token.surface))
            continue
        word = "".join(run).strip()
        if len(word) >= 2 and _has_japanese(word) and word not in out:
            out.append(word)
        run = []
    return out


def _pos(token: JanomeToken) -> list[str]:
    return str(token.part_of_speech).split(",")


def _may_continue(token: JanomeToken) -> bool:
    pos = _pos(token)
    return pos[0] in _CANDIDATE and pos[1] not in _NOT_CANDIDATE_SUB


def _may_start(token: JanomeToken) -> bool:
    return _may_continue(token) or _pos(token)[0] == "連体詞"


def _token_reading_known(token: JanomeToken) -> bool:
    reading = str(token.reading)
    return bool(reading) and reading != "*"


def lexicon_for(words: Iterable[str | tuple[str, str]] | Lexicon | None) -> Lexicon | None:
    """A :class:`Lexicon` of ``words`` (itself when it is one), or None without words."""
    if words is None or isinstance(words, Lexicon):
        return words
    listed = list(words)
    return Lexicon(listed) if listed else None


def corrector_for(
    words: Iterable[str | tuple[str, str]] | Lexicon | None,
) -> Callable[[str], tuple[str, tuple[str, ...]]] | None:
    """A text -> (text, ``"heard -> word"`` corrections) function over ``words``, or None without words."""
    lexicon = lexicon_for(words)
    if lexicon is None:
        return None

    def correct(text: str) -> tuple[str, tuple[str, ...]]:
        fixed, corrections = lexicon.correct(text)
        return fixed, tuple(str(c) for c in corrections)

    return correct


def spoken_form(text: str) -> str:
    """What ``text`` sounds like, for comparing two hearings of one utterance: katakana readings of its
    Japanese (janome; long-vowel marks, voicing and small kana folded), other letters and digits lower-cased,
    punctuation and spaces left out."""
    out: list[str] = []
    for token in _tokenize(unicodedata.normalize("NFKC", text)):
        reading = _token_reading(token)
        if reading is None:
            reading = "".join(ch for ch in str(token.surface).lower() if ch.isalnum())
        if _KANA_RE.fullmatch(reading):
            reading = "".join(_base(ch) for ch in reading if ch != "ー")
        out.append(reading)
    return "".join(ch for ch in "".join(out) if ch.isalnum())


def sound_agreement(a: str, b: str) -> float:
    """How alike two transcripts of the same audio sound, 0..1 (1: the same sounds, spelled alike or not)."""
    import difflib

    x, y = spoken_form(a), spoken_form(b)
    if not x and not y:
        return 1.0
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()


def merge_prompted(plain: str, prompted: str, words: Iterable[str], keep_known: bool = False) -> str:
    """``plain`` with only those of ``prompted``'s differences that write one of ``words``.

    A biasing prompt makes Whisper spell the expected words (ローキンプラン -> 料金プラン) but also changes
    other words and style on speech that has nothing to do with it (日本語 -> 日本王 on a casual clip).
    So the two hearings are aligned character by character, and a stretch of the prompted hearing replaces
    or adds to the plain one only where it is part of a listed word; everything else stays as first heard.
    ``keep_known``: not where that would change a dictionary word of two characters or more that ``plain``
    heard (a less likely hearing's 担当者 for the 担当部署 it heard).
    """
    import difflib

    listed = sorted({w for w in (unicodedata.normalize("NFKC", x).strip() for x in words) if len(w) >= 2})
    spans: list[tuple[int, int]] = []
    for word in listed:
        start = prompted.find(word)
        while start >= 0:
            spans.append((start, start + len(word)))
            start = prompted.find(word, start + 1)
    known = _known_word_spans(plain) if keep_known else []
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, plain, prompted, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or op == "delete":
            out.append(plain[i1:i2])
        elif any(s < j2 and j1 < e for s, e in spans) and not any(
            (s < i2 and i1 < e) if i2 > i1 else s < i1 < e for s, e in known
        ):
            out.append(prompted[j1:j2])
        else:
            out.append(plain[i1:i2])
    return "".join(out)


def _known_word_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` has dictionary words of two characters or more (janome knows their reading)."""
    spans: list[tuple[int, int]] = []
    at = 0
    for token in _tokenize(text):
        surface = str(token.surface)
        start = text.find(surface, at)
        if start < 0:
            continue
        at = start + len(surface)
        if len(surface) >= 2 and _token_reading_known(token) and _has_japanese(surface):
            spans.append((start, at))
    return spans
