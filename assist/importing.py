"""Bringing a team's knowledge base and customer list in from CRM and FAQ exports, and back out.

Team leads hand us whatever their tools export: JSON Lines or CSV, in UTF-8, UTF-8 with a BOM, Shift_JIS/CP932
from Japanese Excel, or Excel's "Unicode text" (UTF-16 with a BOM, tab-separated, saved as .txt). We detect
the encoding (or take ``encoding``) and the separator (comma or tab), check every row before writing any,
and name the file, row and field of each problem. By default one bad row stops the whole import (nothing
half-imported to clean up); ``skip_invalid`` imports the good rows and reports the rest. Rows are keyed by
``id``: importing the same file twice updates, never duplicates. Notes are redacted like transcripts (a card
number pasted into a CRM note must not land in our store).

Row numbers are what a person sees: the line of a JSONL file, the spreadsheet row of a CSV (header = 1, a
cell with line breaks is still one row). A quote opened by mistake in a CSV cell would swallow the rows
below it into that cell; such a row is reported on its own and the rows after it are read as meant. An
empty file, or one with only a header, is an error, not "0 imported".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from assist.domain import Customer, KnowledgeEntry, Note, NoteKind, TriggerRule
from assist.phones import PhoneNumberError, normalize_phone
from assist.redaction import redact
from assist.spreadsheet import restore_cell, write_csv
from assist.store import Store

LIST_SEPARATOR = ";"
KNOWLEDGE_FIELDS = ("id", "title", "body", "tags", "language", "aliases", "triggers")
CUSTOMER_FIELDS = (
    "id",
    "name",
    "kana",
    "company",
    "phones",
    "email",
    "tags",
    "traits",
    "preferred_language",
    "notes",
)


class FileFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


class ImportFileError(Exception):
    """The file as a whole cannot be read (missing, unknown format, undecodable)."""


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: row {self.row}"
        return f"{where}, field {self.field!r}: {self.message}" if self.field else f"{where}: {self.message}"


class ImportRejected(Exception):
    """Some rows are bad and ``skip_invalid`` was not given: nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} bad row(s), nothing imported; first: {errors[0]}")


@dataclass(frozen=True, slots=True)
class ImportReport:
    file: str
    encoding: str
    imported: int
    created: int
    updated: int
    errors: tuple[RowError, ...] = field(default=())
    unchanged: int = 0  # rows that match what the store already holds (nothing written for them)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "encoding": self.encoding,
            "imported": self.imported,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [str(e) for e in self.errors],
        }


def file_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return FileFormat.JSONL
    if suffix in (".csv", ".tsv", ".txt"):
        return FileFormat.CSV
    raise ImportFileError(f"{path}: unknown file type {suffix!r} (use .jsonl or .csv)")


def _utf16_without_bom(raw: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when ``raw`` looks like UTF-16 text that lost its BOM (text in Latin
    script or with ASCII separators has a NUL in every other byte), else None."""
    sample = raw[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= len(sample) // 8 and even * 4 <= odd:
        return "utf-16-le"
    if even >= len(sample) // 8 and odd * 4 <= even:
        return "utf-16-be"
    return None


def decode(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The text of ``path`` and the encoding it was read with: a BOM (UTF-8, or UTF-16 LE/BE as Excel's
    "Unicode text" writes it) decides, then UTF-16 without a BOM, UTF-8, and CP932 are tried."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError as exc:
            raise ImportFileError(f"{path}: unknown encoding {encoding!r}") from exc
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{path}: not valid {encoding} at byte {exc.start}") from exc
    boms = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
    bom = next(((mark, name) for mark, name in boms if raw.startswith(mark)), None)
    guess = bom[1] if bom else _utf16_without_bom(raw)
    if guess:
        body = raw[len(bom[0]) :] if bom else raw
        try:
            return body.decode(guess.removesuffix("-sig")), guess
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"{path}: starts like {guess} but is not valid {guess} at byte {exc.start}; "
                "give the encoding with --encoding"
            ) from exc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return raw.decode("cp932"), "cp932"
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{path}: neither UTF-8, UTF-16 nor Shift_JIS/CP932 (bad byte at {utf8_error.start}); "
                "give the encoding with --encoding"
            ) from utf8_error


# Columns whose cells may hold line breaks; a line break anywhere else means a quote opened by mistake.
MULTILINE_FIELDS = frozenset({"body", "notes"})


def _delimiter(path: Path, first_line: str) -> str:
    """Tab for .tsv and for tab-separated text whatever its name (Excel's "Unicode text" is a .txt)."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def _swallowed_field(cells: list[str], header: list[str]) -> str | None:
    """The column of a cell that ran over following lines of the file, when that cannot be a real cell: a
    line break in a one-line column, or a line inside it that is a whole row on its own."""
    for name, cell in zip(header, cells, strict=False):
        if "\n" not in cell and "\r" not in cell:
            continue
        if name not in MULTILINE_FIELDS:
            return name
        for line in cell.splitlines()[1:]:
            parts = next(csv.reader([line]), [])
            if len(parts) == len(header) and parts[0].strip():
                return name
    if len(cells) < len(header) and any("\n" in c or "\r" in c for c in cells):
        return header[len(cells) - 1]
    return None


def _quote_field(line: str, header: list[str], delimiter: str) -> str:
    """The column where the unbalanced quote of a physical line sits (best effort: the cell it opens)."""
    cells = next(csv.reader([line], delimiter=delimiter), [])
    if cells and cells[-1].endswith(("\n", "\r")):
        index = len(cells) - 1
    else:
        index = line[: line.find('"')].count(delimiter) if '"' in line else 0
    return header[index] if index < len(header) else ""


def _csv_records(path: Path, text: str) -> Iterator[tuple[int, dict[str, object] | RowError]]:
    """(spreadsheet row, cells by column or the error) for each data row of a CSV text.

    Rows are counted as a spreadsheet shows them: the header is row 1 and a cell with line breaks does not
    add rows. A quote opened by mistake would swallow the following rows into one cell: such a row is
    reported on its own spreadsheet row, and reading starts again on the next line of the file, so the rows
    after it are read as they were meant."""
    lines = list(io.StringIO(text, newline=""))
    first = next((line for line in lines if line.strip()), "")
    delimiter = _delimiter(path, first)
    header: list[str] = []
    row, start = 0, 0
    while start < len(lines):
        used = 0

        def feed(begin: int) -> Iterator[str]:
            nonlocal used
            for line in lines[begin:]:
                used += 1
                yield line

        reader = csv.reader(feed(start), delimiter=delimiter, strict=True)
        restart = None
        while True:
            before = used
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error:
                cells = None
            row += 1
            record_start = start + before
            if not header:
                if cells is None:
                    raise ImportFileError(
                        f'{path}: row {row} (the header) has a quote (") that is never closed'
                    )
                if any(c.strip() for c in cells):
                    header = _header(path, cells)
                continue
            field_name = None if cells is None else _swallowed_field(cells, header)
            if cells is None or field_name is not None:
                if field_name:
                    message = (
                        'a line break inside this cell: a quote (") opened here is probably never closed, '
                        "so the rows below ran into it"
                    )
                else:
                    field_name = _quote_field(lines[record_start], header, delimiter)
                    message = 'a quote (") in this cell is never closed or has text right after it'
                yield (
                    row,
                    RowError(
                        str(path),
                        row,
                        field_name,
                        f'{message}; double a quote that is part of the text ("") or remove it',
                    ),
                )
                restart = record_start + 1
                break
            if len(cells) > len(header):
                yield row, RowError(str(path), row, "", "more cells than header columns")
                continue
            if not any(c.strip() for c in cells):
                continue
            values = [restore_cell(c) for c in cells] + [""] * (len(header) - len(cells))
            yield row, {k: v for k, v in zip(header, values, strict=True) if k}
        if restart is None:
            break
        start = restart
    if not header:
        raise ImportFileError(f"{path}: the file is empty (no header row, no rows)")


def _header(path: Path, cells: list[str]) -> list[str]:
    header = [c.strip().lower().lstrip("\ufeff") for c in cells]
    if "id" not in header:
        raise ImportFileError(
            f"{path}: row 1 (the header) has no 'id' column (found: {', '.join(repr(h) for h in header)}); "
            "is it the right file, separator and encoding?"
        )
    return header


def _rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, object] | RowError]]:
    if file_format(path) is FileFormat.JSONL:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    number,
                    RowError(str(path), number, "", f"not valid JSON ({exc.msg} at column {exc.colno})"),
                )
                continue
            if not isinstance(value, dict):
                yield number, RowError(str(path), number, "", "a line must be a JSON object")
                continue
            yield number, value
        return
    yield from _csv_records(path, text)


class _Invalid(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        self.field_name = field_name
        super().__init__(message)


def _text(row: Mapping[str, object], name: str, required: bool = False) -> str:
    value = row.get(name)
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise _Invalid(name, f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise _Invalid(name, "is empty" if name in row else "is missing")
    return text


def _list(row: Mapping[str, object], name: str) -> tuple[str, ...]:
    value = row.get(name)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                parsed = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise _Invalid(name, f"looks like a JSON list but is not valid ({exc.msg})") from exc
            return _list({name: parsed}, name)
        return tuple(
            p.strip() for p in stripped.replace("；", LIST_SEPARATOR).split(LIST_SEPARATOR) if p.strip()
        )
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise _Invalid(name, 'expected a list of texts (or "a;b" in CSV)')


def _language(row: Mapping[str, object], name: str) -> str:
    value = _text(row, name).lower()
    if value and not (2 <= len(value) <= 8 and value.replace("-", "").isalpha()):
        raise _Invalid(name, f"{value!r} is not a language code (ja, en ...)")
    return value


T = TypeVar("T")


def _keep(row: Mapping[str, object], name: str, parse: Callable[[], T], kept: T) -> T:
    """A column absent from the file leaves the stored value as it is; a present one (even empty) sets it."""
    return parse() if name in row else kept


def knowledge_from_row(row: Mapping[str, object], existing: KnowledgeEntry | None = None) -> KnowledgeEntry:
    """The entry a row describes. Columns the row does not have keep ``existing``'s values (a new entry needs
    ``id`` and ``title``); a column that is there but empty clears the field (a title cannot be cleared)."""
    entry_id = _text(row, "id", required=True)
    base = existing or KnowledgeEntry(id=entry_id, title="")
    title = base.title if existing and "title" not in row else _text(row, "title", required=True)
    return KnowledgeEntry(
        id=entry_id,
        title=title,
        body=_keep(row, "body", lambda: _text(row, "body"), base.body),
        tags=_keep(row, "tags", lambda: _list(row, "tags"), base.tags),
        language=_keep(row, "language", lambda: _language(row, "language"), base.language),
        aliases=_keep(row, "aliases", lambda: _list(row, "aliases"), base.aliases),
        updated_at=base.updated_at,
    )


def _note_items(row: Mapping[str, object]) -> list[object]:
    value = row.get("notes")
    if value is None or value == "":
        return []
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise _Invalid("notes", f"looks like a JSON list but is not valid ({exc.msg})") from exc
        else:
            value = [{"text": part} for part in stripped.split("\n") if part.strip()]
    if not isinstance(value, list):
        raise _Invalid("notes", "expected a list of {text, author, created_at}")
    return value


def _imported_note_id(*parts: str) -> str:
    return "note-" + hashlib.sha1("\x00".join(parts).encode()).hexdigest()[:16]


def _is_imported_note_id(note_id: str) -> bool:
    return len(note_id) == 21 and note_id.startswith("note-")


def _notes(row: Mapping[str, object], customer_id: str, stored: Sequence[Note] = ()) -> list[Note]:
    """The notes of a row, each with its stable key as id: the note's own ``id`` when the file has one, else
    its author and ``created_at`` (the n-th note by one author at one time stays the n-th): a note edited in
    the CRM then updates in place. A note with neither id nor created_at is keyed by its text.
    ``stored`` are the customer's notes already in the store (notes imported before this rule keep theirs)."""
    earlier: dict[tuple[str, str], list[str]] = {}
    for note in sorted(stored, key=lambda n: n.id):
        if _is_imported_note_id(note.id) and note.created_at:
            earlier.setdefault((note.author, note.created_at), []).append(note.id)
    taken = {n.id for n in stored}
    occurrences: dict[tuple[str, str], int] = {}
    notes: list[Note] = []
    for index, item in enumerate(_note_items(row), start=1):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict):
            raise _Invalid("notes", f"note {index} must be an object with text, author, created_at")
        text = _text(item, "text")
        if not text:
            raise _Invalid("notes", f"note {index} has no text")
        kind_text = _text(item, "kind") or NoteKind.CONTEXT.value
        try:
            kind = NoteKind(kind_text)
        except ValueError as exc:
            raise _Invalid(
                "notes", f"note {index} kind {kind_text!r} is not context, caution or next_action"
            ) from exc
        author, created = _text(item, "author"), _text(item, "created_at")
        note_id = _text(item, "id")
        if not note_id and created:
            key = (author, created)
            nth = occurrences.get(key, 0)
            occurrences[key] = nth + 1
            note_id = _imported_note_id(customer_id, author, created, str(nth))
            before = earlier.get(key, [])
            if note_id not in taken and nth < len(before):
                note_id = before[nth]  # imported (and keyed by its text) before notes had a stable key
        elif not note_id:
            note_id = _imported_note_id(customer_id, text, author, created)
        notes.append(
            Note(
                id=note_id,
                customer_id=customer_id,
                text=redact(text).text,
                author=author,
                created_at=created,
                kind=kind,
                pinned=bool(item.get("pinned", False)),
            )
        )
    return notes


def _same_note(stored: Note | None, note: Note) -> bool:
    # A note without created_at was stamped with the time it was first stored.
    return stored is not None and replace(note, created_at=note.created_at or stored.created_at) == stored


def customer_from_row(
    row: Mapping[str, object], existing: Customer | None = None, stored_notes: Sequence[Note] = ()
) -> tuple[Customer, list[Note]]:
    """The customer a row describes and its notes. Columns the row does not have keep ``existing``'s values
    (a new customer needs ``id`` and ``name``); a column that is there but empty clears the field (a name
    cannot be cleared). Notes are only ever added or updated, never removed by an import."""
    customer_id = _text(row, "id", required=True)
    base = existing or Customer(id=customer_id, name="")
    phones = base.phones
    if "phones" in row or "phone" in row:
        phones = _list(row, "phones") or _list(row, "phone")
        for phone in phones:
            try:
                normalize_phone(phone)
            except PhoneNumberError as exc:
                raise _Invalid("phones", str(exc)) from exc
    email = _keep(row, "email", lambda: _text(row, "email"), base.email)
    if "email" in row and email and ("@" not in email or " " in email):
        raise _Invalid("email", f"{email!r} is not an email address")
    customer = Customer(
        id=customer_id,
        name=base.name if existing and "name" not in row else _text(row, "name", required=True),
        kana=_keep(row, "kana", lambda: _text(row, "kana"), base.kana),
        company=_keep(row, "company", lambda: _text(row, "company"), base.company),
        phones=phones,
        email=email,
        tags=_keep(row, "tags", lambda: _list(row, "tags"), base.tags),
        traits=_keep(row, "traits", lambda: _list(row, "traits"), base.traits),
        preferred_language=_keep(
            row, "preferred_language", lambda: _language(row, "preferred_language"), base.preferred_language
        ),
        updated_at=base.updated_at,
    )
    return customer, _notes(row, customer_id, stored_notes)


def _validate(
    path: Path, text: str, parse: Callable[[Mapping[str, object]], T], key: Callable[[T], str]
) -> tuple[list[T], list[RowError]]:
    good: list[T] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    rows = 0
    for number, row in _rows(path, text):
        rows += 1
        if isinstance(row, RowError):
            errors.append(row)
            continue
        try:
            item = parse(row)
        except _Invalid as exc:
            errors.append(RowError(str(path), number, exc.field_name, str(exc)))
            continue
        item_id = key(item)
        if item_id in seen:
            errors.append(
                RowError(str(path), number, "id", f"duplicate id {item_id!r} (first on row {seen[item_id]})")
            )
            continue
        seen[item_id] = number
        good.append(item)
    if not rows:
        raise ImportFileError(f"{path}: no rows to import (the file is empty or holds only a header)")
    return good, errors


def trigger_id(entry_id: str) -> str:
    return f"trigger-{entry_id}"


def _row_id(row: Mapping[str, object]) -> str:
    value = row.get("id")
    return str(value).strip() if isinstance(value, (str, int, float)) else ""


@dataclass(frozen=True, slots=True)
class _KnowledgeRow:
    entry: KnowledgeEntry
    existing: KnowledgeEntry | None
    triggers: tuple[str, ...] | None  # None: the file has no triggers column, the rule stays as it is


def import_knowledge(
    store: Store, path: Path, encoding: str | None = None, skip_invalid: bool = False
) -> ImportReport:
    """Knowledge entries; an optional ``triggers`` field (phrases, "a;b" in CSV) makes a trigger rule that
    brings the entry up whenever a customer says one of them (an empty one removes the rule)."""
    text, used = decode(path, encoding)
    rules = {r.id: r for r in store.trigger_rules()}

    def parse(row: Mapping[str, object]) -> _KnowledgeRow:
        existing = store.get_knowledge(_row_id(row))
        entry = knowledge_from_row(row, existing)
        return _KnowledgeRow(entry, existing, _list(row, "triggers") if "triggers" in row else None)

    rows, errors = _validate(path, text, parse, lambda r: r.entry.id)
    if errors and not skip_invalid:
        raise ImportRejected(errors)
    created = updated = 0
    with store.transaction():
        for r in rows:
            rule = rules.get(trigger_id(r.entry.id))
            rule_changed = r.triggers is not None and (rule.phrases if rule else ()) != r.triggers
            if r.existing == r.entry and not rule_changed:
                continue
            if r.existing is None:
                created += 1
            else:
                updated += 1
            if r.existing != r.entry:
                store.upsert_knowledge([replace(r.entry, updated_at="")])
            if r.triggers:
                store.upsert_trigger_rule(
                    TriggerRule(
                        id=trigger_id(r.entry.id),
                        phrases=r.triggers,
                        entry_id=r.entry.id,
                        language=r.entry.language,
                    )
                )
            elif r.triggers is not None:
                store.delete_trigger_rule(trigger_id(r.entry.id))
    return ImportReport(
        str(path), used, len(rows), created, updated, tuple(errors), len(rows) - created - updated
    )


def import_customers(
    store: Store, path: Path, encoding: str | None = None, skip_invalid: bool = False
) -> ImportReport:
    """Customers and their notes (see customer_from_row for what a row changes)."""
    text, used = decode(path, encoding)

    def parse(row: Mapping[str, object]) -> tuple[Customer, list[Note], Customer | None, list[Note]]:
        customer_id = _row_id(row)
        existing = store.get_customer(customer_id)
        stored_notes = store.notes_for(customer_id) if "notes" in row and existing else []
        customer, notes = customer_from_row(row, existing, stored_notes)
        return customer, notes, existing, stored_notes

    rows, errors = _validate(path, text, parse, lambda r: r[0].id)
    if errors and not skip_invalid:
        raise ImportRejected(errors)
    created = updated = 0
    with store.transaction(durable=True):
        for customer, notes, existing, stored_notes in rows:
            stored = {n.id: n for n in stored_notes}
            new_notes = [n for n in notes if not _same_note(stored.get(n.id), n)]
            if existing == customer and not new_notes:
                continue
            if existing is None:
                created += 1
            else:
                updated += 1
            if existing != customer:
                store.upsert_customer(replace(customer, updated_at=""))
            for note in new_notes:
                store.upsert_note(note)
    return ImportReport(
        str(path), used, len(rows), created, updated, tuple(errors), len(rows) - created - updated
    )


# --- export -------------------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return "" if value is None else str(value)


def _write(path: Path, rows: list[dict[str, object]], columns: tuple[str, ...], encoding: str | None) -> None:
    if file_format(path) is FileFormat.JSONL:
        with path.open("w", encoding=encoding or "utf-8", newline="\n") as out:
            for row in rows:
                out.write(json.dumps({k: row.get(k) for k in columns}, ensure_ascii=False) + "\n")
        return
    # Excel opens UTF-8 CSV correctly only with a BOM; CP932 on request for older tools. Formula-safe cells.
    write_csv(
        path,
        columns,
        ([_cell(row.get(k)) for k in columns] for row in rows),
        encoding,
        "\t" if path.suffix.lower() == ".tsv" else ",",
    )


def export_knowledge(store: Store, path: Path, encoding: str | None = None) -> int:
    triggers = {r.entry_id: list(r.phrases) for r in store.trigger_rules() if r.entry_id}
    rows = [e.to_dict() | {"triggers": triggers.get(e.id, [])} for e in store.all_knowledge()]
    _write(path, rows, KNOWLEDGE_FIELDS, encoding)
    return len(rows)


def export_customers(store: Store, path: Path, encoding: str | None = None) -> int:
    rows: list[dict[str, object]] = []
    for customer in store.all_customers():
        row = customer.to_dict()
        notes = [
            {
                "id": n.id,
                "text": n.text,
                "author": n.author,
                "created_at": n.created_at,
                "kind": n.kind.value,
                "pinned": n.pinned,
            }
            for n in store.notes_for(customer.id)
        ]
        row["notes"] = (
            notes
            if file_format(path) is FileFormat.JSONL
            else (json.dumps(notes, ensure_ascii=False) if notes else "")
        )
        rows.append(row)
    _write(path, rows, CUSTOMER_FIELDS, encoding)
    return len(rows)
