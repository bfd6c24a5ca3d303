"""Turning Japanese and English text into the search terms the store indexes and the matcher queries.

Why this module exists: SQLite's FTS5 splits words on spaces, and Japanese has none. We therefore analyse
text in Python and hand FTS5 a space-separated list of terms (tokenizer ``unicode61``), so the terms that
Python computes for a query are exactly the terms in the index and their document frequencies can be read
back from the ``fts5vocab`` table for weighting.

How Japanese is cut (measured with ``python -m tests.bench.bench_matching --compare``):

* ``bigram``: every run of kanji/katakana (and hiragana runs of content) becomes overlapping character
  bigrams. Fast (tens of microseconds per sentence), needs no dictionary, and survives recognition errors
  that change one character of a compound (請求書 -> 請求所 still shares 請求).
* ``janome``: the morphological analyser's content words in base form (解約し -> 解約, 届い -> 届く) plus
  their katakana reading, which also rescues homophone errors (会約 vs 解約 share カイヤク). About 2 ms per
  sentence, too slow to index 100,000 entries quickly.
* ``hybrid``: both.

Measured on our evaluation set (91 spoken-style utterances, 30 entries plus ~350 same-domain distractor
articles, 2 shared cores): bigram hit@3 0.945 / MRR 0.907, index 0.16 s, query p95 9.6 ms; janome 0.934 /
0.900, index 4.6 s; hybrid 0.956 / 0.913, index 4.7 s, query p95 10.2 ms (quality re-measured after function
words became stop words; times as first measured). The default is ``bigram``: the
hybrid gains one utterance in 91 (戻ってきてない meeting 戻らない by base form) for ~30x slower indexing,
which at 100,000 entries and 1,000,000 transcript lines is minutes instead of seconds. Katakana loanwords are
also indexed whole (メール), since their bigrams (ール) are in everything. The analyser is chosen per store
and recorded in it, so an index is never queried with terms cut differently from the ones it holds.

English: lower-cased words, fillers and stop words dropped, a light suffix-stripping stemmer (plural,
-ing, -ed, -ly ...), so "cancelled", "cancelling" and "cancel" meet.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from enum import StrEnum
from functools import lru_cache

import jellyfish


class Analyzer(StrEnum):
    BIGRAM = "bigram"
    JANOME = "janome"
    HYBRID = "hybrid"


DEFAULT_ANALYZER = Analyzer.BIGRAM

# Spoken fillers never carry the customer's intent.
JA_FILLERS = (
    "えーっと",
    "えーと",
    "えっと",
    "ええと",
    "あのー",
    "あのう",
    "あの",
    "えー",
    "ええ",
    "うーん",
    "うん",
    "んー",
    "まあ",
    "まぁ",
    "なんか",
    "そのー",
    "そうですね",
    "はい",
    "ですね",
    "ちょっと",
    # Set phrases of phone manners: said in every call, never what the call is about.
    "お電話ありがとうございます",
    "ありがとうございました",
    "ありがとうございます",
    "よろしくお願いいたします",
    "よろしくお願いします",
    "お願いいたします",
    "お願いします",
    "少々お待ちください",
    "お待ちください",
    "お待たせいたしました",
    "お待たせしました",
    "かしこまりました",
    "承知しました",
    "承知いたしました",
    "わかりました",
    "分かりました",
    "そうなんですね",
    "そうなんです",
    "なるほど",
    "と申します",
    "失礼します",
    "失礼いたします",
    "申し訳ございません",
    "恐れ入ります",
    "もしもし",
)
EN_STOP = (
    frozenset(
        [
            "a",
            "an",
            "the",
            "and",
            "or",
            "but",
            "if",
            "so",
            "of",
            "to",
            "in",
            "on",
            "at",
            "for",
            "from",
            "by",
            "with",
            "about",
            "as",
            "into",
            "than",
            "then",
            "there",
            "here",
            "this",
            "that",
            "these",
            "those",
            "it",
            "its",
            "i",
            "me",
            "my",
            "we",
            "our",
            "you",
            "your",
            "he",
            "she",
            "they",
            "them",
            "their",
            "is",
            "are",
            "was",
            "were",
            "be",
            "been",
            "being",
            "am",
            "do",
            "does",
            "did",
            "doing",
            "have",
            "has",
            "had",
            "having",
            "can",
            "could",
            "would",
            "should",
            "will",
            "shall",
            "may",
            "might",
            "must",
            "not",
            "no",
            "yes",
            "yeah",
            "ok",
            "okay",
            "um",
            "uh",
            "er",
            "erm",
            "ah",
            "oh",
            "hmm",
            "like",
            "just",
            "really",
            "very",
            "well",
            "actually",
            "basically",
            "kind",
            "sort",
            "mean",
            "know",
            "please",
            "thank",
            "thanks",
            "hello",
            "hi",
            "hey",
            "what",
            "when",
            "where",
            "which",
            "who",
            "why",
            "how",
            "just",
            "get",
            "got",
            "also",
            "too",
            "some",
            "any",
            "all",
            "again",
            "still",
            "want",
            "need",
            "im",
            "ive",
            "dont",
            "cant",
            "its",
            "thats",
            "theres",
            "youre",
        ]
    )
    | frozenset(
        # Phone manners in English: said in every call, never what the call is about.
        [
            "calling",
            "today",
            "name",
            "right",
            "see",
            "sure",
            "fine",
            "great",
            "good",
            "bye",
            "goodbye",
            "sorry",
            "wait",
            "moment",
            "speaking",
            "morning",
            "afternoon",
            "evening",
            "appreciate",
            "glad",
            "alright",
        ]
    )
    | frozenset(
        # Function words: pronouns, particles of phrasal verbs, quantifiers. Alone they never say what the
        # call is about, yet "locked out" made "out" bring up a password card. (Negations like "won't" stay:
        # "app won't open" is an alias worth meeting; alone they are weak terms, see assist.matching.)
        [
            "him",
            "his",
            "her",
            "hers",
            "she",
            "he",
            "us",
            "ours",
            "mine",
            "yours",
            "theirs",
            "myself",
            "yourself",
            "itself",
            "out",
            "up",
            "off",
            "over",
            "under",
            "through",
            "after",
            "before",
            "because",
            "while",
            "until",
            "since",
            "only",
            "own",
            "same",
            "other",
            "such",
            "each",
            "every",
            "both",
            "few",
            "more",
            "most",
            "much",
            "many",
            "lot",
            "lots",
            "something",
            "anything",
            "nothing",
            "everything",
            "someone",
            "anyone",
            "somebody",
            "anybody",
            "one",
            "thing",
            "things",
            "stuff",
            "way",
            "yet",
            "ever",
            "now",
            "even",
            "though",
            "let",
            "go",
            "going",
            "gone",
            "went",
            "come",
            "came",
            "say",
            "said",
            "tell",
            "told",
            "think",
            "guess",
            "whether",
            "youve",
            "weve",
            "ill",
            "id",
            "gonna",
            "wanna",
            "gotta",
        ]
    )
)

_KANJI = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006"  # incl. 々 〆
_KATAKANA = r"\u30a1-\u30fa\u30fc\u30fd\u30fe"
_HIRAGANA = r"\u3041-\u3096\u309d\u309e"
_RUN = re.compile(rf"([{_KANJI}{_KATAKANA}]+)|([{_HIRAGANA}ー]+)|([a-z0-9]+(?:['’][a-z]+)?)")
# Hiragana runs are mostly grammar; only a few bigrams within them are worth indexing, the rest are noise that
# would swell every query. These are the commonest grammatical bigrams.
_HIRAGANA_STOP = frozenset(
    [
        "ます",
        "まし",
        "した",
        "して",
        "しい",
        "です",
        "でし",
        "ない",
        "なか",
        "なっ",
        "いる",
        "いま",
        "いた",
        "いて",
        "てい",
        "てる",
        "ある",
        "あり",
        "って",
        "った",
        "った",
        "のか",
        "ので",
        "のは",
        "のが",
        "のに",
        "から",
        "かっ",
        "けど",
        "けれ",
        "れど",
        "ども",
        "とい",
        "いう",
        "こと",
        "もの",
        "よう",
        "そう",
        "ござ",
        "ざい",
        "さい",
        "くだ",
        "ださ",
        "ませ",
        "せん",
        "んで",
        "んだ",
        "んな",
        "んか",
        "です",
        "しょ",
        "ょう",
        "たい",
        "たの",
        "たら",
        "ただ",
        "だけ",
        "だっ",
        "でき",
        "きな",
        "きる",
        "きま",
        "られ",
        "れる",
        "れた",
        "れて",
        "せる",
        "させ",
        "され",
        "ころ",
        "とこ",
        "いい",
        "おり",
        "りま",
        "るん",
        "すけ",
        "いと",
        "てし",
        "しま",
        "まっ",
        "いん",
        "んで",
        "んで",
        "んの",
        "のよ",
        "よね",
        "ねえ",
        "てく",
        "くれ",
        "れな",
        "なら",
        "らな",
        "ませ",
        "たん",
        "しい",
        "いの",
        "のの",
        "まし",
        "たが",
        "がっ",
        "って",
        "てま",
        "すか",
        "かな",
        "なく",
        "くな",
        "くて",
        "ても",
        "もう",
        "おね",
        "ねが",
        "がい",
        "いし",
    ]
)
_FILLER_RE = re.compile("|".join(sorted((re.escape(f) for f in JA_FILLERS), key=len, reverse=True)))


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters, half-width katakana), lower case, wave dashes unified."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("〜", "ー").replace("~", "ー")


def strip_fillers(text: str) -> str:
    """Remove Japanese spoken fillers (えーと、あのー ...) so they neither match nor split compounds."""
    return _FILLER_RE.sub(" ", text)


def stem(word: str) -> str:
    """A light English stemmer: enough to meet plural and tense variants, conservative on short words."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    for suffix, repl in (
        ("ational", "ate"),
        ("ization", "ize"),
        ("fulness", "ful"),
        ("iveness", "ive"),
        ("ements", "e"),
        ("ement", "e"),
        ("ments", ""),
        ("ment", ""),
        ("ingly", ""),
        ("edly", ""),
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("sses", "shes", "ches", "xes", "zes")):
                word = word[:-1]
                return _undouble(word)
            return _undouble(word[: len(word) - len(suffix)] + repl)
    # "charge" must meet "charged"/"charging", which lose their "e" above.
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _undouble(word: str) -> str:
    # "cancelled" -> "cancell" -> "cancel"; "stopping" -> "stopp" -> "stop"; keep "ss" (pass, access).
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        return word[:-1]
    if len(word) > 4 and word.endswith("ll"):
        return word[:-1]
    # "charge"/"charging": we removed "ing" -> "charg"; stem "charge" the same way.
    if word.endswith("e") and len(word) > 3:
        return word[:-1]
    return word


def _bigrams(run: str) -> Iterator[str]:
    if len(run) == 1:
        yield run
        return
    for i in range(len(run) - 1):
        yield run[i : i + 2]


_KATAKANA_WORD = re.compile(rf"[{_KATAKANA}]{{3,}}")
_KANJI_CHAR = re.compile(rf"[{_KANJI}]")
_KANA_CHAR = re.compile(f"[{_HIRAGANA}{_KATAKANA}]")


def _bigram_terms(text: str, english: bool = True, japanese: bool = True) -> Iterator[str]:
    for match in _RUN.finditer(text):
        cjk, hira, word = match.groups()
        if cjk and japanese:
            # A lone kana or kanji of a one-character run carries little; compounds carry the meaning.
            if len(cjk) == 1 and not _KANJI_CHAR.match(cjk):
                continue
            yield from _bigrams(cjk)
            # Katakana loanwords are specific as a whole (メール), while their bigrams (ール) are everywhere.
            for loanword in _KATAKANA_WORD.findall(cjk):
                if loanword != cjk or len(cjk) > 2:
                    yield loanword
        elif hira and japanese:
            if len(hira) < 3:
                continue
            for gram in _bigrams(hira):
                if gram not in _HIRAGANA_STOP and "ー" not in gram:
                    yield gram
        elif word and english:
            word = word.replace("’", "'").split("'")[0]
            if word in EN_STOP or (len(word) < 2 and not word.isdigit()):
                continue
            yield stem(word)


def _joined_words(text: str) -> Iterator[str]:
    """Adjacent English words glued ("pass word" -> "password", "re fund" -> "refund"): recognisers split
    words, often after a short prefix (re, in, up)."""
    words = [w for w in re.findall(r"[a-z]+", text)]
    for first, second in itertools.pairwise(words):
        if len(first) >= 2 and len(second) >= 3:
            yield stem(first + second)


@lru_cache(maxsize=1)
def _janome() -> object:
    from janome.tokenizer import Tokenizer

    return Tokenizer()


_JANOME_KEEP = ("名詞", "動詞", "形容詞", "副詞")
_JANOME_SKIP_SUB = ("非自立", "代名詞", "数", "接尾", "副詞可能")
_JANOME_SKIP_BASE = frozenset(
    [
        "する",
        "ある",
        "いる",
        "なる",
        "できる",
        "れる",
        "られる",
        "いう",
        "思う",
        "おる",
        "言う",
        "くる",
        "来る",
    ]
)


def _janome_terms(text: str) -> Iterator[str]:
    tokenizer = _janome()
    for token in tokenizer.tokenize(text):  # type: ignore[attr-defined]
        pos = str(token.part_of_speech).split(",")
        base = str(token.base_form)
        if pos[0] not in _JANOME_KEEP or pos[1] in _JANOME_SKIP_SUB or base in _JANOME_SKIP_BASE:
            continue
        if re.fullmatch(r"[a-z0-9' ]+", base):
            continue  # English goes through the same words-and-stems path in every analyser
        if len(base) == 1 and _KANA_CHAR.fullmatch(base):
            continue
        yield base
        reading = str(token.reading)
        if pos[0] == "名詞" and reading not in ("*", base) and len(reading) >= 2:
            yield "~" + reading  # a homophone key: kept apart from real katakana words


def terms(text: str, analyzer: Analyzer = DEFAULT_ANALYZER, query: bool = False) -> list[str]:
    """The search terms of ``text`` in order of appearance (repeats kept, for term frequency).

    ``query`` adds terms only worth looking for in a spoken query (glued English word pairs)."""
    cleaned = strip_fillers(normalize(text))
    if analyzer is Analyzer.BIGRAM:
        result = list(_bigram_terms(cleaned))
    elif analyzer is Analyzer.JANOME:
        result = list(_bigram_terms(cleaned, japanese=False)) + list(_janome_terms(cleaned))
    else:
        result = list(_bigram_terms(cleaned)) + list(_janome_terms(cleaned))
    if query:
        result.extend(_joined_words(cleaned))
    return result


def index_text(text: str, analyzer: Analyzer = DEFAULT_ANALYZER) -> str:
    """What goes into an FTS5 column: the terms separated by spaces (homophone keys made FTS-safe)."""
    return " ".join(fts_token(t) for t in terms(text, analyzer))


def fts_token(term: str) -> str:
    # unicode61 would split "~カイヤク" at the tilde; a private-use prefix letter keeps it one token.
    return "\ue000" + term[1:] if term.startswith("~") else term


def fts_match(query_terms: Iterable[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each quoted (so no term is ever read as syntax)."""
    quoted = ['"' + fts_token(t).replace('"', '""') + '"' for t in dict.fromkeys(query_terms)]
    return " OR ".join(quoted)


_NAME_RUN = re.compile(rf"([{_KANJI}{_KATAKANA}{_HIRAGANA}]+)|([a-z0-9]+)")


def name_terms(text: str) -> list[str]:
    """Terms for finding a person or company by name, reading (kana) or email: no stop words, no stemming
    (a customer called "May Will" must stay findable), and kana names cut into bigrams like kanji."""
    result: list[str] = []
    for match in _NAME_RUN.finditer(normalize(text)):
        cjk, word = match.groups()
        if cjk:
            result.extend(_bigrams(cjk))
        elif word:
            result.append(word)
    return result


# --- whole words and readings (for reasons a person reads, and for matching by sound) ---------------------

_JA_TEXT = re.compile(f"[{_KANJI}{_KATAKANA}{_HIRAGANA}]")
_EN_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_CONTENT_SKIP = ("非自立", "代名詞", "数")


@lru_cache(maxsize=512)
def ja_tokens(text: str) -> tuple[tuple[str, str, str, str, str], ...]:
    """janome's tokens of Japanese ``text`` as (surface, part of speech, base form, reading, conjugation
    type), cached: the reasons, the sound lookup and the thesaurus read the same line."""
    return tuple(
        (str(t.surface), str(t.part_of_speech), str(t.base_form), str(t.reading), str(t.infl_type))
        for t in _janome().tokenize(text)  # type: ignore[attr-defined]
    )


@lru_cache(maxsize=512)
def _ja_words(text: str) -> tuple[tuple[str, str, int, int, bool], ...]:
    """(word, reading, start, end, is content) per word of normalised Japanese text: janome's tokens, with
    a noun and its prefix and suffixes (請求 + 書, お + 客様) joined into one compound word; verbs and
    adjectives in their dictionary form."""
    words: list[tuple[str, str, int, int, bool]] = []
    position = 0
    previous_noun = previous_prefix = False
    for surface, part_of_speech, base_form, reading, _ in ja_tokens(text):
        start = text.find(surface, position)
        start = position if start < 0 else start
        end = position = start + len(surface)
        pos = part_of_speech.split(",")
        reading = surface if reading == "*" else reading
        noun = pos[0] == "名詞" and pos[1] not in ("非自立", "代名詞")
        joins = bool(words) and (
            (noun and previous_noun and words[-1][3] == start)
            or (pos[0] == "名詞" and pos[1] == "接尾" and previous_noun)
            or (noun and previous_prefix and words[-1][3] == start)
        )
        content = (pos[0] in ("名詞", "動詞", "形容詞") and pos[1] not in _CONTENT_SKIP) or noun
        if pos[0] == "動詞" and base_form in _JANOME_SKIP_BASE:
            content = False
        if joins:
            s0, r0, b0, _, _ = words[-1]
            words[-1] = (s0 + surface, r0 + reading, b0, end, True)
        else:
            # A verb or adjective is named in its dictionary form (届い -> 届く), never by its conjugated
            # stem.
            shown = base_form if pos[0] in ("動詞", "形容詞") and base_form != "*" else surface
            words.append((shown, reading, start, end, content))
        previous_noun = noun or bool(joins)
        previous_prefix = pos[0] == "接頭詞"
        if previous_prefix:
            previous_noun = False
            words[-1] = (surface, reading, start, end, False)
    return tuple(words)


# A word that asks or says something about a noun: a verb, an adjective, an adverb, an adjectival noun
# (大丈夫), an adverbial noun (いくら, いつ) or a pronoun (何, どこ).
_ASKING_NOUNS = ("形容動詞語幹", "副詞可能", "代名詞", "ナイ形容詞語幹")


def names_only(text: str) -> bool:
    """Whether Japanese ``text`` only names something and says nothing about it (see ``named_thing``)."""
    return bool(named_thing(text))


def named_thing(text: str) -> str:
    """What Japanese ``text`` names when it only names something and says nothing about it, else "": one
    noun phrase (nouns, joined by の), then at most particles, the copula and punctuation; no verb, adjective
    or adverb, no question word: 「メールアドレス」, 「キャンセル料は？」 (キャンセル料),
    「ホテルのWi-Fi」, 「解約です」 (解約); not 「Wi-Fiはありますか」, 「キャンセル料っていくら」 or
    「ルーターって買い取りですか」 (a second noun after the particle says something about the first). Fillers
    do not count; the phrase comes back normalised (width and case folded)."""
    cleaned = strip_fillers(normalize(text))
    if not _JA_TEXT.search(cleaned):
        return ""
    named = ended = False
    thing: list[str] = []
    for surface, part_of_speech, _, _, _ in ja_tokens(cleaned):
        pos = part_of_speech.split(",")
        if not any(ch.isalnum() for ch in surface):
            if thing and not ended:
                thing.append(surface)  # inside the phrase (Wi-Fi)
            continue  # punctuation (janome reads a half-width "?" as a noun)
        if pos[0] in ("動詞", "形容詞", "副詞") or (pos[0] == "名詞" and pos[1] in _ASKING_NOUNS):
            return ""
        if pos[0] in ("名詞", "接頭詞"):
            if ended:
                return ""
            named = named or pos[1] not in ("非自立", "数", "接尾")
            thing.append(surface)
        elif surface == "の" and pos[1] == "連体化":
            thing.append(surface)
        elif pos[0] in ("助詞", "助動詞"):
            ended = named
    phrase = "".join(thing)
    while phrase and (phrase[-1] == "の" or not phrase[-1].isalnum()):
        phrase = phrase[:-1]
    return phrase if named else ""


def reading(text: str) -> str:
    """The katakana reading of Japanese text (料金 -> リョウキン, りょうきん -> リョウキン), width and case
    folded; other characters stay as they are. For matching and searching by sound: recognisers write the
    right sound with the wrong kanji (両金 for 料金)."""
    cleaned = normalize(text)
    if not _JA_TEXT.search(cleaned):
        return cleaned
    return "".join(r for _, r, _, _, _ in _ja_words(cleaned)).translate(_HIRA_TO_KATA)


_HIRA_TO_KATA = str.maketrans({chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)})


_JA_PUNCTUATION = "、。，．・！？!?,. 「」『』（）()…"


def heard_words(text: str, matched: Iterable[str]) -> list[str]:
    """The whole words of ``text`` that carry ``matched`` index terms (bigrams, stems, whole loanwords), in
    the order said, each once: what a person reads as "why this card". Never a fragment: a bigram such as
    「ター」 names the word it is part of (インターネット), and a word of one character is not shown."""
    found = [t for t in dict.fromkeys(matched) if t]
    if not found:
        return []
    cleaned = strip_fillers(normalize(text))
    result: list[str] = []
    if _JA_TEXT.search(cleaned):
        marked = [False] * len(cleaned)
        sounds = {t[1:] for t in found if t.startswith("~")}
        for term in found:
            if term.startswith("~"):
                continue
            start = cleaned.find(term)
            while start >= 0:
                for i in range(start, start + len(term)):
                    marked[i] = True
                start = cleaned.find(term, start + 1)
        for surface, sound, start, end, content in _ja_words(cleaned):
            # The tokenizer can glue the punctuation left by a removed filler to the next word
            # (「はい、メールアドレス」 -> 「、メールアドレス」): a reason names the word alone.
            word = surface.strip(_JA_PUNCTUATION)
            if not content or len(word) < 2 or not _JA_TEXT.search(word):
                continue
            if any(marked[start:end]) or sound in sounds:
                result.append(word)
    stems = set(found)
    english = _EN_WORD.findall(cleaned)
    for word in english:
        bare = word.replace("’", "'").split("'")[0]
        if len(bare) >= 2 and (bare in stems or stem(bare) in stems) and bare not in EN_STOP:
            result.append(bare)
    for first, second in itertools.pairwise(english):
        if stem(first + second) in stems:  # a compound the recogniser split: "pass word"
            result.append(f"{first} {second}")
    return list(dict.fromkeys(result))


def without_words(text: str, words: Iterable[str]) -> str:
    """``text`` (normalised) with every occurrence of ``words`` taken out, longest first: what the line says
    beyond the words it shares with a knowledge entry (see Matcher._beyond_words)."""
    rest = normalize(text)
    for word in sorted(set(words), key=len, reverse=True):
        if word:
            rest = re.sub(
                rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])" if word.isascii() else re.escape(word),
                " ",
                rest,
            )
    return " ".join(rest.split())


_KATA_TO_HIRA = str.maketrans({chr(c + 0x60): chr(c) for c in range(0x3041, 0x3097)})


def to_katakana(text: str) -> str:
    return text.translate(_HIRA_TO_KATA)


def to_hiragana(text: str) -> str:
    return text.translate(_KATA_TO_HIRA)


def sound_alike(text: str, spellings: dict[str, list[str]] | None = None) -> list[str]:
    """Ways of writing ``text`` that sound the same, for search: itself, in katakana, in hiragana, its kana
    reading when it has kanji (料金 -> リョウキン, りょうきん), and known written forms of its reading from
    ``spellings`` (reading in katakana -> words, e.g. built from the support word list: りょうきん -> 料金).
    Width is folded by ``normalize`` (ｽｽﾞｷ is スズキ)."""
    cleaned = normalize(text).strip()
    variants = [cleaned]
    if not _JA_TEXT.search(cleaned):
        return variants
    sound = reading(cleaned) if _KANJI_CHAR.search(cleaned) else to_katakana(cleaned)
    variants += [to_katakana(cleaned), to_hiragana(cleaned), sound, to_hiragana(sound)]
    if spellings:
        variants += spellings.get(sound, [])
    return [v for v in dict.fromkeys(variants) if v]


_DIGITS_ONLY = re.compile(r"[0-9]{9,12}")
_GROUPINGS = ((3, 4, 4), (2, 4, 4), (3, 3, 4), (4, 2, 4), (3, 4), (4, 4), (2, 4), (3, 3))


def number_variants(text: str) -> list[str]:
    """Ways a phone number may be written in a transcript: 09012345678 also as 090-1234-5678 (and the other
    usual groupings), 090-1234-5678 also as 09012345678. Only for a query that is a number and nothing
    else."""
    cleaned = normalize(text).strip()
    digits = re.sub(r"[\s\-‐‑–—ー().+]", "", cleaned)
    if not _DIGITS_ONLY.fullmatch(digits):
        return [cleaned]
    variants = [cleaned, digits]
    for grouping in _GROUPINGS:
        if sum(grouping) == len(digits):
            parts, at = [], 0
            for size in grouping:
                parts.append(digits[at : at + size])
                at += size
            variants.append("-".join(parts))
    return list(dict.fromkeys(variants))


def spellings(texts: Iterable[str]) -> dict[str, list[str]]:
    """Kanji words of ``texts`` by their katakana reading (リョウキン -> [料金]): each noun and each compound,
    so a search typed in kana (りょうきん) can also look for the way the word is written."""
    found: dict[str, list[str]] = {}
    for text in texts:
        cleaned = normalize(text)
        if not _KANJI_CHAR.search(cleaned):
            continue
        words = [(w, r) for w, r, _, _, content in _ja_words(cleaned) if content]
        for token in _janome().tokenize(cleaned):  # type: ignore[attr-defined]
            if str(token.part_of_speech).startswith("名詞") and str(token.reading) != "*":
                words.append((str(token.surface), str(token.reading)))
        for word, sound in words:
            if len(word) >= 2 and _KANJI_CHAR.search(word):
                listed = found.setdefault(to_katakana(sound), [])
                if word not in listed:
                    listed.append(word)
    return found


_SMALL_KANA = str.maketrans("ァィゥェォャュョヮヵヶ", "アイウエオヤユヨワカケ")


def sound_key(text: str) -> str:
    """A loose key of how Japanese sounds, for words a recogniser got nearly right: the katakana reading with
    voicing marks and small kana folded (ルーダー and ルーター, 両金 and 料金 share a key)."""
    cleaned = normalize(text)
    kana = to_katakana(reading(cleaned) if _KANJI_CHAR.search(cleaned) else cleaned)
    bare = "".join(c for c in unicodedata.normalize("NFD", kana) if c not in "\u3099\u309a")
    return unicodedata.normalize("NFC", bare).translate(_SMALL_KANA)


def content_words(text: str) -> list[tuple[str, str]]:
    """(word, katakana reading) of the content words of Japanese text (nouns as compounds, verbs in their
    dictionary form)."""
    cleaned = strip_fillers(normalize(text))
    if not _JA_TEXT.search(cleaned):
        return []
    return [(w, r) for w, r, _, _, content in _ja_words(cleaned) if content and len(w) >= 2]


# --- English by sound: words a recogniser split or misspelled ("subscript shin", "a dress", "to eyes") -----

# Glides written as Y are heard as W after a vowel ("to eyes" ~ "twice"); T before SH is CH, which Metaphone
# writes as X too ("subscript shin" ~ "subscription").
_EN_KEY_FOLDS = (("Y", "W"), ("TX", "X"))
EN_SOUND_SPAN = 3  # up to this many heard words joined may be one word of the knowledge base
EN_SOUND_MIN_KEY = 3  # shorter keys ("TS") are shared by too many words to say which one was meant


def english_sound_key(word: str) -> str:
    """A key of how an English word (or words run together) sounds: the Metaphone code (jellyfish) of its
    spelling with doubled letters made single, and two folds for sounds recognisers confuse (see
    ``_EN_KEY_FOLDS``). "adress" and "address" share ATRS, "subscriptshin" and "subscription" SBSKRPXN."""
    single = "".join(c for c, _ in itertools.groupby(word))  # "acount" is heard as "account"
    key = jellyfish.metaphone(single).upper()
    for written, heard in _EN_KEY_FOLDS:
        key = key.replace(written, heard)
    return key


def english_words(text: str) -> list[str]:
    """The lower-cased words of English ``text`` (apostrophes kept), in order, for matching by sound."""
    cleaned = normalize(text)
    if _JA_TEXT.search(cleaned):
        return []
    return _EN_WORD.findall(cleaned)


def english_spans(text: str) -> list[tuple[int, int, str]]:
    """(first word, end word, the words run together) for each run of 1 to ``EN_SOUND_SPAN`` words of an
    English line, longest first: the candidates for a word the recogniser heard as several ("a dress")."""
    words = english_words(text)
    spans: list[tuple[int, int, str]] = []
    for size in range(min(EN_SOUND_SPAN, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            joined = "".join(w.replace("'", "").replace("’", "") for w in words[start : start + size])
            spans.append((start, start + size, joined))
    return spans


def spelled_alike(heard: str, known: str) -> bool:
    """Whether one heard word is a slip of ``known``: at most one edit (a transposition counts as one) in four
    letters ("addres", "oredr", "servcies"). One word that only shares a sound key ("bloody" and "billed",
    both PLT) is another word."""
    return jellyfish.damerau_levenshtein_distance(heard, known) <= max(1, len(known) // 4)
