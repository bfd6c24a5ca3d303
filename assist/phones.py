"""Phone numbers as callers and CRMs write them, reduced to one comparable form.

A CRM export holds 03-1234-5678, the telephone system reports +81312345678, a colleague typed
"090 1234 5678": they are the same caller. We keep the E.164 form (``+``, country code, national number)
and look callers up by it. Parsing is Google's libphonenumber (the ``phonenumbers`` package, Apache-2.0),
which knows every country's codes, trunk prefixes and number lengths: ``+353 86 123 4567`` is Ireland
(national number 861234567), ``010-81-90-…`` is dialled from Japan with its international prefix.

Numbers written without a country code are read in the team's default region: Japan unless the
environment variable ``AGENT_ASSIST_PHONE_REGION`` names another (a two-letter region code such as ``US`` or
``IE``). When a number is not a valid number of that region, the readings people often mean are tried: a
``00`` international prefix (Europe), ten digits without a trunk ``0`` (or eleven starting with 1) as a
North American number read out without its ``+1``, and a country code written without its ``+``. A number that is valid in no reading but has a plausible length is kept as read in
the default region, so an unknown caller still comes back as a new caller rather than an error.
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
    """The ways ``text`` can be read, the plain reading in ``region`` first."""
    attempts = [(text, region)]
    if not text.startswith("+"):
        if digits.startswith("00"):
            attempts.append(("+" + digits[2:], region))
        if phonenumbers.country_code_for_region(region) != 1:
            if len(digits) == 10 and digits[0] in "23456789":
                attempts.append(("+1" + digits, region))
            elif len(digits) == 11 and digits[0] == "1":
                attempts.append(("+" + digits, region))
        if digits[:1] in "123456789":  # a country code written without its "+"
            attempts.append(("+" + digits, region))
    for candidate, where in attempts:
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
    # Valid in no reading: prefer the alternative readings (what the old rules meant), then the plain one.
    for number in [*readings[1:], *readings[:1]]:
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
