"""The ``agent-assist-server`` command: run the team server and manage its users.

Kept free of heavy imports at module level so ``--help`` and ``user`` commands answer at once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

DESCRIPTION = """\
The Agent Assist team server: supervisors follow live calls and whisper to agents, and the team shares
customers, notes, follow-ups, knowledge and call summaries. Data (users, whispers, change feed, audit log)
lives in SQLite files in --data DIR, or in PostgreSQL (--database postgresql://...) when several instances
share the load; they then relay live deliveries to each other through Redis (--redis redis://...). See
docs/scaling.md.
"""

EPILOG = """\
examples:
  agent-assist-server user add sato --role agent --team tokyo --data /srv/assist     prints sato's token once
  agent-assist-server user add suzuki --role supervisor --team tokyo --data /srv/assist
  agent-assist-server serve --host 0.0.0.0 --port 8765 --data /srv/assist \\
      --tls-cert cert.pem --tls-key key.pem
  agent-assist-server user list --data /srv/assist
  agent-assist-server user revoke sato --data /srv/assist
  agent-assist-server erase-customer cust-42 --team tokyo --data /srv/assist --yes

several instances (docs/scaling.md), each on its own port or machine, one database and one Redis:
  agent-assist-server user add sato --role agent --team tokyo --database postgresql://assist@db/assist
  agent-assist-server serve --instance a --port 8765 --database postgresql://assist@db/assist \\
      --redis redis://cache:6379/0

Clients connect to ws://HOST:PORT/ (wss:// with TLS) with "Authorization: Bearer TOKEN".
GET /health answers 200 with JSON for monitoring. The wire protocol is in docs/protocol.md.
"""


def _add_location(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", type=Path, metavar="DIR", help="directory for the server's SQLite files")
    where.add_argument(
        "--database",
        metavar="URL",
        help="postgresql://USER[:PASSWORD]@HOST[:PORT]/DB shared by several instances, instead of --data",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent-assist-server",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every connection and request")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser("serve", help="run the team server until SIGINT/SIGTERM")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)"
    )
    serve.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 picks a free one)")
    _add_location(serve)
    serve.add_argument(
        "--redis",
        metavar="URL",
        help="redis://HOST:PORT/DB: relay live deliveries to the other instances on the same --database",
    )
    serve.add_argument("--tls-cert", type=Path, metavar="FILE", help="PEM certificate chain: serve wss://")
    serve.add_argument("--tls-key", type=Path, metavar="FILE", help="PEM private key for --tls-cert")
    serve.add_argument(
        "--instance", default="default", help="name of this instance when several share the data"
    )
    serve.add_argument(
        "--max-queue",
        type=int,
        default=2000,
        metavar="FRAMES",
        help="frames waiting for one client before it is dropped at once (memory cap; default 2000)",
    )
    serve.add_argument(
        "--slow-consumer-kib",
        type=int,
        default=128,
        metavar="KIB",
        help="a client with more than KIB kibibytes unsent for --slow-consumer-grace seconds is dropped "
        "(default 128)",
    )
    serve.add_argument(
        "--slow-consumer-grace", type=float, default=2.0, metavar="SECONDS",
        help="how long a client may stay over --slow-consumer-kib before it is dropped (default 2)",
    )  # fmt: skip
    serve.add_argument(
        "--live-retention-hours", type=float, default=24.0, metavar="HOURS",
        help="live calls and their transcripts leave the server HOURS after the call ended (default 24)",
    )  # fmt: skip
    serve.add_argument(
        "--whisper-retention-days", type=float, default=30.0, metavar="DAYS",
        help="whispers leave the server DAYS after they were sent (default 30)",
    )  # fmt: skip
    serve.set_defaults(func=_serve)

    erase = sub.add_parser(
        "erase-customer",
        help="erase everything the server holds about one customer (records, feed, live calls, whispers)",
    )
    erase.add_argument("customer_id")
    erase.add_argument("--team", required=True, help="the customer's team")
    erase.add_argument(
        "--call",
        action="append",
        default=[],
        metavar="CALL_ID",
        help="a call of theirs the server may not link",
    )
    _add_location(erase)
    erase.add_argument("--yes", action="store_true", help="really erase (required: this cannot be undone)")
    erase.set_defaults(func=_erase_customer)

    user = sub.add_parser("user", help="add, list or revoke users")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="create a user and print its token (shown once, stored hashed)")
    add.add_argument("name")
    add.add_argument("--role", choices=["agent", "supervisor", "admin"], required=True)
    add.add_argument("--team", required=True)
    add.add_argument("--expires-days", type=float, metavar="DAYS", help="token stops working after DAYS days")
    _add_location(add)
    add.set_defaults(func=_user_add)
    listing = user_sub.add_parser("list", help="list users, their role, team and token state")
    _add_location(listing)
    listing.set_defaults(func=_user_list)
    revoke = user_sub.add_parser(
        "revoke", help="revoke a user's token at once (open connections are refused next time)"
    )
    revoke.add_argument("name")
    _add_location(revoke)
    revoke.set_defaults(func=_user_revoke)
    return parser


def _serve(args: argparse.Namespace) -> int:
    import ssl

    from sync.backends import DatabaseUnavailable, describe
    from sync.server import ServerLimits, TeamServer

    context: ssl.SSLContext | None = None
    if (args.tls_cert is None) != (args.tls_key is None):
        print("error: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if args.tls_cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as exc:
            print(
                f"error: cannot load TLS certificate {args.tls_cert} / key {args.tls_key}: {exc}",
                file=sys.stderr,
            )
            return 2

    async def run() -> int:
        limits = ServerLimits(
            send_queue_frames=max(10, args.max_queue),
            slow_consumer_bytes=max(16, args.slow_consumer_kib) * 1024,
            slow_consumer_grace=max(0.1, args.slow_consumer_grace),
            live_retention=max(0.0, args.live_retention_hours) * 3600,
            whisper_retention=max(0.0, args.whisper_retention_days) * 86400,
        )
        server = TeamServer(
            args.data, args.host, args.port, ssl=context, instance=args.instance, limits=limits,
            database=args.database, redis=args.redis,
        )  # fmt: skip
        try:
            port = await server.start()
        except DatabaseUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            await server.stop()
            return 1
        except OSError as exc:
            print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
            await server.stop()
            return 1
        scheme = "wss" if context else "ws"
        print(
            f"agent-assist-server listening on {scheme}://{args.host}:{port}/"
            f" (data in {describe(args.database or args.data)}"
            + (f", backplane {args.redis}" if args.redis else "")
            + ")",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await server.stop()
        print("agent-assist-server stopped", flush=True)
        return 0

    return asyncio.run(run())


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from sync.store import TeamStore

    return TeamStore(args.data, database=args.database)


def _user_add(args: argparse.Namespace) -> int:
    from sync.protocol import Role
    from sync.store import UserError

    store = _store(args)
    expires = time.time() + args.expires_days * 86400 if args.expires_days is not None else None
    try:
        token = store.add_user(args.name, Role(args.role), args.team, expires_at=expires)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"user {args.name} ({args.role}, team {args.team}) added. Token (shown only now, keep it secret):")
    print(token)
    return 0


def _user_list(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        users = store.list_users()
    finally:
        store.close()
    if not users:
        print(
            "no users yet: add one with `agent-assist-server user add NAME --role agent --team TEAM "
            "--data DIR`"
        )
        return 0
    now = time.time()
    print(f"{'name':<20} {'role':<11} {'team':<16} state")
    for u in users:
        if u.revoked_at is not None:
            state = "revoked " + time.strftime("%Y-%m-%d %H:%M", time.localtime(u.revoked_at))
        elif u.expires_at is not None and u.expires_at <= now:
            state = "expired"
        elif u.expires_at is not None:
            state = "active until " + time.strftime("%Y-%m-%d %H:%M", time.localtime(u.expires_at))
        else:
            state = "active"
        print(f"{u.name:<20} {u.role.value:<11} {u.team:<16} {state}")
    return 0


def _user_revoke(args: argparse.Namespace) -> int:
    from sync.store import UserError

    store = _store(args)
    try:
        store.revoke_user(args.name)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"user {args.name} revoked: their token no longer opens a connection")
    return 0


def _erase_customer(args: argparse.Namespace) -> int:
    from sync.erasure import erase_customer

    if not args.yes:
        print(f"error: erasing {args.customer_id!r} cannot be undone: add --yes to confirm", file=sys.stderr)
        return 2
    store = _store(args)
    try:
        report = erase_customer(store, args.team, args.customer_id, args.call, actor="(server admin)")
    finally:
        store.close()
    rows = ", ".join(f"{n} {table}" for table, n in sorted(report.rows.items())) or "nothing was held"
    print(
        f"erased {args.customer_id} of team {args.team} from {args.data}: {len(report.call_ids)} "
        f"calls; {rows}"
    )
    if not report.files_cleared:
        print(
            "NOT fully erased yet: another process held the database open, so old copies of the data may "
            "remain in the write-ahead log. A running server retries within a minute; run this again to "
            "confirm.",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from sync.backends import DatabaseUnavailable

    try:
        return int(args.func(args))
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
