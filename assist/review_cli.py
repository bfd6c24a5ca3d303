"""``agent-assist review ...``: after-call search, exports, customer archives and erasure, insights and
retention from the command line (for leads, scripts, and privacy requests handled without the app open).

Same contract as ``assist.cli``: ``--json`` output is stable, errors are one line on stderr with exit code 2,
everything honours ``AGENT_ASSIST_HOME``, heavy imports happen inside the commands.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assist.history import CallFilter
    from assist.store import Store

EXIT_ERROR = 2


class ReviewCommandError(Exception):
    """A problem to report in one line and exit with code 2."""


def configure(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = subparsers.add_parser(
        "review", help="after the call: search, exports, archives, erasure, insights"
    )
    sub = review.add_subparsers(dest="review_command", metavar="ACTION", required=True)

    p = sub.add_parser("search", help="search transcripts, call summaries and notes (ja and en)")
    p.add_argument("text")
    p.add_argument("--limit", type=int, default=20, help="hits per kind (default 20)")
    p.add_argument(
        "--kind",
        action="append",
        choices=["transcript", "summary", "note"],
        help="only these kinds of hit (repeatable)",
    )
    _filters(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run(_search))

    p = sub.add_parser("calls", help="list calls, newest first")
    p.add_argument("--limit", type=int, default=50)
    _filters(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run(_calls))

    p = sub.add_parser("export", help="one call's transcript as TXT, SRT, VTT or JSON")
    p.add_argument("call_id")
    p.add_argument("--format", choices=["txt", "srt", "vtt", "json"], default="txt")
    p.add_argument("-o", "--output", type=Path, help="file to write (default: print)")
    p.add_argument("--labels", choices=["en", "ja"], default="en", help="speaker labels (default en)")
    p.set_defaults(func=_run(_export))

    p = sub.add_parser("calls-csv", help="the call list as CSV for Excel (UTF-8 with BOM)")
    p.add_argument("file", type=Path)
    _filters(p)
    p.set_defaults(func=_run(_calls_csv))

    p = sub.add_parser("customer-archive", help="everything held about one customer, as one ZIP")
    p.add_argument("customer_id")
    p.add_argument("file", type=Path)
    p.set_defaults(func=_run(_archive))

    p = sub.add_parser("delete-customer", help="erase one customer: rows, index entries and recordings")
    p.add_argument("customer_id")
    p.add_argument("--yes", action="store_true", help="really erase (required: this cannot be undone)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--server", default=os.environ.get("AGENT_ASSIST_SERVER", ""), metavar="URL",
        help="team server to erase the customer on too "
        "(default: $AGENT_ASSIST_SERVER, else the app's settings)",
    )  # fmt: skip
    p.add_argument(
        "--token", default=os.environ.get("AGENT_ASSIST_TOKEN", ""),
        help="a supervisor's or admin's token for --server (default: $AGENT_ASSIST_TOKEN, else the app's)",
    )  # fmt: skip
    p.set_defaults(func=_run(_erase))

    p = sub.add_parser(
        "insights", help="calls per day/week by tag, topic, disposition; handle time; knowledge use"
    )
    p.add_argument("--period", choices=["day", "week"], default="week")
    p.add_argument("--by", choices=["none", "tag", "topic", "disposition", "agent"], default="tag")
    _filters(p)
    p.add_argument("--csv", type=Path, metavar="FILE", help="also write the figures as CSV")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_run(_insights))

    p = sub.add_parser("retention", help="delete old recordings, redact or delete old transcripts")
    p.add_argument("--days", type=int, help="delete recordings of calls older than DAYS")
    p.add_argument(
        "--transcripts", choices=["keep", "redact", "delete"], help="what happens to old transcripts"
    )
    p.add_argument("--transcript-days", type=int, help="age after which --transcripts applies")
    p.add_argument("--save", action="store_true", help="save these settings as the store's retention policy")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_run(_retention))


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--customer", help="only this customer's calls")
    p.add_argument("--agent", help="only this agent's calls")
    p.add_argument("--since", metavar="DATE", help="calls started on or after (YYYY-MM-DD)")
    p.add_argument("--until", metavar="DATE", help="calls started on or before (YYYY-MM-DD)")
    p.add_argument("--tag")
    p.add_argument("--disposition")
    p.add_argument("--language", choices=["ja", "en"])


def _call_filter(args: argparse.Namespace) -> CallFilter:
    from datetime import date

    from assist.history import CallFilter

    for name in ("since", "until"):
        value = getattr(args, name)
        if value:
            try:
                date.fromisoformat(value[:10])
            except ValueError:
                raise ReviewCommandError(f"--{name}: not a date (YYYY-MM-DD): {value!r}") from None
    return CallFilter(
        customer_id=args.customer,
        agent=args.agent,
        since=args.since,
        until=args.until,
        tag=args.tag,
        disposition=args.disposition,
        language=args.language,
    )


def _run(command: Callable[[Store, argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from assist.exports import ExportError
        from assist.privacy import ErasureError
        from assist.store import Store, StoreError

        try:
            store = Store.open()
        except StoreError as exc:
            print(f"agent-assist review: {exc}", file=sys.stderr)
            return EXIT_ERROR
        _finish_left_erasures(store)
        try:
            return int(command(store, args))
        except (ReviewCommandError, ExportError, ErasureError, StoreError, ValueError) as exc:
            print(f"agent-assist review {args.review_command}: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except OSError as exc:
            print(
                f"agent-assist review {args.review_command}: {exc.filename or ''}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return EXIT_ERROR
        finally:
            store.close()

    return run


def _finish_left_erasures(store: Store) -> None:
    """Before a command reads the store: an erasure an app left unfinished (killed during a call whose
    customer was erased) is finished, unless that app is running (then it is the app's)."""
    from assist.privacy import finish_left_erasures

    try:
        report = finish_left_erasures(store)
    except Exception as exc:  # the command still runs; the marks stay for the next opening
        print(f"agent-assist review: could not finish an interrupted erasure: {exc}", file=sys.stderr)
        return
    if report is not None:
        print(f"finished the erasure of {len(report.call_ids)} call(s) left unfinished", file=sys.stderr)


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _search(store: Store, args: argparse.Namespace) -> int:
    from assist.history import ALL_KINDS, CallHistory, HitKind, SearchQuery

    kinds = frozenset(HitKind(k) for k in args.kind) if args.kind else ALL_KINDS
    result = CallHistory(store).search(SearchQuery(args.text, kinds, _call_filter(args), args.limit))
    if args.json:
        _print_json(result.to_dict())
        return 0
    if not result.hits:
        print("no matches")
    for hit in result.hits:
        where = hit.call_id or hit.customer_id or ""
        when = f" {hit.start:7.1f}s {hit.channel}" if hit.start is not None else ""
        print(f"{hit.kind.value:<10} {where}{when}  {hit.marked()}")
    return 0


def _calls(store: Store, args: argparse.Namespace) -> int:
    from assist.history import CallHistory

    items = CallHistory(store).calls(_call_filter(args), limit=args.limit)
    if args.json:
        _print_json([i.to_dict() for i in items])
        return 0
    for i in items:
        duration = "" if i.duration_seconds is None else f"{i.duration_seconds / 60:5.1f} min"
        print(
            f"{i.call.started_at[:16]}  {i.call.id}  {i.customer_name or i.call.customer_id or '-'}  "
            f"{i.call.agent}  {duration}  {i.call.disposition}  {';'.join(i.call.tags)}"
        )
    return 0


def _export(store: Store, args: argparse.Namespace) -> int:
    from assist.exports import DEFAULT_LABELS, JA_LABELS, TranscriptFormat, stored_transcript, write_text

    call = store.get_call(args.call_id)
    if call is None:
        raise ReviewCommandError(f"no call with id {args.call_id!r}")
    labels = JA_LABELS if args.labels == "ja" else DEFAULT_LABELS
    text = stored_transcript(store, call, TranscriptFormat(args.format), labels)
    if args.output:
        write_text(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _calls_csv(store: Store, args: argparse.Namespace) -> int:
    from assist.exports import export_calls_csv

    count = export_calls_csv(store, args.file, _call_filter(args))
    print(f"wrote {count} calls to {args.file}")
    return 0


def _archive(store: Store, args: argparse.Namespace) -> int:
    from assist.exports import export_customer_archive

    report = export_customer_archive(store, args.customer_id, args.file)
    print(
        f"wrote {args.file}: {report.calls} calls, {report.notes} notes, {report.follow_ups} follow-ups, "
        f"{report.recordings} recordings"
    )
    return 0


def _erase(store: Store, args: argparse.Namespace) -> int:
    from assist.privacy import ErasureError, ErasureReport, erase_customer, team_erasers

    if not args.yes:
        raise ReviewCommandError(
            f"erasing {args.customer_id!r} cannot be undone: add --yes to confirm "
            "(consider 'review customer-archive' first)"
        )
    try:
        report = erase_customer(store, args.customer_id)
    except ErasureError:
        if not (team_erasers() and args.server):
            raise
        # Gone from this PC already (an earlier run erased it here while the named server was away): the
        # server's copy is still erased, so a pending request is never stranded.
        print(f"{args.customer_id}: not in this PC's store (already erased here)")
        report = ErasureReport(args.customer_id, ())
    team_lines: list[str] = []
    team_pending = False
    for eraser in team_erasers():
        lines, pending = eraser(args.customer_id, report.call_ids, args.server, args.token)
        team_lines += lines
        team_pending = team_pending or pending
    if args.json:
        _print_json(
            {
                "customer_id": report.customer_id,
                "call_ids": list(report.call_ids),
                "rows": report.rows,
                "files_removed": [str(p) for p in report.files_removed],
                "files_failed": list(report.files_failed),
                "wal_cleared": report.wal_cleared,
                "elsewhere": team_lines,
                "pending": team_pending or not report.wal_cleared,
            }
        )
    else:
        done = "erased" if report.wal_cleared else "deleted, NOT yet erased from the file,"
        print(
            f"{done} {args.customer_id}: {len(report.call_ids)} calls, {report.total_rows} rows, "
            f"{len(report.files_removed)} recording files"
        )
        for problem in report.files_failed:
            print(f"could not remove {problem}", file=sys.stderr)
    if not report.wal_cleared:
        print(
            f"NOT fully erased: another program (Agent Assist, a review window) holds the database open, so "
            f"its main file still holds {args.customer_id}'s data. It is cleared when every program using the"
            " database has closed it: close them, then check with 'agent-assist review calls'.",
            file=sys.stderr,
        )
    if not args.json:
        for line in team_lines:
            print(line)
    if team_pending:
        print(f"erasure of {args.customer_id} is NOT complete: see the pending lines above", file=sys.stderr)
    return EXIT_ERROR if report.files_failed or not report.wal_cleared or team_pending else 0


def _insights(store: Store, args: argparse.Namespace) -> int:
    from assist.insights import Dimension, Period, insights, write_insights_csv

    data = insights(store, Period(args.period), Dimension(args.by), _call_filter(args))
    if args.csv:
        write_insights_csv(data, args.csv)
    if args.json:
        _print_json(data.to_dict())
        return 0
    print(f"calls per {args.period} by {args.by}:")
    for v in data.volume:
        print(f"  {v.period}  {v.key or '-':<20} {v.calls}")
    print("average handle time:")
    for h in data.handle_time:
        print(f"  {h.key or 'all agents':<20} {h.average_seconds / 60:6.1f} min over {h.calls} calls")
    print("knowledge entries (used / shown):")
    for k in data.knowledge:
        print(f"  {k.entry_id:<20} {k.used:>5} / {k.shown:<5} {k.title}")
    f = data.frustration
    print(f"calls with frustration cues: {f.calls_with_cues} of {f.calls} ({f.share:.0%})")
    if data.dynamics:
        print(
            "conversation per agent (talk share, overlaps and silences a call, dead air, longest "
            "monologue, pace):"
        )
        for d in data.dynamics:
            print(
                f"  {d.agent or 'all agents':<20} {d.calls:>4} calls  {d.agent_share:4.0%}  "
                f"{d.overlaps_per_call:4.1f}  {d.silences_per_call:4.1f}  {d.dead_air_seconds:5.0f} s  "
                f"{d.longest_monologue_seconds:4.0f} s  {d.agent_rate:6.1f} {d.rate_unit}"
            )
    if data.advice:
        print("supervisor whispers (received, read, advice followed: of calls with a saved wrap-up):")
        for a in data.advice:
            print(
                f"  {a.agent or 'all agents':<20} {a.whispers:>4}  read {a.read_share:4.0%}  "
                f"followed {a.followed}/{a.scored} ({a.followed_share:4.0%})"
            )
    if data.review:
        print("self-review (summary back, empathy answered, advice followed, promises logged, thanked):")
        for r in data.review:
            print(
                f"  {r.period}  {r.calls:>4} calls  {r.summary_back:4.0%}  {r.empathy_answered:4.0%}  "
                f"{r.advice_followed:4.0%}  {r.promises_logged:4.0%}  {r.thanked:4.0%}"
            )
    if args.csv:
        print(f"wrote {args.csv}")
    return 0


def _retention(store: Store, args: argparse.Namespace) -> int:
    from assist.retention import (
        RetentionPolicy,
        TranscriptRetention,
        apply_retention,
        load_policy,
        save_policy,
    )

    saved = load_policy(store)
    policy = RetentionPolicy(
        recording_days=args.days if args.days is not None else saved.recording_days,
        transcripts=TranscriptRetention(args.transcripts) if args.transcripts else saved.transcripts,
        transcript_days=args.transcript_days if args.transcript_days is not None else saved.transcript_days,
    )
    if policy.transcripts is not TranscriptRetention.KEEP and policy.transcript_days is None:
        raise ReviewCommandError(f"--transcripts {policy.transcripts.value} needs --transcript-days")
    if args.save:
        save_policy(store, policy)
    report = apply_retention(store, policy)
    if args.json:
        _print_json(
            {
                "recordings_deleted": [str(p) for p in report.recordings_deleted],
                "transcripts_redacted": report.transcripts_redacted,
                "transcripts_deleted": report.transcripts_deleted,
                "problems": list(report.problems),
            }
        )
    else:
        print(
            f"deleted {len(report.recordings_deleted)} recording files, "
            f"redacted {report.transcripts_redacted} and deleted {report.transcripts_deleted} transcript "
            "lines"
        )
        for problem in report.problems:
            print(problem, file=sys.stderr)
    return EXIT_ERROR if report.problems else 0
