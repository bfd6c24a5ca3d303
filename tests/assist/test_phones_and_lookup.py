from __future__ import annotations

from pathlib import Path

import pytest

from assist.customers import find_customer, lookup_caller
from assist.domain import Customer, LookupStatus
from assist.phones import REGION_ENV, PhoneNumberError, national_number, normalize_phone
from assist.store import Store


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("03-1234-5678", "+81312345678"),
        ("090 1234 5678", "+819012345678"),
        ("+81 90-1234-5678", "+819012345678"),
        ("+819012345678", "+819012345678"),
        ("０９０－１２３４－５６７８", "+819012345678"),
        ("(090) 1234-5678", "+819012345678"),
        ("010-81-90-1234-5678", "+819012345678"),
        ("+1 415 555 0199", "+14155550199"),
        ("415-555-0199", "+14155550199"),
        ("03-1234-5678 内線 12", "+81312345678"),
        # Issue 16: numbers from abroad, written the ways people write them.
        ("+353 86 123 4567", "+353861234567"),
        ("00353 86 123 4567", "+353861234567"),
        ("+353 (0)86 123 4567", "+353861234567"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+39 06 1234 5678", "+390612345678"),
        ("2125550199", "+12125550199"),
        ("1 212 555 0199", "+12125550199"),
        ("(909) 461-3875", "+19094613875"),  # not a Japanese mobile: those are written with their 0
        ("(800) 663-6699", "+18006636699"),  # not Japanese freephone either
        ("819012345678", "+819012345678"),
    ],
)
def test_every_written_form_reduces_to_one_number(written: str, expected: str) -> None:
    assert normalize_phone(written) == expected


@pytest.mark.parametrize("bad", ["", "abc", "090-12", "call me", "1" * 20])
def test_text_that_is_not_a_phone_number_is_refused(bad: str) -> None:
    with pytest.raises(PhoneNumberError):
        normalize_phone(bad)


@pytest.fixture
def customers(store: Store) -> Store:
    store.upsert_customers(
        [
            Customer(id="c1", name="山田 太郎", phones=("090-1234-5678", "03-1111-2222")),
            Customer(id="c2", name="Jane Doe", phones=("+1 (415) 555-0199",)),
            Customer(id="c3", name="山田 花子", phones=("03-1111-2222",)),
        ]
    )
    return store


@pytest.mark.parametrize("dialled", ["+819012345678", "090-1234-5678", "+81 90 1234 5678", "09012345678"])
def test_a_known_caller_is_found_whatever_form_the_number_arrives_in(customers: Store, dialled: str) -> None:
    result = lookup_caller(customers, dialled)
    assert result.status is LookupStatus.KNOWN
    assert result.customer is not None and result.customer.id == "c1"


def test_a_north_american_number_is_found_with_or_without_country_code(customers: Store) -> None:
    for dialled in ("+14155550199", "415 555 0199", "(415) 555-0199"):
        result = lookup_caller(customers, dialled)
        assert result.customer is not None and result.customer.id == "c2", dialled


def test_unknown_number_is_a_new_caller_and_shared_number_is_ambiguous(customers: Store) -> None:
    assert lookup_caller(customers, "06-9999-0000").status is LookupStatus.NEW_CALLER
    shared = lookup_caller(customers, "0311112222")
    assert shared.status is LookupStatus.AMBIGUOUS
    assert {c.id for c in shared.customers} == {"c1", "c3"}
    assert lookup_caller(customers, "not a number").status is LookupStatus.INVALID


def test_a_changed_phone_number_no_longer_finds_the_customer(customers: Store) -> None:
    customers.upsert_customer(Customer(id="c1", name="山田 太郎", phones=("080-0000-1111",)))
    assert lookup_caller(customers, "090-1234-5678").status is LookupStatus.NEW_CALLER
    assert lookup_caller(customers, "080-0000-1111").status is LookupStatus.KNOWN


def test_find_customer_accepts_an_id_or_a_phone(customers: Store) -> None:
    by_id = find_customer(customers, "c2").customer
    by_phone = find_customer(customers, "090-1234-5678").customer
    assert by_id is not None and by_id.id == "c2"
    assert by_phone is not None and by_phone.id == "c1"


@pytest.mark.parametrize(
    ("normalized", "national"),
    [("+353861234567", "861234567"), ("+819012345678", "9012345678"), ("+390612345678", "0612345678")],
)
def test_the_national_number_drops_exactly_the_country_code(normalized: str, national: str) -> None:
    assert national_number(normalized) == national


def test_numbers_without_a_country_code_are_read_in_the_configured_region() -> None:
    assert normalize_phone("086 123 4567", region="IE") == "+353861234567"
    assert normalize_phone("(415) 555-0199", region="US") == "+14155550199"
    assert normalize_phone("+81 3-1234-5678", region="US") == "+81312345678"


def test_an_irish_caller_is_found_and_not_mistaken_for_a_japanese_one(customers: Store) -> None:
    customers.upsert_customers(
        [
            Customer(id="ie", name="Siobhán Murphy", phones=("+353 86 123 4567",)),
            Customer(id="jp", name="岡山 一郎", phones=("086-123-4567",)),
        ]
    )
    for dialled in ("+353861234567", "00353 86 123 4567", "+353 (0)86 123 4567"):
        found = lookup_caller(customers, dialled)
        assert found.status is LookupStatus.KNOWN and found.customer is not None, dialled
        assert found.customer.id == "ie", dialled
    found = lookup_caller(customers, "086-123-4567")
    assert found.customer is not None and found.customer.id == "jp"


def test_changing_the_region_reindexes_the_stored_numbers_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as store:
        store.upsert_customers(
            [
                Customer(id="ie", name="Siobhán Murphy", phones=("086 123 4567",)),  # read in JP: +81 86...
                Customer(id="jp", name="岡山 一郎", phones=("+81 86-123-4567",)),
            ]
        )
        assert lookup_caller(store, "+81861234567").status is LookupStatus.AMBIGUOUS
    monkeypatch.setenv(REGION_ENV, "IE")
    with Store.open(path) as store:
        for dialled, expected in (("+353861234567", "ie"), ("086 123 4567", "ie"), ("+81861234567", "jp")):
            found = lookup_caller(store, dialled)
            assert found.status is LookupStatus.KNOWN and found.customer is not None, dialled
            assert found.customer.id == expected, dialled
