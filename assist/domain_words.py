"""The words a support call is likely to contain, for the transcript's reading-based correction.

Built from what the product already knows: the caller's name and kana first (during a call), the editable
support word list (``resources/lexicon/support_words.txt``, ja + en), the knowledge base's aliases, tags
and the noun runs of its titles, and the customers' names. The list is plain strings; audio/ turns it into
a :class:`audio.lexicon.Lexicon` and knows nothing about where the words came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING

from assist.domain import Customer, KnowledgeEntry
from audio.lexicon import noun_compounds

if TYPE_CHECKING:
    from assist.store import Store

CUSTOMERS_LIMIT = 2000
"""Customers whose names go into the list (the caller always does): readings cost ~0.2 ms a name to build."""


def support_words() -> list[str]:
    """The editable support word list shipped in resources (comments and blank lines left out)."""
    text = resources.files("resources").joinpath("lexicon", "support_words.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


Word = str | tuple[str, str]
"""A word, or a word with its known reading (a customer's name with its kana)."""


def customer_words(customer: Customer) -> list[Word]:
    """The customer's name as written (without a romanized part in brackets), joined and by parts, with
    the kana as its reading where the kana has as many parts."""
    name = re.sub(r"[(（][^)）]*[)）]", " ", customer.name).replace("\u3000", " ")
    parts = name.split()
    kana = customer.kana.replace("\u3000", " ").split()
    words: list[Word] = []
    if parts:
        joined = "".join(parts)
        words.append((joined, "".join(kana)) if kana else joined)
        if len(parts) > 1:
            words += [(p, k) for p, k in zip(parts, kana, strict=True)] if len(kana) == len(parts) else parts
    return words


def knowledge_words(entries: Iterable[KnowledgeEntry]) -> list[Word]:
    words: list[Word] = []
    for entry in entries:
        words += [*entry.aliases, *entry.tags, *noun_compounds(entry.title)]
    return words


def domain_words(
    store: Store | None, caller: Customer | None = None, *, customers_limit: int = CUSTOMERS_LIMIT
) -> list[Word]:
    """Caller first, then the support list, the knowledge base and the other customers, without repeats."""
    words: list[Word] = customer_words(caller) if caller is not None else []
    words += support_words()
    if store is not None:
        words += knowledge_words(store.all_knowledge())
        for i, customer in enumerate(store.all_customers()):
            if i >= customers_limit:
                break
            words += customer_words(customer)
    return list(dict.fromkeys(w for w in words if (w if isinstance(w, str) else w[0]).strip()))


PROMPT_SUPPORT_WORDS = {"ja": 12}
"""How many of the support list's first words go into a call's biasing prompt, by language (see
:func:`biasing_prompt`). Measured in tests/bench/bench_support_ja.py on the tuning half; English has none
(not measured: its prompt stays the caller and their follow-ups)."""
PROMPT_LEAD = {"ja": "お電話ありがとうございます。カスタマーサポートでございます。"}
"""A support call's opening, before the words: it tells Whisper what kind of speech follows (measured with
the words: tuning half CER 18.9 -> 12.9 %)."""
PROMPT_CHARS = 80
"""At most this many characters of biasing words: every prompt token is decoded again for each final."""
HOTWORD_LANGUAGES = frozenset({"ja"})
"""Languages whose prompted hearing also gets the rest of the support list as hotwords (see
:func:`biasing_hotwords`); English was not measured."""


def _language_of(word: str) -> str:
    return "ja" if any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in word) else "en"


def biasing_prompt(
    language: str,
    *,
    caller: Customer | None = None,
    cards: Iterable[KnowledgeEntry] = (),
    notes: Iterable[str] = (),
    support: int | None = None,
    max_chars: int = PROMPT_CHARS,
) -> str | None:
    """The words this call is about, to bias the recognizer's finals towards them (Whisper's initial prompt).

    In order, while ``max_chars`` lasts: the caller's name, the aliases, tags and title nouns of the knowledge
    cards on screen, ``notes`` (open follow-ups, taken whole), then the first ``support`` words of the
    support list (default :data:`PROMPT_SUPPORT_WORDS` for the language). Only words of the call's
    ``language``; a Japanese prompt starts with :data:`PROMPT_LEAD`. None when there are no words: with a
    prompt the stricter no-speech guard applies (audio/guards.py), so an empty one is not worth it.
    """
    if language not in ("ja", "en"):
        return None
    support = PROMPT_SUPPORT_WORDS.get(language, 0) if support is None else support
    words: list[str] = []
    if caller is not None and language == "ja":
        words += [w if isinstance(w, str) else w[0] for w in customer_words(caller)[:1]]
    elif caller is not None:
        words.append(" ".join(re.sub(r"[(（][^)）]*[)）]", " ", caller.name).split()))
    for card in cards:
        words += [w if isinstance(w, str) else w[0] for w in knowledge_words([card])]
    words += [n.strip() for n in notes]
    if support > 0:
        words += [w for w in support_words() if _language_of(w) == language][:support]
    joiner = "、" if language == "ja" else ", "
    chosen: list[str] = []
    for word in dict.fromkeys(words):
        if not word or _language_of(word) != language or len(joiner.join([*chosen, word])) > max_chars:
            continue
        chosen.append(word)
    if not chosen:
        return None
    return PROMPT_LEAD.get(language, "") + joiner.join(chosen)


def biasing_hotwords(language: str, prompt: str | None) -> str | None:
    """The support list's words of ``language`` that ``prompt`` leaves out, for faster-whisper's
    ``hotwords`` (put before the prompt in the second pass's prompted hearing, whose merge keeps only the
    listed words it spelled). Measured on the tuning half of tests/bench/bench_support_ja.py: CER 18.5 ->
    13.9 % beside the prompt (simulated second pass, lexicon on). The words are separated by spaces, as a
    list: with 「、」 between them Whisper read them as a sentence (tuning half 10.3 -> 8.6 %; joined without
    anything 12.3 %). None for other languages, or without a prompt (the hotwords only ever go with one)."""
    if language not in HOTWORD_LANGUAGES or not prompt:
        return None
    said = set(re.split(r"[、。]", prompt))
    words = [w for w in support_words() if _language_of(w) == language and w not in said]
    return " ".join(words) or None
