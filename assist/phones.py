"""Phone numbers as callers and CRMs write them, reduced to one comparable form.

A CRM export holds 03-1234-5678, the telephone system reports +81312345678, a colleague typed
"090 1234 5678": they are the same caller. We keep the E.164 form (``+``, country code, national number)
and look callers up by it. Parsing is Google's libphonenumber (the ``phonenumbers`` package, Apache-2.0),
which knows every country's codes, trunk prefixes and number lengths: ``+353 86 123 4567`` is Ireland
(national number 861234567), ``010-81-90-…`` is dialled from Japan with its international prefix.

Numbers written without a country code are read in the team's default region: Japan unless the
environment variable ``AGENT_ASSIST_PHONE_REGION`` names another (a two-letter region code such as ``US`` or
``IE``). A number written without the region's trunk prefix (Japanese numbers are always written with
their ``0``) is first read the ways people mean it: ten digits (or eleven starting with 1) as a North
American number without its ``+1``, eleven or more as a country code without its ``+``. A ``00``
international prefix (Europe) is tried when the region's own reading is not a valid number. The first
valid reading wins; a number valid in no reading but of a plausible length keeps its likeliest reading, so
an unknown caller comes back as a new caller rather than an error.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterator

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

log = logging.getLogger(__name__)

REGION_ENV = "AGENT_ASSIST_PHONE_REGION"
DEFAULT_REGION = "JP"
# Letters are refused (a vanity number is not how callers are identified); separators people use are not.
_ALLOWED = re.compile(r"^[\s\d+()\-.\u2010-\u2015\u30fc/]*$")
_EXTENSION = re.compile(r"(?i)\s*(ext\.?|x|内線)\s*\d+$")  # an extension does not identify the caller
_warned: set[str] = set()


class PhoneNumberError(ValueError):
    """The text cannot be a phone number (letters, too few or too many digits)."""


def default_region() -> str:
    """The region numbers without a country code are read in: ``AGENT_ASSIST_PHONE_REGION``, else JP."""
    value = os.environ.get(REGION_ENV, "").strip().upper()
    if not value:
        return DEFAULT_REGION
    if value not in phonenumbers.SUPPORTED_REGIONS:
        if value not in _warned:
            _warned.add(value)
            log.warning(
                "%s=%r is not a region code (JP, US, IE ...); using %s", REGION_ENV, value, DEFAULT_REGION
            )
        return DEFAULT_REGION
    return value


def _readings(text: str, digits: str, region: str) -> Iterator[PhoneNumber]:
    """The ways ``text`` can be read, the likeliest first. A number written as it is dialled inside the region
    (with its trunk prefix, "0" in Japan) is read there first; one without it (``415-555-0199`` in Japan:
    Japanese numbers are always written with their 0) is first read as a number from abroad."""
    plain = (text, region)
    others: list[tuple[str, str]] = []
    if not text.startswith("+"):
        if digits.startswith("00"):
            others.append(("+" + digits[2:], region))
        if phonenumbers.country_code_for_region(region) != 1:
            if len(digits) == 10 and digits[0] in "23456789":
                others.append(("+1" + digits, region))
            elif len(digits) == 11 and digits[0] == "1":
                others.append(("+" + digits, region))
        if len(digits) >= 11 and digits[0] in "23456789":  # a country code written without its "+"
            others.append(("+" + digits, region))
    trunk = phonenumbers.ndd_prefix_for_region(region, True) or ""
    national_form = text.startswith("+") or not trunk or digits.startswith(trunk)
    for candidate, where in [plain, *others] if national_form else [*others, plain]:
        try:
            yield phonenumbers.parse(candidate, where)
        except NumberParseException:
            continue


def parse_phone(raw: str, region: str | None = None) -> PhoneNumber:
    """The number ``raw`` stands for. Raises PhoneNumberError when it has letters or cannot be a number."""
    text = _EXTENSION.sub("", unicodedata.normalize("NFKC", raw).strip())
    if not text or not _ALLOWED.match(text):
        raise PhoneNumberError(f"not a phone number: {raw!r}")
    where = region or default_region()
    readings = list(_readings(text, re.sub(r"\D", "", text), where))
    for number in readings:
        if phonenumbers.is_valid_number(number):
            return number
    # Valid in no reading (a number not yet assigned, a made-up one): the likeliest reading of a plausible
    # length.
    for number in readings:
        if phonenumbers.is_possible_number(number):
            return number
    raise PhoneNumberError(f"not a phone number (wrong number of digits): {raw!r}")


def normalize_phone(raw: str, region: str | None = None) -> str:
    """``"+81 90-1234-5678"``, ``"090 1234 5678"``, ``"+819012345678"`` -> ``"+819012345678"`` (E.164).

    ``region`` (default: :func:`default_region`) is where numbers without a country code are read.
    Raises PhoneNumberError when ``raw`` has letters or cannot be a phone number.
    """
    return phonenumbers.format_number(parse_phone(raw, region), PhoneNumberFormat.E164)


def national_number(normalized: str) -> str:
    """The national significant number of an E.164 number (no country code, no trunk 0), for matching a
    caller whose number was stored with another or no country code."""
    try:
        return phonenumbers.national_significant_number(phonenumbers.parse(normalized, None))
    except NumberParseException:
        return normalized.lstrip("+")


def try_normalize_phone(raw: str, region: str | None = None) -> str | None:
    try:
        return normalize_phone(raw, region)
    except PhoneNumberError:
        return None


def index_version() -> str:
    """What the stored phone index depends on: when it changes (another region, another parser), the store
    rebuilds its index of customers' numbers."""
    return f"phonenumbers:{default_region()}"
