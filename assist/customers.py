"""Who is calling and what the team knows about them: caller lookup and the customer context card.

The promise to the customer is that they never have to repeat themselves; this is where the agent's screen
gets everything needed for that, in the order an agent reads it: cautions and pinned notes, open promises,
the last contacts (who handled them, what was agreed), and what changed since that last contact.
"""

from __future__ import annotations

from assist.domain import (
    CallerLookup,
    Change,
    ChangeKind,
    ContactSummary,
    CustomerContext,
    FollowUpStatus,
    LookupStatus,
)
from assist.phones import PhoneNumberError, normalize_phone
from assist.store import Store


class UnknownCustomerError(LookupError):
    """No customer with this id in the store."""


def lookup_caller(store: Store, phone: str) -> CallerLookup:
    """The customer(s) behind a phone number in any written form; ``NEW_CALLER`` when nobody has it."""
    try:
        normalized = normalize_phone(phone)
    except PhoneNumberError:
        return CallerLookup(LookupStatus.INVALID, phone, "")
    found = store.customers_by_phone(normalized)
    if not found:
        return CallerLookup(LookupStatus.NEW_CALLER, phone, normalized)
    status = LookupStatus.KNOWN if len(found) == 1 else LookupStatus.AMBIGUOUS
    return CallerLookup(status, phone, normalized, tuple(found))


def find_customer(store: Store, id_or_phone: str) -> CallerLookup:
    """A customer by id, else by phone number (what ``--customer`` accepts on the command line)."""
    customer = store.get_customer(id_or_phone)
    if customer is not None:
        return CallerLookup(LookupStatus.KNOWN, id_or_phone, "", (customer,))
    return lookup_caller(store, id_or_phone)


def customer_context(
    store: Store, customer_id: str, last_contacts: int = 3, current_call_id: str | None = None
) -> CustomerContext:
    """The context card of a customer. ``current_call_id`` (the live call) is not a "last contact"; calls
    still in progress (no end, no summary) are skipped too."""
    customer = store.get_customer(customer_id)
    if customer is None:
        raise UnknownCustomerError(f"no customer with id {customer_id!r}")
    notes = store.notes_for(customer_id)
    calls = [
        c
        for c in store.calls_for(customer_id, limit=last_contacts + 3)
        if c.id != current_call_id and (c.ended_at or c.summary)
    ][:last_contacts]
    contacts = tuple(
        ContactSummary(
            call_id=c.id,
            started_at=c.started_at,
            agent=c.agent,
            summary=c.summary,
            disposition=c.disposition,
            tags=c.tags,
        )
        for c in calls
    )
    changes: list[Change] = []
    if calls:
        since = calls[0].ended_at or calls[0].started_at
        changes += [
            Change(ChangeKind.NOTE_ADDED, n.id, n.created_at, n.text) for n in notes if n.created_at > since
        ]
        for follow_up, changed_at in store.follow_ups_changed_since(customer_id, since):
            if follow_up.call_id == calls[0].id:
                continue  # promised during that very call: already in its summary
            kind = (
                ChangeKind.FOLLOW_UP_ADDED
                if follow_up.status is FollowUpStatus.OPEN
                else ChangeKind.FOLLOW_UP_CLOSED
            )
            changes.append(Change(kind, follow_up.id, changed_at, follow_up.text))
        if customer.updated_at > since:
            changes.append(Change(ChangeKind.PROFILE_UPDATED, customer.id, customer.updated_at))
    return CustomerContext(
        customer=customer,
        notes=tuple(notes),
        open_follow_ups=tuple(store.follow_ups_for(customer_id, FollowUpStatus.OPEN)),
        last_contacts=contacts,
        changed_since_last_contact=tuple(sorted(changes, key=lambda c: c.at)),
    )
