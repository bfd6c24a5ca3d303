"""Properties over many generated inputs: any valid card number in any form is redacted; phone numbers
normalise the same whatever the punctuation; domain records survive their plain-dict round trip (the
shape the sync change feed carries)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from assist.domain import CallRecord, Customer, FollowUp, KnowledgeEntry, Note, NoteKind
from assist.phones import normalize_phone
from assist.redaction import PiiKind, redact

EN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
JA = ["ぜろ", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう"]


def with_check_digit(body: str) -> str:
    for check in "0123456789":
        digits = body + check
        total = sum(
            (int(c) * 2 - 9 if int(c) * 2 > 9 else int(c) * 2) if i % 2 else int(c)
            for i, c in enumerate(reversed(digits))
        )
        if total % 10 == 0:
            return digits
    raise AssertionError


cards = st.integers(min_value=13, max_value=19).flatmap(
    lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1).map(
        lambda b: with_check_digit("4" + b[1:])
    )
)


@settings(max_examples=120, deadline=None)
@given(
    card=cards,
    form=st.sampled_from(["plain", "spaced", "hyphen", "en-words", "ja-words"]),
    frame=st.sampled_from(["{}", "カード番号は{}です", "my card number is {} thanks", "えーと、{}で"]),
)
def test_any_valid_card_number_in_any_form_is_redacted(card: str, form: str, frame: str) -> None:
    groups = [card[i : i + 4] for i in range(0, len(card), 4)]
    spoken = {
        "plain": card,
        "spaced": " ".join(groups),
        "hyphen": "-".join(groups),
        "en-words": ", ".join(" ".join(EN[int(d)] for d in g) for g in groups),
        "ja-words": "、".join("".join(JA[int(d)] for d in g) for g in groups),
    }[form]
    result = redact(frame.format(spoken))
    assert PiiKind.CARD in result.kinds
    assert card not in re.sub(r"\D", "", result.text)


@given(
    st.text("0123456789", min_size=8, max_size=8),
    st.sampled_from(["90", "80", "70"]),
    st.sampled_from(["-", " ", "", "ー", "　"]),
)
def test_mobile_numbers_normalise_whatever_the_separator(rest: str, prefix: str, sep: str) -> None:
    local = f"0{prefix}{sep}{rest[:4]}{sep}{rest[4:]}"
    international = f"+81{sep}{prefix}{sep}{rest}"
    assert normalize_phone(local) == normalize_phone(international) == f"+81{prefix}{rest}"


texts = st.text(min_size=0, max_size=30)
lists = st.lists(st.text(min_size=1, max_size=10), max_size=3).map(tuple)


@given(st.builds(Customer, id=texts, name=texts, kana=texts, phones=lists, tags=lists, traits=lists))
def test_customer_round_trips_through_a_plain_dict(customer: Customer) -> None:
    assert Customer.from_dict(customer.to_dict()) == customer


@given(
    st.builds(
        Note, id=texts, customer_id=texts, text=texts, kind=st.sampled_from(NoteKind), pinned=st.booleans()
    )
)
def test_note_round_trips_through_a_plain_dict(note: Note) -> None:
    assert Note.from_dict(note.to_dict()) == note


def test_other_records_round_trip_through_plain_dicts() -> None:
    follow_up = FollowUp(id="f", customer_id="c", text="明日折り返し", due="2026-11-19", call_id="call")
    entry = KnowledgeEntry(id="k", title="t", tags=("a",), aliases=("b", "c"), language="ja")
    call = CallRecord(id="call", customer_id=None, tags=("x",), summary="s")
    assert FollowUp.from_dict(follow_up.to_dict()) == follow_up
    assert KnowledgeEntry.from_dict(entry.to_dict()) == entry
    assert CallRecord.from_dict(call.to_dict()) == call


@given(st.text(max_size=12))
def test_a_formula_safe_cell_never_starts_a_formula_and_reads_back_as_written(text: str) -> None:
    from assist.spreadsheet import restore_cell, safe_cell

    cell = safe_cell(text)
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert restore_cell(cell) == text
