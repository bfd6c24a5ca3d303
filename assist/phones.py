"""Phone numbers as callers and CRMs write them, reduced to one comparable form.

A CRM export holds 03-1234-5678, the telephone system reports +81312345678, a colleague typed
"090 1234 5678": they are the same caller. We keep an E.164-like form (``+`` country code and national
number) and look callers up by it; numbers written without a country code are read in the team's default
region (Japan unless configured), where a leading trunk ``0`` is dropped.
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_COUNTRY_CODE = "81"
_ALLOWED = re.compile(r"^[\s\d+()\-.\u2010-\u2015\u30fc/]*$")
# Country codes we recognise after "+" (longest first where prefixes overlap); others fall back to 1-3 digits.
_COUNTRY_CODES = (
    "1",
    "7",
    "20",
    "27",
    "30",
    "31",
    "32",
    "33",
    "34",
    "36",
    "39",
    "41",
    "44",
    "45",
    "46",
    "47",
    "48",
    "49",
    "52",
    "55",
    "61",
    "62",
    "63",
    "64",
    "65",
    "66",
    "81",
    "82",
    "84",
    "86",
    "90",
    "91",
    "852",
    "853",
    "886",
    "971",
)


class PhoneNumberError(ValueError):
    """The text cannot be a phone number (letters, too few or too many digits)."""


def normalize_phone(raw: str, default_country: str = DEFAULT_COUNTRY_CODE) -> str:
    """``"+81 90-1234-5678"``, ``"090 1234 5678"``, ``"+819012345678"`` -> ``"+819012345678"``.

    Raises PhoneNumberError when ``raw`` has letters or an implausible number of digits.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    text = re.sub(r"(?i)\s*(ext\.?|x|内線)\s*\d+$", "", text)  # an extension does not identify the caller
    if not text or not _ALLOWED.match(text):
        raise PhoneNumberError(f"not a phone number: {raw!r}")
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        national = digits
    elif digits.startswith("00"):  # international prefix used in Japan and Europe
        national = digits[2:]
    elif digits.startswith("010"):  # Japanese international prefix
        national = digits[3:]
    elif digits.startswith("0"):
        national = default_country + digits[1:]
    elif default_country == "1" and len(digits) == 11 and digits.startswith("1"):
        national = digits
    elif len(digits) == 10 and default_country != "1" and digits[0] in "23456789":
        # Ten digits without a trunk 0 are a North American number read out without +1.
        national = "1" + digits
    else:
        national = default_country + digits
    if not 8 <= len(national) <= 15:
        raise PhoneNumberError(f"not a phone number (wrong number of digits): {raw!r}")
    return "+" + national


def national_number(normalized: str) -> str:
    """The number without its country code, for matching a caller whose number was stored without one."""
    digits = normalized.lstrip("+")
    for code in sorted(_COUNTRY_CODES, key=len, reverse=True):
        if digits.startswith(code):
            return digits[len(code) :]
    return digits[1:]


def try_normalize_phone(raw: str, default_country: str = DEFAULT_COUNTRY_CODE) -> str | None:
    try:
        return normalize_phone(raw, default_country)
    except PhoneNumberError:
        return None
