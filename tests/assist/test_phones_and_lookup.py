from __future__ import annotations

import pytest

from assist.customers import find_customer, lookup_caller
from assist.domain import Customer, LookupStatus
from assist.phones import PhoneNumberError, normalize_phone
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
