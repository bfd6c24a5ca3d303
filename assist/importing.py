"""Bringing a team's knowledge base and customer list in from CRM and FAQ exports, and back out.

Team leads hand us whatever their tools export: JSON Lines or CSV, in UTF-8, UTF-8 with a BOM, or
Shift_JIS/CP932 from Japanese Excel. We detect the encoding (or take ``encoding``), check every row before
writing any, and name the file, row and field of each problem. By default one bad row stops the whole
import (nothing half-imported to clean up); ``skip_invalid`` imports the good rows and reports the rest.
Rows are keyed by ``id``: importing the same file twice updates, never duplicates. Notes are redacted
like transcripts (a card number pasted into a CRM note must not land in our store).

Row numbers are what a person sees: the line of a JSONL file, the spreadsheet row of a CSV (header = 1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "encoding": self.encoding,
            "imported": self.imported,
            "created": self.created,
            "updated": self.updated,
            "errors": [str(e) for e in self.errors],
        }


def file_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return FileFormat.JSONL
    if suffix in (".csv", ".tsv", ".txt"):
        return FileFormat.CSV
    raise ImportFileError(f"{path}: unknown file type {suffix!r} (use .jsonl or .csv)")


def decode(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The text of ``path`` and the encoding it was read with (BOM, UTF-8, then CP932 are tried)."""
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
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return raw.decode("cp932"), "cp932"
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{path}: neither UTF-8 nor Shift_JIS/CP932 (bad byte at {utf8_error.start}); "
                "give the encoding with --encoding"
            ) from utf8_error


def _rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
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
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    if reader.fieldnames is None:
        return
    reader.fieldnames = [f.strip().lower().lstrip("\ufeff") for f in reader.fieldnames]
    for record in reader:
        number = reader.line_num
        if None in record:
            yield number, RowError(str(path), number, "", "more cells than header columns")
            continue
        if all(not (v or "").strip() for v in record.values()):
            continue
        yield number, {k: restore_cell(v) if isinstance(v, str) else v for k, v in record.items() if k}


class _Invalid(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        self.field_name = field_name
        super().__init__(message)


def _text(row: Mapping[str, Any], name: str, required: bool = False) -> str:
    value = row.get(name)
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise _Invalid(name, f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise _Invalid(name, "is empty" if name in row else "is missing")
    return text


def _list(row: Mapping[str, Any], name: str) -> tuple[str, ...]:
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


def _language(row: Mapping[str, Any], name: str) -> str:
    value = _text(row, name).lower()
    if value and not (2 <= len(value) <= 8 and value.replace("-", "").isalpha()):
        raise _Invalid(name, f"{value!r} is not a language code (ja, en ...)")
    return value


def knowledge_from_row(row: Mapping[str, Any]) -> KnowledgeEntry:
    return KnowledgeEntry(
        id=_text(row, "id", required=True),
        title=_text(row, "title", required=True),
        body=_text(row, "body"),
        tags=_list(row, "tags"),
        language=_language(row, "language"),
        aliases=_list(row, "aliases"),
    )


def _notes(row: Mapping[str, Any], customer_id: str) -> list[Note]:
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
    notes: list[Note] = []
    for index, item in enumerate(value, start=1):
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
        note_id = (
            _text(item, "id")
            or "note-"
            + hashlib.sha1(f"{customer_id}\x00{text}\x00{author}\x00{created}".encode()).hexdigest()[:16]
        )
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


def customer_from_row(row: Mapping[str, Any]) -> tuple[Customer, list[Note]]:
    customer_id = _text(row, "id", required=True)
    phones = _list(row, "phones") or _list(row, "phone")
    for phone in phones:
        try:
            normalize_phone(phone)
        except PhoneNumberError as exc:
            raise _Invalid("phones", str(exc)) from exc
    email = _text(row, "email")
    if email and ("@" not in email or " " in email):
        raise _Invalid("email", f"{email!r} is not an email address")
    customer = Customer(
        id=customer_id,
        name=_text(row, "name", required=True),
        kana=_text(row, "kana"),
        company=_text(row, "company"),
        phones=phones,
        email=email,
        tags=_list(row, "tags"),
        traits=_list(row, "traits"),
        preferred_language=_language(row, "preferred_language"),
    )
    return customer, _notes(row, customer_id)


T = TypeVar("T")


def _validate(
    path: Path, text: str, parse: Callable[[Mapping[str, Any]], T], key: Callable[[T], str]
) -> tuple[list[T], list[RowError]]:
    good: list[T] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, row in _rows(path, text):
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
    return good, errors


def trigger_id(entry_id: str) -> str:
    return f"trigger-{entry_id}"


def _knowledge_with_triggers(row: Mapping[str, Any]) -> tuple[KnowledgeEntry, tuple[str, ...]]:
    return knowledge_from_row(row), _list(row, "triggers")


def import_knowledge(
    store: Store, path: Path, encoding: str | None = None, skip_invalid: bool = False
) -> ImportReport:
    """Knowledge entries; an optional ``triggers`` field (phrases, "a;b" in CSV) makes a trigger rule that
    brings the entry up whenever a customer says one of them."""
    text, used = decode(path, encoding)
    rows, errors = _validate(path, text, _knowledge_with_triggers, lambda r: r[0].id)
    if errors and not skip_invalid:
        raise ImportRejected(errors)
    entries = [entry for entry, _ in rows]
    existing = sum(1 for e in entries if store.get_knowledge(e.id) is not None)
    with store.transaction():
        store.upsert_knowledge(entries)
        for entry, phrases in rows:
            if phrases:
                store.upsert_trigger_rule(
                    TriggerRule(
                        id=trigger_id(entry.id), phrases=phrases, entry_id=entry.id, language=entry.language
                    )
                )
            else:
                store.delete_trigger_rule(trigger_id(entry.id))
    return ImportReport(str(path), used, len(entries), len(entries) - existing, existing, tuple(errors))


def import_customers(
    store: Store, path: Path, encoding: str | None = None, skip_invalid: bool = False
) -> ImportReport:
    text, used = decode(path, encoding)
    rows, errors = _validate(path, text, customer_from_row, lambda r: r[0].id)
    if errors and not skip_invalid:
        raise ImportRejected(errors)
    existing = sum(1 for c, _ in rows if store.get_customer(c.id) is not None)
    with store.transaction(durable=True):
        for customer, notes in rows:
            store.upsert_customer(customer)
            for note in notes:
                store.upsert_note(note)
    return ImportReport(str(path), used, len(rows), len(rows) - existing, existing, tuple(errors))


# --- export -------------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return "" if value is None else str(value)


def _write(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...], encoding: str | None) -> None:
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
    rows: list[dict[str, Any]] = []
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
