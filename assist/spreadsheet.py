"""CSV files that are safe to open in a spreadsheet, and that read back exactly as they were written.

Excel and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return
before one) as a formula: a customer's words or a CRM field such as ``=HYPERLINK("http://…")`` must never
become one. Every CSV the app writes goes through :func:`write_csv` (or :class:`SafeWriter`), which puts an
apostrophe before such a cell (the spreadsheets' own mark for "this is text"; they hide it).
:func:`restore_cell` takes that apostrophe off again when we import a file, so an export re-imports unchanged.
The rule is reversible: a cell that already started with apostrophes before one of those characters gets one
more, and loses one on import.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

# A cell whose first character (after any apostrophes we or a user put there) would start a formula.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")


def safe_cell(value: object) -> str:
    """The text of ``value`` as a spreadsheet shows it and never evaluates it."""
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) else text


def restore_cell(text: str) -> str:
    """Undo :func:`safe_cell`: drop the one apostrophe it put before a formula character."""
    return text[1:] if _NEUTRALISED.match(text) else text


class SafeWriter:
    """A csv writer whose every cell goes through :func:`safe_cell` (for files written row by row)."""

    def __init__(self, out: TextIO, delimiter: str = ",") -> None:
        self._writer = csv.writer(out, dialect="excel-tab" if delimiter == "\t" else "excel")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])


def write_csv(
    target: Path,
    header: Iterable[str],
    rows: Iterable[Iterable[object]],
    encoding: str | None = None,
    delimiter: str = ",",
) -> int:
    """Write ``header`` and ``rows`` with every cell made formula-safe. UTF-8 with a BOM by default (what
    Excel needs to show Japanese); CP932 on request for older tools. Returns the number of rows written.
    Raises OSError and UnicodeEncodeError for the caller to report."""
    count = 0
    with target.open("w", encoding=encoding or "utf-8-sig", newline="") as out:
        writer = SafeWriter(out, delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
