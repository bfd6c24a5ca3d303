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
from typing import Any

from assist.domain import Customer, KnowledgeEntry
from audio.lexicon import noun_compounds

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
    store: Any, caller: Customer | None = None, *, customers_limit: int = CUSTOMERS_LIMIT
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
