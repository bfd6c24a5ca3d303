"""The support thesaurus: the everyday ways customers say what a knowledge entry names.

Why: the sentence encoder does not know that "someone higher up" is a supervisor, or that 「他社に乗り換え」
is a cancellation, so a paraphrase that shares no word with its entry sits below the show threshold. Every
serious knowledge-base search keeps a synonym list; this is ours. One concept a line (a canonical phrase and
its other ways of saying it) in ``resources/matching/thesaurus.<language>.txt``, written for this project from
general support practice, extended by a team's own ``<data directory>/thesaurus.<language>.txt``.

Matching is by whole words, never fragments: a line's words are janome's tokens (ja; a verb whatever its
ending: 「やめたい」「やめようと」 both say やめる; particles left out) or stemmed words (en), and a phrase is
found when its words follow each other in the line. An entry's title and aliases are written text: a phrase is
found in them as written (ja) or as whole stemmed words (en).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assist.text import english_words, ja_tokens, normalize, stem, strip_fillers

_NAMING = re.compile(r"[\u30a0-\u30ff\u3400-\u9fff]")  # kanji and katakana
_JA_TEXT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Left out of a line's words: particles, symbols, fillers (「他社に乗り換え」 and 「他社へ乗り換え」 are one).
_JA_SKIP = ("助詞", "記号", "フィラー")
# Left out of English words: articles and possessives ("cancel my subscription" is "Cancel a subscription").
_EN_SKIP = frozenset(["a", "an", "the", "my", "your", "our", "his", "her", "their", "this", "that", "these"])
# Words that say the same: "somebody higher up" is "someone higher up" (the lists write one of them).
_EN_SAME = {"somebody": "someone", "anybody": "anyone", "everybody": "everyone"}


class ThesaurusError(ValueError):
    """A thesaurus file that cannot be read: names the file and the line."""


@dataclass(frozen=True, slots=True)
class Concept:
    name: str  # the canonical phrase, shown in reasons
    phrases: tuple[str, ...]  # every way of saying it, the canonical phrase first, normalised


@dataclass(frozen=True, slots=True)
class Said:
    """A concept found in a line: which of its phrases was said."""

    concept: str
    phrase: str


@dataclass
class Thesaurus:
    language: str
    concepts: dict[str, Concept] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # lines of a team's file left out, with where they are
    # First word of each phrase -> (its words, concept, phrase): a line is read once, a dict lookup a word.
    _starts: dict[str, list[tuple[tuple[str, ...], str, str]]] = field(default_factory=dict)
    _patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)  # per concept, to find it in entries

    def add(self, name: str, phrases: Iterable[str]) -> None:
        name = normalize(name).strip()
        known = self.concepts.get(name)
        merged = dict.fromkeys(
            [*(known.phrases if known else (name,)), *(normalize(p).strip() for p in phrases)]
        )
        merged.pop("", None)
        self.concepts[name] = Concept(name, tuple(merged))
        self._patterns.pop(name, None)
        for phrase in merged:
            words = phrase_words(phrase, self.language)
            if not words:
                continue
            listed = self._starts.setdefault(words[0], [])
            if not any(w == words and c == name for w, c, _ in listed):
                listed.append((words, name, phrase))

    def said(self, text: str) -> list[Said]:
        """The concepts said in ``text``, each with the (longest) phrase that said it."""
        words = line_words(text, self.language)
        found: dict[str, str] = {}
        for i, word in enumerate(words):
            for phrase_words_, concept, phrase in self._starts.get(word, ()):
                n = len(phrase_words_)
                if tuple(words[i : i + n]) == phrase_words_ and len(phrase) > len(found.get(concept, "")):
                    found[concept] = phrase
        return [Said(c, p) for c, p in found.items()]

    def in_entry(self, concept: str, labels: Sequence[str]) -> bool:
        """Whether an entry's title or aliases (``labels``) say one of ``concept``'s phrases."""
        pattern = self._patterns.get(concept)
        if pattern is None:
            known = self.concepts.get(concept)
            if known is None:
                return False
            # In written Japanese a phrase with fewer than two kanji or katakana is too general to name an
            # entry: 「来ない」 is in 「請求書が来ない」 and 「メールが来ない」 as much as in a late delivery.
            keys = [
                p if self.language == "ja" else _stems(p)
                for p in known.phrases
                if self.language != "ja" or len(_NAMING.findall(p)) >= 2
            ]
            pattern = self._patterns[concept] = re.compile(
                "|".join(re.escape(k) for k in keys if k.strip()) or "(?!)"
            )
        return any(pattern.search(_entry_text(label, self.language)) for label in labels)


def phrase_words(phrase: str, language: str) -> tuple[str, ...]:
    return tuple(line_words(phrase, language))


@lru_cache(maxsize=1024)
def line_words(text: str, language: str) -> tuple[str, ...]:
    """The words a line is matched on: janome's words in their dictionary form (乗り換えよう -> 乗り換える),
    particles left out (ja); stemmed words without articles and possessives (en)."""
    cleaned = strip_fillers(normalize(text)).replace("\u2019", "'")
    if language != "ja":
        return tuple(stem(_EN_SAME.get(w, w)) for w in english_words(cleaned) if w not in _EN_SKIP)
    words: list[str] = []
    for surface, pos, base, _, conjugation in ja_tokens(cleaned):
        kind = pos.split(",", 1)[0]
        if kind in _JA_SKIP or not surface.strip():
            continue
        if pos.startswith("動詞,非自立") and base in _ASPECT:
            continue  # 来てない, 来ていない, 閉じちゃう: the verb said, whatever its aspect
        if base == "ん" and words[-1:] == ["ませ"]:
            words[-1] = "ない"  # 来ません is 来ない
            continue
        words.append(_stem_form(base, conjugation) if kind == "動詞" and base != "*" else surface)
    return tuple(words)


# Verbs that only add aspect or politeness to the verb before them (〜ている, 〜てる, 〜ちゃう, 〜てしまう,
# 〜ております): left out, so 「まだ来てない」 and 「まだ来ない」 are the same words.
_ASPECT = frozenset(["いる", "てる", "でる", "ちゃう", "じゃう", "しまう", "おる"])


def _stem_form(base: str, conjugation: str) -> str:
    """A verb as its stem form, the form its noun takes (乗り換える -> 乗り換え, 引っ越す -> 引っ越し), so
    「他社に乗り換え」 (a noun) and 「他社へ乗り換えよう」 (a verb) are the same words."""
    if conjugation.startswith("五段") and base[-1:] in _I_ROW:
        return base[:-1] + _I_ROW[base[-1]]
    if conjugation.startswith(("一段", "カ変")) and base.endswith("る"):
        return base[:-1]
    return base


_I_ROW = dict(zip("うくぐすつぬぶむる", "いきぎしちにびみり", strict=True))


@lru_cache(maxsize=4096)
def _entry_text(label: str, language: str) -> str:
    if language == "ja":
        return normalize(label)
    return _stems(normalize(label))


def written_in(phrase: str, labels: Sequence[str], language: str) -> bool:
    """Whether one of ``labels`` (an entry's title and aliases) says ``phrase`` itself."""
    return any(_written_in(phrase, _entry_text(label, language), language) for label in labels)


def _written_in(phrase: str, written: str, language: str) -> bool:
    if language == "ja":
        return phrase in written
    return _stems(phrase) in written


@lru_cache(maxsize=8192)
def _stems(text: str) -> str:
    """`` word word `` of stemmed English words, spaces around, to find whole words in."""
    words = english_words(text.replace("\u2019", "'"))
    return " " + " ".join(stem(_EN_SAME.get(w, w)) for w in words if w not in _EN_SKIP) + " "


def read(
    text: str, where: str, language: str, into: Thesaurus | None = None, strict: bool = True
) -> Thesaurus:
    """A thesaurus from the text of a file (``where`` names it in messages), added to ``into`` if given. A
    line not in the form "canonical: phrase, phrase" raises ThesaurusError naming the file and the line, or
    with ``strict`` false is left out and named in ``problems`` (the other lines are kept)."""
    thesaurus = into if into is not None else Thesaurus(language)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, colon, rest = line.replace("：", ":").partition(":")
        phrases = [p.strip() for p in re.split(r"[,、，]", rest)]
        if not colon or not name.strip() or not any(phrases):
            problem = f"{where}, line {number}: expected 'canonical phrase: other phrase, ...', got {line!r}"
            if strict:
                raise ThesaurusError(problem)
            thesaurus.problems.append(problem)
            continue
        thesaurus.add(name, [p for p in phrases if p])
    return thesaurus


def shipped_text(language: str) -> str:
    from importlib import resources

    found = resources.files("resources").joinpath("matching", f"thesaurus.{language}.txt")
    return found.read_text(encoding="utf-8") if found.is_file() else ""


def team_file(language: str) -> Path:
    from assist import paths

    return paths.data_dir() / f"thesaurus.{language}.txt"


_LOG = logging.getLogger(__name__)
_LOADED: dict[tuple[str, str], tuple[float, Thesaurus]] = {}
_LOCK = threading.Lock()


def thesaurus_for(language: str, team: Path | None = None) -> Thesaurus:
    """The shipped thesaurus of ``language`` extended by the team's file (default: in the data directory),
    read again when that file changes. A live call never fails on the team's file: a line it cannot read is
    left out, named in ``problems`` and logged (file and line), and the rest is used."""
    path = team if team is not None else team_file(language)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1
    key = (language, str(path))
    with _LOCK:
        known = _LOADED.get(key)
        if known is not None and known[0] == stamp:
            return known[1]
        thesaurus = read(shipped_text(language), f"thesaurus.{language}.txt (shipped)", language)
        if stamp != -1:
            try:
                read(path.read_text(encoding="utf-8"), str(path), language, thesaurus, strict=False)
            except (OSError, UnicodeDecodeError) as exc:
                thesaurus.problems.append(f"{path}: cannot be read ({exc})")
            for problem in thesaurus.problems:
                _LOG.warning("thesaurus: %s", problem)
        _LOADED[key] = (stamp, thesaurus)
        return thesaurus
