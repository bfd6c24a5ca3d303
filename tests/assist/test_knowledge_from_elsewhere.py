"""Knowledge another program changed in the agent's store (``agent-assist kb import`` while the app runs, a
second connection) is what the next call's cards show, although the app's matchers keep what they read from
call to call."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from assist.matching import Matcher, WeightedTerm
from assist.store import Store

from .conftest import eval_kb

# Not one word of 「住所変更」 or its aliases: its card is found by meaning alone.
LINE = "今度、新居に移るので郵便の届く場所を直したいんです"


def first_card(store: Store) -> tuple[str, str]:
    """A new call's matcher on ``store`` (warmed up as the call starts), asked about LINE."""
    matcher = Matcher(store)
    matcher.warm_up()
    terms = [WeightedTerm(t, 1.0) for t in dict.fromkeys(matcher.cut(LINE))]
    card = matcher.knowledge(terms, limit=1, text=LINE)[0]
    return card.id, card.title


def test_an_entry_renamed_by_another_program_shows_its_new_title_from_the_next_call(tmp_path: Path) -> None:
    path = tmp_path / "agent-assist.sqlite3"
    with Store.open(path) as store:
        store.upsert_knowledge(eval_kb())
        entry = store.get_knowledge("ja-address-change")
        assert entry is not None
        assert first_card(store) == ("ja-address-change", entry.title)
        assert first_card(store) == ("ja-address-change", entry.title)  # nobody else wrote: read as before

        with Store.open(path) as elsewhere:  # another process's import of the edited entry
            renamed = replace(entry, title="住所・送付先の変更手続き")
            elsewhere.upsert_knowledge([renamed])

        assert first_card(store) == ("ja-address-change", "住所・送付先の変更手続き")
