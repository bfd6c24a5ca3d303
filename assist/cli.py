"""``agent-assist kb|customers|suggest``: the domain core on the command line, for team leads and scripts.

This is a contract others depend on (demo scripts, the desktop's import dialog, CI): JSON output is stable,
errors are one clear line on stderr with exit code 2, and everything honours ``AGENT_ASSIST_HOME``.
Heavy imports happen inside the commands so ``agent-assist --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assist.domain import Suggestion
    from assist.importing import ImportReport
    from assist.store import Store
    from audio.events import TranscriptEvent

EXIT_ERROR = 2

IMPORT_RULES = """\
Rows are matched by id: a known id is updated, a new one created.
A column the file does not have leaves that field as it is (a file with only
id and phones changes only the phones). A column that is there but empty in a
row clears that field for that row (name and title cannot be cleared).
In JSONL, a missing key is a missing column; "", null or [] clears.
Lists in CSV cells are separated by ";" (or written as a JSON list).
A leading apostrophe before = + - @ (how our CSV exports keep spreadsheets
from running a cell as a formula) is removed.
"""

NOTE_RULES = """\
Notes are added or updated, never removed by an import. A note is the same
note when it has the same "id", or else the same author and created_at: its
text is then updated in place. Notes with neither (plain lines in a CSV cell)
are matched by their text, so an edited line is added as a new note.
"""


class CommandError(Exception):
    """A problem to report in one line and exit with code 2."""


def configure(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kb = subparsers.add_parser("kb", help="knowledge base: import, export, search")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    p = kb_sub.add_parser(
        "import",
        help="import knowledge entries from JSONL or CSV",
        description="Import knowledge entries (columns: id, title, body, tags, language, aliases, triggers).",
        epilog=IMPORT_RULES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _import_options(p)
    p.set_defaults(func=_run(_kb_import))
    p = kb_sub.add_parser("export", help="export knowledge entries to JSONL or CSV (by file extension)")
    p.add_argument("file", type=Path)
    p.add_argument("--encoding", help="CSV encoding (default UTF-8 with BOM; cp932 for old Excel)")
    p.set_defaults(func=_run(_kb_export))
    p = kb_sub.add_parser("search", help="the knowledge entries that fit a text")
    p.add_argument("text")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run(_kb_search))

    customers = subparsers.add_parser("customers", help="customers: import, export, lookup, search")
    c_sub = customers.add_subparsers(dest="customers_command", metavar="ACTION", required=True)
    p = c_sub.add_parser(
        "import",
        help="import customers (with notes) from JSONL or CSV",
        description="Import customers (columns: id, name, kana, company, phones, email, tags, traits, "
        "preferred_language, notes).",
        epilog=IMPORT_RULES + NOTE_RULES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _import_options(p)
    p.set_defaults(func=_run(_customers_import))
    p = c_sub.add_parser("export", help="export customers (with notes) to JSONL or CSV")
    p.add_argument("file", type=Path)
    p.add_argument("--encoding", help="CSV encoding (default UTF-8 with BOM; cp932 for old Excel)")
    p.set_defaults(func=_run(_customers_export))
    p = c_sub.add_parser("lookup", help="who is calling from this number (any written form)")
    p.add_argument("phone")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run(_customers_lookup))
    p = c_sub.add_parser("search", help="find customers by name, kana, company or email")
    p.add_argument("text")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run(_customers_search))

    p = subparsers.add_parser("suggest", help="the cards an agent would see after a customer says TEXT")
    p.add_argument("text")
    p.add_argument(
        "--customer", metavar="ID_OR_PHONE", help="include this customer's notes, calls, follow-ups"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run(_suggest))


def _import_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--encoding",
        help="file encoding (default: detect UTF-8, UTF-8 BOM, UTF-16 as Excel's Unicode text, "
        "Shift_JIS/CP932)",
    )
    parser.add_argument(
        "--skip-invalid", action="store_true", help="import the good rows, report the bad ones"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _run(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from assist.importing import ImportFileError, ImportRejected
        from assist.store import StoreError

        try:
            return int(command(args))
        except ImportRejected as exc:
            for error in exc.errors:
                print(f"error: {error}", file=sys.stderr)
            print(
                f"error: {len(exc.errors)} bad row(s) in {args.file}; nothing imported "
                "(--skip-invalid imports the good rows)",
                file=sys.stderr,
            )
            return EXIT_ERROR
        except (CommandError, ImportFileError, StoreError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except UnicodeEncodeError as exc:
            print(
                f"error: {getattr(args, 'file', '')}: a value cannot be written in {exc.encoding}: "
                f"{exc.object[exc.start : exc.end]!r}",
                file=sys.stderr,
            )
            return EXIT_ERROR
        except OSError as exc:
            print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_ERROR

    return run


def _store() -> Store:
    from assist.store import Store

    return Store.open()


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _report(args: argparse.Namespace, report: ImportReport, what: str) -> int:
    if args.json:
        _print_json(report.to_dict())
    else:
        print(
            f"{report.file}: imported {report.imported} {what} ({report.created} new, {report.updated} "
            f"updated, {report.unchanged} unchanged; read as {report.encoding})"
        )
        for error in report.errors:
            print(f"skipped: {error}", file=sys.stderr)
    return 0


def _kb_import(args: argparse.Namespace) -> int:
    from assist.importing import import_knowledge

    with _store() as store:
        report = import_knowledge(store, args.file, args.encoding, args.skip_invalid)
        _index_meaning(store)
    return _report(args, report, "knowledge entries")


def _index_meaning(store: Store) -> None:
    """Embed new and changed entries now, with progress on stderr, rather than at the start of the next call
    (100,000 entries take minutes; a few are a blink)."""
    from assist.semantic import KnowledgeVectors

    vectors = KnowledgeVectors.for_store(store)
    if vectors is None:
        return
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        if total >= 1000 or done == total:
            print(f"\rindexing meaning: {done:,}/{total:,} entries", end="", file=sys.stderr, flush=True)

    if vectors.refresh(progress):
        print(f" ({time.monotonic() - started:.0f} s)", file=sys.stderr)


def _customers_import(args: argparse.Namespace) -> int:
    from assist.importing import import_customers

    with _store() as store:
        report = import_customers(store, args.file, args.encoding, args.skip_invalid)
    return _report(args, report, "customers")


def _kb_export(args: argparse.Namespace) -> int:
    from assist.importing import export_knowledge

    with _store() as store:
        count = export_knowledge(store, args.file, args.encoding)
    print(f"{args.file}: exported {count} knowledge entries")
    return 0


def _customers_export(args: argparse.Namespace) -> int:
    from assist.importing import export_customers

    with _store() as store:
        count = export_customers(store, args.file, args.encoding)
    print(f"{args.file}: exported {count} customers")
    return 0


def _cards(suggestions: list[Suggestion]) -> list[dict[str, object]]:
    from assist.matching import reasons

    return [
        {
            "kind": s.kind.value,
            "id": s.id,
            "title": s.title,
            "score": s.score,
            "matched_terms": list(s.matched_terms),
            "reason": s.reason,
            "reasons": reasons(s),
            "close_to": s.close_to,
            "same_meaning": s.same_meaning,
            "snippet": s.snippet,
        }
        for s in suggestions
    ]


def _print_cards(suggestions: list[Suggestion], as_json: bool) -> None:
    if as_json:
        _print_json(_cards(suggestions))
        return
    if not suggestions:
        print("no match")
    for s in suggestions:
        print(f"{s.score:6.3f}  [{s.kind.value}] {s.id}  {s.title}    ({', '.join(s.matched_terms)})")


def _kb_search(args: argparse.Namespace) -> int:
    from assist.matching import search_knowledge

    with _store() as store:
        _print_cards(search_knowledge(store, args.text, limit=args.limit), args.json)
    return 0


def _customers_lookup(args: argparse.Namespace) -> int:
    from assist.customers import lookup_caller
    from assist.domain import LookupStatus

    with _store() as store:
        result = lookup_caller(store, args.phone)
    if result.status is LookupStatus.INVALID:
        raise CommandError(f"{args.phone!r} is not a phone number")
    if args.json:
        _print_json(result.to_dict())
    elif result.status is LookupStatus.NEW_CALLER:
        print(f"{result.normalized}: new caller")
    else:
        for customer in result.customers:
            print(f"{customer.id}\t{customer.name}\t{customer.company}\t{result.normalized}")
    return 0


def _customers_search(args: argparse.Namespace) -> int:
    with _store() as store:
        found = store.search_customers(args.text)
    if args.json:
        _print_json([c.to_dict() for c in found])
    else:
        for customer in found:
            print(f"{customer.id}\t{customer.name}\t{customer.kana}\t{customer.company}\t{customer.email}")
        if not found:
            print("no match")
    return 0


def _suggest(args: argparse.Namespace) -> int:
    from assist.customers import find_customer
    from assist.domain import LookupStatus
    from audio.events import Channel, EventKind, TranscriptEvent

    with _store() as store:
        customer_id: str | None = None
        if args.customer:
            found = find_customer(store, args.customer)
            if found.status is LookupStatus.INVALID or found.customer is None:
                raise CommandError(f"no customer with id or phone {args.customer!r}")
            customer_id = found.customer.id
        # The question must not be stored as if it were a real call: run it in a rolled-back savepoint.
        session = _DryRunSession(store, customer_id)
        event = TranscriptEvent("cli", Channel.CUSTOMER, EventKind.FINAL, 0.0, 1.0, args.text, 1.0, "cli-1")
        _print_cards(session.suggest(event), args.json)
    return 0


class _DryRunSession:
    """Runs the live matcher on one line inside a transaction that is rolled back."""

    def __init__(self, store: Store, customer_id: str | None) -> None:
        self.store = store
        self.customer_id = customer_id

    def suggest(self, event: TranscriptEvent) -> list[Suggestion]:
        from assist.session import CallSession

        conn = self.store.conn
        conn.execute("SAVEPOINT dry_run")
        try:
            session = CallSession(self.store, "cli-dry-run", self.customer_id)
            return list(session.feed(event).suggestions)
        finally:
            conn.execute("ROLLBACK TO dry_run")
            conn.execute("RELEASE dry_run")
