"""The team server: one WebSocket endpoint where agents publish their live calls and supervisors follow and
whisper.

Requests are checked here (who may do what to whose data, deny by default) and stored through
:class:`sync.store.TeamStore` before anyone is told they succeeded; delivery to other connections goes through
:class:`LocalFanout`, the one piece a multi-instance deployment replaces with a Redis backplane
(docs/scaling.md). Every connection has its own send queue and writer task; a connection whose unsent bytes
stay above a limit for longer than a short grace is closed (code 4008), so one slow reader is dropped instead
of slowing everyone else. Database work runs on two threads of its own, so the event loop never waits on
SQLite: one for the durable log (whispers, change feed, audit; every commit fsynced) and one for live calls
and presence, so a whisper never queues behind the stream of transcript writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http
import json
import logging
import socket
import ssl as ssl_module
import threading
import time
import uuid
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypedDict, TypeVar, Unpack

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response as HttpResponse

from audio.events import EventKind
from sync.backends import DatabaseUnavailable, describe
from sync.durable import DurableLogThread, StorePool
from sync.erasure import apply_retention, erase_customer, scrub
from sync.logs import keep_frames_out_of_logs
from sync.masking import Masker
from sync.protocol import (
    MAX_OBJECT_BYTES,
    MAX_SERVER_FRAME_BYTES,
    SERVER_FEATURES,
    Ack,
    AuditPage,
    AuditQuery,
    CallEnd,
    CallEnded,
    CallSnapshot,
    CallsPage,
    CallStart,
    CallStartAck,
    CallStarted,
    CallTranscript,
    CallUpdate,
    CallUpdated,
    CallWhispered,
    Change,
    ChangeAck,
    ChangePush,
    ChangePushed,
    ChangesPage,
    EraseCustomer,
    ErrorCode,
    ErrorFrame,
    FeedSince,
    Hand,
    HandAck,
    HandChanged,
    History,
    JsonObject,
    ListCalls,
    ListPresence,
    ListWhispers,
    Page,
    PresencePage,
    PresenceUpdate,
    ProtocolError,
    RaiseHand,
    RecordKind,
    Request,
    Resume,
    ResumeAck,
    Role,
    ServerCall,
    ServerMessage,
    ServerPresence,
    ServerWhisper,
    Subscribe,
    Transcript,
    Unsubscribe,
    Welcome,
    WhisperAck,
    WhisperDelivered,
    WhisperPush,
    WhisperRead,
    WhisperReceipt,
    WhisperSend,
    WhispersPage,
    WhisperStatus,
    decode_request,
    encode_frame,
    frame_id,
    json_object,
    json_size,
)
from sync.ratelimit import TokenBucket
from sync.refusals import RefusalLog
from sync.store import ERASED_KEPT_SECONDS, ErasedError, TeamStore, User, check_not_erased, hash_token

if TYPE_CHECKING:
    from sync.backplane import RedisBackplane

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

_ALL = frozenset(Role)
_SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})
_AGENT = frozenset({Role.AGENT})

# Deny by default: a request type missing here is refused for everyone.
PERMISSIONS: dict[type[Request], frozenset[Role]] = {
    Resume: _ALL,
    CallStart: _AGENT,
    CallEnd: _AGENT,
    Transcript: _AGENT,
    CallUpdate: _AGENT,
    Subscribe: _SUPERVISING,
    Unsubscribe: _SUPERVISING,
    ListCalls: _SUPERVISING,
    ListPresence: _ALL,
    WhisperSend: _SUPERVISING,
    WhisperDelivered: _AGENT,
    WhisperRead: _AGENT,
    ListWhispers: _ALL,
    ChangePush: _ALL,
    FeedSince: _ALL,
    History: _ALL,
    AuditQuery: frozenset({Role.ADMIN}),
    RaiseHand: _AGENT,
    # Erasure is a supervisor's or an admin's decision (docs/protocol.md): an agent erases on their own PC,
    # and asks one of them for the team's copy.
    EraseCustomer: _SUPERVISING,
}

# Whispers and changes replayed per resume request (each at most), well under the send queue.
RESUME_PAGE = 500

# Bytes of list items per reply frame: the frame bound less room for the envelope and the other fields.
_PAGE_BUDGET = MAX_SERVER_FRAME_BYTES - 64 * 1024

# Shared data only supervisors and admins may change.
SUPERVISOR_KINDS = frozenset({RecordKind.KNOWLEDGE})

# Counters /health shows ("database_unavailable": requests and handshakes refused, the database away).
HEALTH_COUNTERS = (
    "slow_consumers_dropped", "rate_limited", "malformed", "denied", "auth_failed", "database_unavailable",
)  # fmt: skip

# WebSocket close code (private range 4000-4999) for a connection dropped because it does not read what it is
# sent; docs/protocol.md. The client should reconnect and resume: nothing durable was lost.
CLOSE_SLOW_CONSUMER = 4008


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Defaults protect a team server on the open internet; tests and benchmarks tighten or loosen them."""

    max_frame_bytes: int = 256 * 1024
    # A live call sends ~10 transcript frames a second; a client flushing its outbox paces itself at 150/s.
    rate_per_second: float = 200.0
    rate_burst: int = 1000
    # Refused frames tolerated within one 10-second window before the connection is closed (1008).
    max_rate_violations: int = 500
    # Hard cap on frames waiting for one connection (memory): reaching it drops the connection at once.
    send_queue_frames: int = 2000
    # A connection whose unsent bytes (its queue plus the socket's user-space write buffer) stay above
    # slow_consumer_bytes for slow_consumer_grace seconds is closed as too slow. The grace lets a reader that
    # is merely busy for a moment (a burst, a call snapshot) catch up; one that stopped reading is gone in
    # seconds and its backlog never grows past what the limit allows.
    slow_consumer_bytes: int = 128 * 1024
    slow_consumer_grace: float = 2.0
    # A dropped slow consumer gets close 4008 behind what its socket already holds; if it has not read that
    # far within this many seconds the connection is cut off (it sees a reset).
    slow_consumer_close_wait: float = 1.0
    # Connections the kernel holds for accept(): asyncio's default (100) overflows when an instance dies and
    # hundreds of its clients arrive here at once; the SYNs dropped are resent only after 1 s, then 3 s, ...
    # (capped by net.core.somaxconn).
    listen_backlog: int = 4096
    open_timeout: float = 10.0
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    close_timeout: float = 5.0
    # Kernel send buffer per connection: bounds memory and lets a client that stopped reading fill its send
    # queue (and be dropped) in seconds instead of after megabytes of autotuned buffer.
    socket_send_buffer: int | None = 64 * 1024
    # Live calls (with their transcripts) leave the server this long after they ended; whispers after
    # whisper_retention. Checked every retention_every seconds.
    live_retention: float = 24 * 3600.0
    whisper_retention: float = 30 * 86400.0
    # An erasure's tombstones (the erased ids; sync/store.py ERASED_KEPT_SECONDS) leave after this.
    erased_retention: float = ERASED_KEPT_SECONDS
    retention_every: float = 60.0
    # Refused handshakes: per address, one audit row per window and a summary of the rest; at most
    # refusal_rows audit rows per window over all addresses (sync/refusals.py). /health counts them all.
    refusal_window: float = 60.0
    refusal_rows: int = 100
    # How often open connections are checked against revoked or expired tokens (a revoked user's connections
    # are closed within this; their whispers and changes are refused at once, each write checks the token).
    recheck_tokens_every: float = 0.5
    # Several instances on one database (--database): each moves its heartbeat on this often, and one whose
    # heartbeat has not moved for presence_ttl seconds is taken for dead; its connections' presence rows are
    # removed and the users who are then offline are announced (within presence_ttl + 2 heartbeats).
    heartbeat_every: float = 1.0
    presence_ttl: float = 5.0
    # PostgreSQL: threads (each with its own connections) for token checks, presence rows and resume replays,
    # so the clients of a dead instance arriving together are not served one database trip at a time.
    db_pool: int = 4


@dataclass(eq=False)
class Peer:
    """One authenticated connection."""

    ws: ServerConnection
    user: User
    token_hash: str
    conn_id: str
    queue: asyncio.Queue[bytes]
    bucket: TokenBucket
    subscriptions: set[str] = field(default_factory=set)
    violations: int = 0
    violations_since: float = 0.0
    dropped: bool = False
    writer: asyncio.Task[None] | None = None
    # Bytes in ``queue`` (what the transport has not taken yet is asked from the transport).
    queued_bytes: int = 0
    # Since when (monotonic) the unsent bytes have been above the limit; None while below it.
    behind_since: float | None = None
    # Whispers and changes are pushed only after the peer's resume replay, so they arrive in sequence order.
    resumed: bool = False
    # Recording this connection's presence row (started with the connection, not awaited by its resume).
    presence: asyncio.Task[None] | None = None

    def unsent_bytes(self) -> int:
        return self.queued_bytes + self.ws.transport.get_write_buffer_size()


class LocalFanout:
    """Who is connected to this process, and delivery to them by user, team or followed call.

    Delivery never waits: a frame is encoded once to UTF-8 bytes, whoever receives it, and goes into each
    peer's queue; a peer whose queue is full is dropped.
    """

    def __init__(self, on_slow: Callable[[Peer, str], None]) -> None:
        self._by_user: dict[str, set[Peer]] = defaultdict(set)
        self._by_team: dict[str, set[Peer]] = defaultdict(set)
        self._by_call: dict[str, set[Peer]] = defaultdict(set)
        self._on_slow = on_slow

    def add(self, peer: Peer) -> None:
        self._by_user[peer.user.name].add(peer)
        self._by_team[peer.user.team].add(peer)

    def remove(self, peer: Peer) -> None:
        for index, key in ((self._by_user, peer.user.name), (self._by_team, peer.user.team)):
            index[key].discard(peer)
            if not index[key]:
                del index[key]
        for call_id in peer.subscriptions:
            self.unfollow(peer, call_id)

    def follow(self, peer: Peer, call_id: str) -> None:
        self._by_call[call_id].add(peer)
        peer.subscriptions.add(call_id)

    def unfollow(self, peer: Peer, call_id: str) -> None:
        followers = self._by_call.get(call_id)
        if followers is not None:
            followers.discard(peer)
            if not followers:
                del self._by_call[call_id]

    def online(self, name: str) -> bool:
        return bool(self._by_user.get(name))

    def peers_of(self, name: str) -> list[Peer]:
        return list(self._by_user.get(name, ()))

    def team_peers(self, team: str) -> list[Peer]:
        return list(self._by_team.get(team, ()))

    def resumed(self, peer: Peer, whisper_after: int, feed_after: int) -> None:
        """A resume starts from these positions (the shared fan-out of sync/backplane.py tracks them)."""

    def send(self, peer: Peer, frame: ServerMessage) -> None:
        self.send_data(peer, encode_frame(frame))

    def send_data(self, peer: Peer, data: bytes) -> None:
        if peer.dropped:
            return
        try:
            peer.queue.put_nowait(data)
        except asyncio.QueueFull:
            self._on_slow(peer, f"{peer.queue.maxsize} frames waiting")
            return
        peer.queued_bytes += len(data)

    def to_user(self, name: str, frame: ServerMessage, *, resumed_only: bool = False) -> None:
        data = encode_frame(frame)
        for peer in list(self._by_user.get(name, ())):
            if peer.resumed or not resumed_only:
                self.send_data(peer, data)

    def to_team(
        self, team: str, frame: ServerMessage, *, supervisors_only: bool = False, resumed_only: bool = False
    ) -> None:
        self.team_data(
            team, encode_frame(frame), supervisors_only=supervisors_only, resumed_only=resumed_only
        )

    def team_data(self, team: str, data: bytes, *, supervisors_only: bool, resumed_only: bool) -> None:
        for peer in list(self._by_team.get(team, ())):
            if (peer.user.supervises or not supervisors_only) and (peer.resumed or not resumed_only):
                self.send_data(peer, data)

    def to_followers(self, call_id: str, frame: ServerMessage) -> None:
        self.followers_data(call_id, encode_frame(frame))

    def followers_data(self, call_id: str, data: bytes) -> None:
        for peer in list(self._by_call.get(call_id, ())):
            self.send_data(peer, data)

    def peers(self) -> list[Peer]:
        return [p for peers in self._by_user.values() for p in peers]


def _new_id() -> str:
    return uuid.uuid4().hex


Item = TypeVar("Item")


def fit(items: Sequence[Item], budget: int) -> tuple[Sequence[Item], bool]:
    """The longest prefix of ``items`` whose JSON fits in ``budget`` bytes (at least one item, each item is
    bounded far below a frame), and whether some were left for the next page."""
    used = 0
    for index, item in enumerate(items):
        used += json_size(item) + 1
        if used > budget and index > 0:
            return items[:index], True
    return items, False


def _changes_page(changes: tuple[Change, ...], more: bool) -> ChangesPage:
    return ChangesPage(changes=changes, more=more)


class KeyedLocks:
    """One asyncio lock per key (agent or team), forgotten when nobody holds or awaits it: keys come from
    requests (a whisper names its agent before it is checked), so the table must not grow with every name ever
    sent."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def __call__(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


class TeamServer:
    """The team server bound to ``host:port`` (port 0 picks a free one; read :attr:`port` after start)."""

    def __init__(
        self,
        data_dir: Path | None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        limits: ServerLimits | None = None,
        ssl: ssl_module.SSLContext | None = None,
        instance: str = "default",
        clock: Callable[[], float] = time.time,
        database: str | None = None,
        redis: str | None = None,
    ) -> None:
        # ``database`` (a postgresql:// URL) replaces the SQLite files in ``data_dir``; ``redis`` (a redis://
        # URL) relays live deliveries to the other instances on the same database (sync/backplane.py).
        keep_frames_out_of_logs()
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.database = database
        self.redis = redis
        self.host = host
        self.requested_port = port
        self.limits = limits or ServerLimits()
        self.ssl = ssl
        self.instance = instance
        # This run of the instance: presence rows and the heartbeat name it, so a restarted instance's
        # previous run expires like any dead instance's (sync/store.py register_instance).
        self._run_name = f"{instance}:{uuid.uuid4().hex[:8]}"
        self._pool: StorePool | None = None
        self.clock = clock
        self.port = 0
        self._durable: DurableLogThread | None = None
        self._live_store: TeamStore | None = None
        self._live_executor: ThreadPoolExecutor | None = None
        self._server: Server | None = None
        self._agent_locks = KeyedLocks()
        self._refusals = RefusalLog(self.limits.refusal_window, self.limits.refusal_rows)
        self._team_locks = KeyedLocks()
        self._fanout = self._make_fanout()
        self._backplane: RedisBackplane | None = None
        # Who each connection authenticated as, from the handshake to the handler; weak so an upgrade that
        # fails after the check leaves nothing behind.
        self._authenticated: weakref.WeakKeyDictionary[ServerConnection, tuple[User, str]] = (
            weakref.WeakKeyDictionary()
        )
        self._recheck: asyncio.Task[None] | None = None
        self._retention: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        # An erasure whose files could not be scrubbed at once (another process held them): retried each
        # round.
        self._scrub_pending = False
        self._watchdog: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._coming_online: set[str] = set()
        # PostgreSQL: resumes waiting for their team's lock, and the task replaying them (_resume_with_team).
        self._resuming: defaultdict[str, list[tuple[Peer, Resume, asyncio.Future[tuple[int, int, bool]]]]] = (
            defaultdict(list)
        )
        self._resume_drains: dict[str, asyncio.Task[None]] = {}
        self._announcing: asyncio.Task[None] | None = None
        self._masker = Masker()
        self.stats: dict[str, int] = defaultdict(int)
        self._stopping = False

    def _make_fanout(self) -> LocalFanout:
        if self.redis is None:
            return LocalFanout(self._drop_slow)
        from sync.backplane import SharedFanout

        return SharedFanout(
            self._drop_slow,
            self._agent_locks,
            self._team_locks,
            lambda agent, after: self._db_read(self.store.whispers_for_agent, agent, after, RESUME_PAGE),
            lambda team, after: self._db_read(self.store.changes_since, team, after, 1000),
        )

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> int:
        # Each thread has its own TeamStore (its own SQLite connections): a connection is never shared between
        # threads, and the durable thread's fsyncs never hold up the live thread's transcript writes.
        loop = asyncio.get_running_loop()
        self._durable = DurableLogThread(self.data_dir, clock=self.clock, database=self.database)
        await self._durable.start()
        self._live_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-db")
        self._live_store = await loop.run_in_executor(
            self._live_executor,
            functools.partial(TeamStore, self.data_dir, clock=self.clock, database=self.database),
        )
        if self.database is not None:
            self._pool = StorePool(self.limits.db_pool, database=self.database, clock=self.clock)
            await self._live(self.live_store.register_instance, self._run_name, self.instance)
        else:  # one instance: what a previous run (killed?) left behind is gone
            await self._live(self.live_store.forget_instance, self.instance)
        if self.redis is not None:
            from sync.backplane import RedisBackplane, SharedFanout

            fanout = self._fanout
            assert isinstance(fanout, SharedFanout)
            # Its run's name as origin: two processes started with the same --instance still hear each other.
            self._backplane = RedisBackplane(
                self.redis, self._run_name, fanout.on_message, fanout.catch_up_all
            )
            fanout.backplane = self._backplane
            await self._backplane.start()
        limits = self.limits
        self._server = await serve(
            self._handle,
            self.host,
            self.requested_port,
            process_request=self._process_request,
            compression=None,
            max_size=limits.max_frame_bytes,
            open_timeout=limits.open_timeout,
            ping_interval=limits.ping_interval,
            ping_timeout=limits.ping_timeout,
            close_timeout=limits.close_timeout,
            ssl=self.ssl,
            server_header="agent-assist-server",
            backlog=limits.listen_backlog,
        )
        sockets = list(self._server.sockets)
        self.port = int(sockets[0].getsockname()[1])
        self._recheck = asyncio.create_task(self._recheck_tokens())
        self._watchdog = asyncio.create_task(self._watch_slow_consumers())
        self._retention = asyncio.create_task(self._keep_retention())
        if self.database is not None:
            self._heartbeat = asyncio.create_task(self._keep_presence())
        log.info(
            "team server listening on %s:%d (data in %s)", self.host, self.port, describe(self._location())
        )
        return self.port

    def _location(self) -> str | Path:
        return self.database or self.data_dir or "?"

    async def stop(self) -> None:
        self._stopping = True
        for task in (self._recheck, self._watchdog, self._retention, self._heartbeat, self._announcing):
            if task is not None:
                task.cancel()
        self._recheck = self._watchdog = self._retention = self._heartbeat = self._announcing = None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for drain in list(self._resume_drains.values()):  # their connections are closed: nobody waits
            drain.cancel()
        if self._backplane is not None:
            await self._backplane.stop()
            self._backplane = None
        stop_relaying = getattr(self._fanout, "stop", None)
        if stop_relaying is not None:
            await stop_relaying()
        if self._live_store is not None and self._live_executor is not None:
            await self._live(self._live_store.retire_instance, self._run_name)
            await self._live(self._live_store.close)
        if self._pool is not None:
            await self._pool.stop()
            self._pool = None
        if self._durable is not None:
            await self._durable.stop()
        if self._live_executor is not None:
            self._live_executor.shutdown(wait=True)
        self._durable = None
        self._live_executor = None
        self._live_store = None

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    @property
    def store(self) -> TeamStore:
        """The store of the durable-log thread (users, whispers, change feed, audit): use it only through
        _db."""
        assert self._durable is not None, "server not started"
        return self._durable.store

    @property
    def live_store(self) -> TeamStore:
        """The store of the live thread (calls, transcripts, presence): use it only through _live."""
        assert self._live_store is not None, "server not started"
        return self._live_store

    async def _db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the durable-log thread; returns after the commit that holds its writes."""
        assert self._durable is not None, "server not started"
        return await self._durable.call(fn, *args, **kwargs)

    async def _pooled(
        self, fn: Callable[Concatenate[TeamStore, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(store, ...)`` on the database pool (PostgreSQL), else on the live thread with its store."""
        if self._pool is not None:
            return await self._pool.run(fn, *args, **kwargs)
        return await self._live(fn, self.live_store, *args, **kwargs)

    async def _db_read(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn``, which only reads, on the durable-log thread outside any transaction."""
        assert self._durable is not None, "server not started"
        return await self._durable.read(fn, *args, **kwargs)

    async def _live(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the live-calls thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._live_executor, functools.partial(fn, *args, **kwargs))

    # -- handshake -----------------------------------------------------------------------------------------

    async def _process_request(
        self, connection: ServerConnection, request: HttpRequest
    ) -> HttpResponse | None:
        if request.path.split("?")[0] == "/health":
            counters = {k: self.stats[k] for k in HEALTH_COUNTERS}
            durable = self._durable
            # Durable-log calls per commit shows how much the group commit saves (1.0: every call its own
            # fsync).
            writes = (
                {
                    "durable_calls": durable.calls,
                    "durable_commits": durable.commits,
                    "durable_reads": durable.reads,
                }
                if durable is not None
                else {}
            )
            health = {
                "status": "ok",
                "connections": len(self._fanout.peers()),
                "instance": self.instance,
                **counters,
                **writes,
                "database": "postgresql" if self.database else "sqlite",
                "backplane": self._backplane.health() if self._backplane is not None else None,
            }
            body = json.dumps(health)
            return HttpResponse(
                http.HTTPStatus.OK.value,
                "OK",
                Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))]),
                body.encode(),
            )
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        remote = connection.remote_address
        peer_addr = f"{remote[0]}:{remote[1]}" if remote else "?"
        if scheme.lower() != "bearer" or not token.strip():
            self.stats["auth_failed"] += 1
            why = "no Authorization header" if not header else "no bearer token in the Authorization header"
            await self._audit_refusal("-", remote[0] if remote else "?", peer_addr, why)
            return self._unauthorized(connection, "missing bearer token")
        try:
            if self._pool is not None:
                user, reason, team = await self._pool.authenticate(token.strip())
            else:
                user, reason, team = await self._live(self.live_store.authenticate, token.strip())
        except DatabaseUnavailable as exc:
            # Not the client's fault and not for long: 503, and the client retries with backoff.
            self.stats["database_unavailable"] += 1
            log.warning("handshake refused: %s", exc)
            response = connection.respond(
                http.HTTPStatus.SERVICE_UNAVAILABLE, "the team database is unavailable; retry shortly\n"
            )
            response.headers["Retry-After"] = "1"
            return response
        if user is None:
            self.stats["auth_failed"] += 1
            await self._audit_refusal(team, remote[0] if remote else "?", peer_addr, reason)
            return self._unauthorized(connection, "invalid, expired or revoked token")
        self._authenticated[connection] = (user, hash_token(token.strip()))
        return None

    async def _recheck_tokens(self) -> None:
        """Close connections whose token was revoked (``user revoke``) or expired since they connected."""
        closing: set[asyncio.Task[None]] = set()
        while True:
            await asyncio.sleep(self.limits.recheck_tokens_every)
            try:
                peers = self._fanout.peers()
                valid = await self._live(self.live_store.still_valid, {p.token_hash for p in peers})
            except Exception:  # a busy or briefly unavailable database: try again next round
                log.exception("token recheck failed")
                continue
            for peer in peers:
                if peer.token_hash not in valid:
                    log.info("closing %s's connection: token revoked or expired", peer.user.name)
                    # Closed concurrently: one unresponsive client must not delay the others' closing.
                    task = asyncio.create_task(peer.ws.close(1008, "token revoked or expired"))
                    closing.add(task)
                    task.add_done_callback(closing.discard)

    async def _keep_retention(self) -> None:
        """Live transcripts, whispers and erasure tombstones leave the server after their retention
        (docs/protocol.md)."""
        while True:
            limits = self.limits
            try:
                removed = await self._live(
                    apply_retention,
                    self.live_store,
                    live_seconds=limits.live_retention,
                    whisper_seconds=limits.whisper_retention,
                    erased_seconds=limits.erased_retention,
                    clock=self.clock,
                )
                if removed:
                    log.info("retention removed %s", removed)
                if self._scrub_pending:
                    cleared = await self._live(self._scrub_both)
                    self._scrub_pending = not cleared
                await self._audit_refusal_summaries()
            except Exception:  # a busy database: next round
                log.exception("retention round failed")
            await asyncio.sleep(limits.retention_every)

    def _scrub_both(self) -> bool:
        return scrub(self.live_store.team_db) & scrub(self.live_store.live_db)

    async def _audit_refusal(self, team: str, address: str, peer_addr: str, reason: str) -> None:
        """A refused handshake in the audit log, within the per-address budget (sync/refusals.py)."""
        detail = self._refusals.admit(address, reason)
        if detail is not None:
            await self._db(self._audit_commit, "-", team, "login_failed", peer_addr, detail)

    async def _audit_refusal_summaries(self) -> None:
        for target, detail in self._refusals.due():
            await self._db(self._audit_commit, "-", "-", "login_failed", target, detail)

    def _audit_commit(
        self, actor: str, team: str, action: str, target: str, detail: Mapping[str, object]
    ) -> None:
        self.store.audit(actor, team, action, target, detail)

    @staticmethod
    def _unauthorized(connection: ServerConnection, message: str) -> HttpResponse:
        response = connection.respond(http.HTTPStatus.UNAUTHORIZED, message + "\n")
        response.headers["WWW-Authenticate"] = 'Bearer realm="agent-assist"'
        return response

    # -- connection ----------------------------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        authenticated = self._authenticated.pop(ws, None)
        if authenticated is None:  # cannot happen: the handshake refused it
            await ws.close(1008, "not authenticated")
            return
        user, token_hash = authenticated
        limits = self.limits
        sock = ws.transport.get_extra_info("socket")
        if limits.socket_send_buffer is not None and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, limits.socket_send_buffer)
        peer = Peer(
            ws=ws,
            user=user,
            token_hash=token_hash,
            conn_id=f"{self.instance}:{ws.id.hex}",
            queue=asyncio.Queue(maxsize=limits.send_queue_frames),
            bucket=TokenBucket(limits.rate_per_second, limits.rate_burst),
        )
        peer.writer = asyncio.create_task(self._write(peer))
        # The welcome is queued before the peer can be reached by any fan-out: it is always the first frame.
        welcome = Welcome(
            id=_new_id(),
            user=user.name,
            role=user.role,
            team=user.team,
            server_time=self.clock(),
            features=SERVER_FEATURES,
        )
        self._fanout.send(peer, welcome)
        self._fanout.add(peer)
        # Recorded while the client's first frame (its resume) is already served: a failover's resume waits
        # for no presence write. Every other request waits for it (_dispatch).
        peer.presence = asyncio.create_task(self._record_presence(peer))
        try:
            async for raw in ws:
                await self._on_frame(peer, raw)
        except ConnectionClosed:
            pass
        finally:
            self._fanout.remove(peer)
            peer.writer.cancel()
            await asyncio.wait([peer.presence])
            try:
                if await self._pooled(TeamStore.disconnected, peer.conn_id, user.name):
                    await self._announce_presence(user)
            except (
                Exception
            ):  # the server is stopping; presence is cleared for this instance at the next start
                log.debug("presence not updated for %s", user.name, exc_info=True)

    async def _record_presence(self, peer: Peer) -> None:
        user = peer.user
        try:
            # Presence is announced only when it changes: an agent reconnecting after its instance died is
            # still online (the dead instance's rows stay until they expire): a failover sends nobody a frame.
            if self._pool is not None:
                came_online = await self._pool.connected(peer.conn_id, self._run_name, user)
            else:
                came_online = await self._live(self.live_store.connected, peer.conn_id, self._run_name, user)
            if came_online:
                self._coming_online.add(user.name)
                if self._announcing is None and not self._stopping:
                    self._announcing = asyncio.create_task(self._announce_coming_online())
        except Exception:  # the database is away: the client reconnects and is recorded then
            log.warning("presence of %s not recorded; closing its connection", user.name, exc_info=True)
            await peer.ws.close(1011, "presence not recorded; reconnect")

    async def _write(self, peer: Peer) -> None:
        queue = peer.queue
        try:
            while True:
                data = await queue.get()
                peer.queued_bytes -= len(data)
                # Already UTF-8 (encoded once for every receiver of the frame); sent as a text frame.
                await peer.ws.send(data, text=True)
        except ConnectionClosed:
            pass

    async def _watch_slow_consumers(self) -> None:
        """Drop connections whose unsent bytes stay above the limit for longer than the grace."""
        while True:
            limits = self.limits
            await asyncio.sleep(max(0.05, limits.slow_consumer_grace / 4))
            now = time.monotonic()
            for peer in self._fanout.peers():
                try:
                    self._check_behind(peer, now, limits)
                except Exception:  # one odd connection must not end the watch over all the others
                    log.exception("slow-consumer check of %s failed", peer.conn_id)

    def _check_behind(self, peer: Peer, now: float, limits: ServerLimits) -> None:
        if peer.dropped:
            return
        unsent = peer.unsent_bytes()
        if unsent <= limits.slow_consumer_bytes:
            peer.behind_since = None
        elif peer.behind_since is None:
            peer.behind_since = now
        elif now - peer.behind_since >= limits.slow_consumer_grace:
            self._drop_slow(peer, f"{unsent // 1024} KiB unsent for {now - peer.behind_since:.1f} s")

    def _drop_slow(self, peer: Peer, why: str) -> None:
        if peer.dropped:
            return
        peer.dropped = True
        self.stats["slow_consumers_dropped"] += 1
        log.warning("dropping slow consumer %s (%s): %s", peer.user.name, peer.conn_id, why)
        if peer.writer is not None:
            peer.writer.cancel()
        while not peer.queue.empty():  # frames it would never read; what matters is durable and replayed
            peer.queue.get_nowait()
        peer.queued_bytes = 0
        task = asyncio.create_task(self._close_slow(peer))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_slow(self, peer: Peer) -> None:
        # The close frame goes behind what the socket already holds: a client that catches up within
        # slow_consumer_close_wait reads the code and reason, one that does not is cut off (and sees a reset).
        try:
            await asyncio.wait_for(
                peer.ws.close(CLOSE_SLOW_CONSUMER, "slow consumer: not reading fast enough"),
                self.limits.slow_consumer_close_wait,
            )
        except (TimeoutError, ConnectionClosed):
            pass
        finally:
            peer.ws.transport.abort()

    async def _on_frame(self, peer: Peer, raw: str | bytes) -> None:
        if self._stopping:  # connections are being closed; the database may already be gone
            return
        self.stats["frames"] += 1
        if not peer.bucket.take():
            now = time.monotonic()
            if now - peer.violations_since > 10.0:
                peer.violations, peer.violations_since = 0, now
            peer.violations += 1
            self.stats["rate_limited"] += 1
            if peer.violations > self.limits.max_rate_violations:
                await peer.ws.close(1008, "rate limit exceeded")
                return
            self._error(
                peer, ProtocolError(ErrorCode.RATE_LIMITED, "too many messages; slow down", frame_id(raw))
            )
            return
        try:
            request = decode_request(raw)
        except ProtocolError as exc:
            self.stats["malformed"] += 1
            self._error(peer, exc)
            return
        allowed = PERMISSIONS.get(type(request), frozenset())
        if peer.user.role not in allowed:
            self.stats["denied"] += 1
            self._error(
                peer,
                ProtocolError(
                    ErrorCode.FORBIDDEN,
                    f"the {peer.user.role.value} role may not send {request.TYPE}",
                    request.id,
                ),
            )
            return
        try:
            # Personal data is masked before anything is stored, audited or relayed (sync/masking.py).
            await self._dispatch(peer, self._masker.mask(request))
        except ProtocolError as exc:
            if exc.code is ErrorCode.FORBIDDEN:
                self.stats["denied"] += 1
            self._error(peer, exc)
        except DatabaseUnavailable as exc:
            self.stats["database_unavailable"] += 1
            log.warning("request %s from %s: %s", request.TYPE, peer.user.name, exc)
            self._error(
                peer,
                ProtocolError(
                    ErrorCode.INTERNAL,
                    f"{request.TYPE}: the team database is unavailable, nothing was stored; retry",
                    request.id,
                ),
            )
        except Exception:
            log.exception("request %s from %s failed", request.TYPE, peer.user.name)
            self._error(
                peer, ProtocolError(ErrorCode.INTERNAL, f"{request.TYPE} failed on the server", request.id)
            )

    def _error(self, peer: Peer, exc: ProtocolError) -> None:
        self._fanout.send(
            peer, ErrorFrame(id=_new_id(), code=exc.code.value, message=exc.message, ref=exc.ref)
        )

    def _ack(self, peer: Peer, request: Request, reply: Ack | None = None) -> None:
        """Send ``reply`` (a plain Ack when None), as the answer to ``request``."""
        frame = (reply or Ack()).answering(_new_id(), request)
        data = encode_frame(frame)
        if len(data) > MAX_SERVER_FRAME_BYTES:  # a bug: every list is paged, every stored object bounded
            log.error("%s reply of %d bytes is over the frame bound", request.TYPE, len(data))
            self._error(peer, ProtocolError(ErrorCode.TOO_LARGE, "the reply would be too large", request.id))
            return
        self._fanout.send_data(peer, data)

    def _ack_page(
        self,
        peer: Peer,
        request: Request,
        page: Callable[[tuple[Item, ...], bool], Page],
        items: Sequence[Item],
        *,
        more: bool = False,
    ) -> None:
        """Reply with as many of ``items`` as fit in one frame (``page(items, more)`` makes the reply);
        ``more`` tells the client to ask for the rest."""
        fitting, cut = fit(items, _PAGE_BUDGET)
        self._ack(peer, request, page(tuple(fitting), more or cut))

    async def _announce_presence(self, user: User) -> None:
        entry = await self._live(self.live_store.user_presence, user)
        self._fanout.to_team(user.team, PresenceUpdate(id=_new_id(), users=(entry,)))

    async def _announce_coming_online(self) -> None:
        """The users who came online while the previous announcement was on its way, in one frame per team:
        1,000 clients starting at once cost a few frames per teammate, not one per arrival."""
        try:
            while self._coming_online:
                names, self._coming_online = sorted(self._coming_online), set()
                await self._announce_users(names)
        except Exception:  # the database is away: list_presence is still right, the next change announces
            log.warning("presence not announced", exc_info=True)
        finally:
            self._announcing = None

    async def _announce_users(self, names: list[str]) -> None:
        """One presence frame per team for these users (after an instance's connections expired)."""
        entries = await self._live(self._presence_entries, names)
        for team, users in entries.items():
            self._fanout.to_team(team, PresenceUpdate(id=_new_id(), users=tuple(users)))

    def _presence_entries(self, names: list[str]) -> dict[str, list[ServerPresence]]:
        by_team: dict[str, list[ServerPresence]] = defaultdict(list)
        for name in names:
            user = self.live_store.user(name)
            if user is not None:
                by_team[user.team].append(self.live_store.user_presence(user))
        return by_team

    async def _keep_presence(self) -> None:
        """Several instances: move this instance's heartbeat on, and expire the presence of instances whose
        heartbeat stopped (killed with -9, machine lost). Compared with this process's monotonic clock, so the
        instances' wall clocks need not agree."""
        seen: dict[str, tuple[int, float]] = {}  # other instance -> (its beat, when we saw it change)
        while True:
            await asyncio.sleep(self.limits.heartbeat_every)
            try:
                if not await self._live(self.live_store.heartbeat, self._run_name):
                    # Taken for dead while stalled: our connections are real, record them again.
                    peers = [(p.conn_id, p.user) for p in self._fanout.peers()]
                    log.warning(
                        "instance %s was taken for dead; recording its connections again", self.instance
                    )
                    back = await self._live(self.live_store.reconnect_all, self._run_name, peers)
                    await self._announce_users(back)
                beats = await self._live(self.live_store.instance_beats)
                now = time.monotonic()
                for name in set(seen) - set(beats):
                    del seen[name]
                for name, beat in beats.items():
                    last = seen.get(name)
                    if name == self._run_name or last is None or last[0] != beat:
                        seen[name] = (beat, now)
                    elif now - last[1] >= self.limits.presence_ttl:
                        del seen[name]
                        offline = await self._live(self.live_store.reap_instance, name, beat)
                        log.warning(
                            "instance %s stopped its heartbeat %.1f s ago: its connections expired, %d users"
                            " offline", name, now - last[1], len(offline),
                        )  # fmt: skip
                        await self._announce_users(offline)
            except Exception:  # a busy or briefly unavailable database: next round
                log.exception("presence heartbeat failed")

    # -- requests ------------------------------------------------------------------------------------------

    async def _dispatch(self, peer: Peer, request: Request) -> None:
        """The handler of each request type (PERMISSIONS has already said who may send it)."""
        if peer.presence is not None and not peer.presence.done() and not isinstance(request, Resume):
            await asyncio.wait([peer.presence])  # everything but the resume sees the connection recorded
        match request:
            case Resume():
                await self._on_resume(peer, request)
            case CallStart():
                await self._on_call_start(peer, request)
            case CallEnd():
                await self._on_call_end(peer, request)
            case Transcript():
                await self._on_transcript(peer, request)
            case CallUpdate():
                await self._on_call_update(peer, request)
            case RaiseHand():
                await self._on_raise_hand(peer, request)
            case Subscribe():
                await self._on_subscribe(peer, request)
            case Unsubscribe():
                await self._on_unsubscribe(peer, request)
            case ListCalls():
                await self._on_list_calls(peer, request)
            case ListPresence():
                await self._on_list_presence(peer, request)
            case WhisperSend():
                await self._on_whisper_send(peer, request)
            case WhisperDelivered():
                await self._mark(peer, request.whisper_id, WhisperStatus.DELIVERED, request.id)
                self._ack(peer, request)
            case WhisperRead():
                await self._mark(peer, request.whisper_id, WhisperStatus.READ, request.id)
                self._ack(peer, request)
            case ListWhispers():
                await self._on_list_whispers(peer, request)
            case ChangePush():
                await self._on_change_push(peer, request)
            case FeedSince():
                await self._on_feed_since(peer, request)
            case History():
                await self._on_history(peer, request)
            case AuditQuery():
                await self._on_audit_query(peer, request)
            case EraseCustomer():
                await self._on_erase_customer(peer, request)
            case _:  # pragma: no cover - every type in REQUEST_TYPES has a case above
                raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"no handler for {request.TYPE}", request.id)

    async def _on_resume(self, peer: Peer, req: Resume) -> None:
        user = peer.user
        # Both locks are the ones new whispers and changes are stored and pushed under: holding them while
        # replaying and then marking the peer resumed means nothing new can overtake (or slip past) the
        # replay.
        async with self._agent_locks(user.name):
            if self._pool is not None:
                whispers, changes, more = await self._resume_with_team(peer, req)
            else:
                async with self._team_locks(user.team):
                    self._fanout.resumed(peer, req.whisper_after, req.feed_after)
                    # One trip, outside any transaction.
                    found = await self._db_read(self._resume_reads, self.store, user, req)
                    whispers, changes, more = self._replay(peer, *found)
        self._ack(peer, req, ResumeAck(whispers=whispers, changes=changes, more=more))

    def _replay(
        self, peer: Peer, whispers: list[ServerWhisper], changes: list[Change]
    ) -> tuple[int, int, bool]:
        """Send a resume's replay (under the peer's agent and team locks); how many of each, and whether
        there is more."""
        for whisper in whispers:
            self._fanout.send(peer, WhisperPush(id=_new_id(), whisper=whisper))
        for change in changes:
            self._fanout.send(peer, ChangePushed(id=_new_id(), change=change))
        # One page at a time so a long-offline client never overflows its own send queue; it asks again
        # with the new positions, and live pushes start only once it has caught up.
        more = len(whispers) == RESUME_PAGE or len(changes) == RESUME_PAGE
        peer.resumed = not more
        return len(whispers), len(changes), more

    async def _resume_with_team(self, peer: Peer, req: Resume) -> tuple[int, int, bool]:
        """PostgreSQL: the resumes of a team that wait for its lock are replayed together, in one trip and
        one turn of the lock (after an instance died, a team's agents arrive here by the dozen, and one
        trip each under the team's lock made them queue behind one another). The caller holds its agent
        lock."""
        future: asyncio.Future[tuple[int, int, bool]] = asyncio.get_running_loop().create_future()
        team = peer.user.team
        self._resuming[team].append((peer, req, future))
        if team not in self._resume_drains and not self._stopping:
            self._resume_drains[team] = asyncio.create_task(self._drain_resumes(team))
        return await future

    async def _drain_resumes(self, team: str) -> None:
        assert self._pool is not None
        try:
            while self._resuming.get(team):
                async with self._team_locks(team):
                    batch = [item for item in self._resuming.pop(team) if not item[2].done()]
                    for peer, req, _ in batch:
                        self._fanout.resumed(peer, req.whisper_after, req.feed_after)
                    try:
                        found = await self._pool.run(
                            self._resume_reads_many, [(p.user, r) for p, r, _ in batch]
                        )
                    except Exception as exc:  # DatabaseUnavailable: each request is answered retryable
                        for _, _, future in batch:
                            if not future.done():
                                future.set_exception(exc)
                        continue
                    for (peer, _, future), (whispers, changes) in zip(batch, found, strict=True):
                        if not future.done():
                            future.set_result(self._replay(peer, whispers, changes))
        finally:
            self._resume_drains.pop(team, None)

    @staticmethod
    def _resume_reads_many(
        store: TeamStore, resumes: list[tuple[User, Resume]]
    ) -> list[tuple[list[ServerWhisper], list[Change]]]:
        changes: dict[int, list[Change]] = {}  # one read for every resume at the same feed position
        found = []
        for user, req in resumes:
            if req.feed_after not in changes:
                changes[req.feed_after] = store.changes_since(user.team, req.feed_after, RESUME_PAGE)
            found.append((TeamServer._whispers_after(store, user, req), changes[req.feed_after]))
        return found

    @staticmethod
    def _resume_reads(store: TeamStore, user: User, req: Resume) -> tuple[list[ServerWhisper], list[Change]]:
        whispers = TeamServer._whispers_after(store, user, req)
        return whispers, store.changes_since(user.team, req.feed_after, RESUME_PAGE)

    @staticmethod
    def _whispers_after(store: TeamStore, user: User, req: Resume) -> list[ServerWhisper]:
        if user.role is not Role.AGENT:
            return []
        return store.whispers_for_agent(user.name, req.whisper_after, RESUME_PAGE)

    @staticmethod
    def _check_ownership(status: str, call_id: str, ref: str, *, ended_ok: bool = False) -> None:
        if status == "not_found":
            raise ProtocolError(ErrorCode.NOT_FOUND, f"call {call_id!r} was not started", ref)
        if status == "forbidden":
            raise ProtocolError(ErrorCode.FORBIDDEN, f"call {call_id!r} belongs to another agent", ref)
        if status == "ended" and not ended_ok:
            raise ProtocolError(ErrorCode.CONFLICT, f"call {call_id!r} has ended", ref)

    async def _own_call(self, peer: Peer, call_id: str, ref: str, *, ended_ok: bool = False) -> ServerCall:
        status, call = await self._live(self.live_store.call_owned_by, peer.user, call_id)
        self._check_ownership(status, call_id, ref, ended_ok=ended_ok)
        assert call is not None
        return call

    async def _team_call(self, peer: Peer, call_id: str, ref: str) -> ServerCall:
        call = await self._live(self.live_store.call, call_id)
        if call is None or call.team != peer.user.team:
            # The same answer for "no such call" and "another team's call": existence is not leaked.
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no call {call_id!r} in your team", ref)
        return call

    async def _on_call_start(self, peer: Peer, req: CallStart[JsonObject]) -> None:
        existing = await self._live(self.live_store.call, req.call_id)
        if existing is not None and existing.team != peer.user.team:
            raise ProtocolError(
                ErrorCode.CONFLICT, f"call id {req.call_id!r} is taken; start the call with a new id", req.id
            )
        if existing is not None and existing.agent != peer.user.name:
            raise ProtocolError(ErrorCode.FORBIDDEN, f"call {req.call_id!r} belongs to another agent", req.id)
        if existing is not None and existing.ended_at is not None:
            raise ProtocolError(ErrorCode.CONFLICT, f"call {req.call_id!r} has already ended", req.id)
        try:
            call = await self._live(
                self.live_store.start_call_unless_erased,
                peer.user,
                req.call_id,
                req.customer,
                req.started_at,
                req.seen or 0,
            )
        except ErasedError as exc:
            raise ProtocolError(ErrorCode.CONFLICT, str(exc), req.id) from None
        self._ack(peer, req, CallStartAck(call=call))
        if existing is None:
            started = CallStarted(id=_new_id(), call_id=req.call_id, call=call)
            self._fanout.to_team(peer.user.team, started, supervisors_only=True)
        await self._announce_presence(peer.user)

    async def _on_call_end(self, peer: Peer, req: CallEnd) -> None:
        await self._own_call(peer, req.call_id, req.id, ended_ok=True)
        call = await self._live(self.live_store.end_call, req.call_id)
        self._masker.call_ended(req.call_id)
        self._ack(peer, req)
        ended = CallEnded(id=_new_id(), call_id=req.call_id, call=call)
        self._fanout.to_team(peer.user.team, ended, supervisors_only=True)
        await self._announce_presence(peer.user)

    async def _on_transcript(self, peer: Peer, req: Transcript) -> None:
        status = await self._live(self.live_store.add_segment_for, peer.user, req.call_id, req.event)
        if status == "stale":  # a partial overtaken by its final: followers already show the final line
            return
        self._check_ownership(status, req.call_id, req.id)
        frame = CallTranscript(id=_new_id(), call_id=req.call_id, transcript=req.event)
        # Finals reach every supervisor of the team (the board shows the last line); partials only followers.
        if req.event.kind is EventKind.FINAL:
            self._fanout.to_team(peer.user.team, frame, supervisors_only=True)
        else:
            self._fanout.to_followers(req.call_id, frame)
        # No ack on success: transcript lines are frequent and live-only, errors are still reported.

    async def _on_call_update(self, peer: Peer, req: CallUpdate[JsonObject]) -> None:
        await self._own_call(peer, req.call_id, req.id)
        try:
            info = await self._live(
                self.live_store.update_call_info, req.call_id, req.info, MAX_OBJECT_BYTES["info"]
            )
        except ValueError as exc:
            raise ProtocolError(ErrorCode.BAD_FIELD, str(exc), req.id) from None
        self._fanout.to_followers(req.call_id, CallUpdated(id=_new_id(), call_id=req.call_id, info=info))

    async def _on_raise_hand(self, peer: Peer, req: RaiseHand) -> None:
        """The agent asks the team's supervisors for help on their own live call (or lowers the hand). Kept in
        the call's info (so list_calls shows it to a board opened later), audited, and told to every
        supervisor of the team at once; it ends with the call."""
        await self._own_call(peer, req.call_id, req.id)
        reason = (req.reason or "").strip()
        hand = Hand(raised_at=self.clock(), reason=reason) if req.raised else None
        await self._live(
            self.live_store.update_call_info,
            req.call_id,
            {"hand": None if hand is None else json_object(hand)},
        )
        action = "hand_raised" if req.raised else "hand_lowered"
        detail = {"reason": reason} if req.raised else {}
        try:  # the reason is about the customer: not written once her erasure may have scrubbed the audit
            await self._db(self.store.audit_call, peer.user.name, peer.user.team, action, req.call_id, detail)
        except ErasedError as exc:
            raise ProtocolError(ErrorCode.CONFLICT, str(exc), req.id) from None
        self._ack(peer, req, HandAck(hand=hand))
        changed = HandChanged(id=_new_id(), call_id=req.call_id, agent=peer.user.name, hand=hand)
        self._fanout.to_team(peer.user.team, changed, supervisors_only=True)

    async def _on_subscribe(self, peer: Peer, req: Subscribe) -> None:
        call = await self._team_call(peer, req.call_id, req.id)  # refused before anything is followed
        # Follow first, then read: an event arriving in between is seen twice (replaced by segment id), never
        # lost.
        self._fanout.follow(peer, req.call_id)
        transcript = await self._live(self.live_store.transcript_so_far, req.call_id)
        whispers = await self._db(self.store.whispers_for_call, peer.user.team, req.call_id)
        await self._db(self._audit_commit, peer.user.name, peer.user.team, "monitor_start", req.call_id, {})
        # The call itself is read last, on the live thread that also writes its info: an update written before
        # this read is in the snapshot (and its event reached the follower first), one written after reaches
        # the follower after the snapshot. A snapshot never carries info older than an event already sent.
        latest = await self._live(self.live_store.call, req.call_id)
        call = latest if latest is not None else call
        # A long call's snapshot is sent in parts, each within the frame bound; the last has "more": false.
        budget = _PAGE_BUDGET - json_size(call)
        part = 0
        while True:
            lines, more_lines = fit(transcript, budget)
            notes, more_notes = fit(whispers, budget - json_size(lines)) if not more_lines else ([], True)
            transcript, whispers = transcript[len(lines) :], whispers[len(notes) :]
            more = more_lines or more_notes
            snapshot = CallSnapshot(
                id=_new_id(),
                call=call,
                transcript=tuple(lines),
                whispers=tuple(notes),
                ref=req.id,
                part=part,
                more=more,
            )
            self._fanout.send(peer, snapshot)
            if not more:
                break
            part += 1

    async def _on_unsubscribe(self, peer: Peer, req: Unsubscribe) -> None:
        if req.call_id in peer.subscriptions:
            self._fanout.unfollow(peer, req.call_id)
            peer.subscriptions.discard(req.call_id)
            await self._db(
                self._audit_commit, peer.user.name, peer.user.team, "monitor_stop", req.call_id, {}
            )
        self._ack(peer, req)

    async def _on_list_calls(self, peer: Peer, req: ListCalls) -> None:
        calls = await self._live(self.live_store.live_calls, peer.user.team)
        self._ack_page(peer, req, lambda page, more: CallsPage(calls=page, more=more), calls[req.offset :])

    async def _on_list_presence(self, peer: Peer, req: ListPresence) -> None:
        users = await self._live(self.live_store.presence, peer.user.team)
        self._ack_page(peer, req, lambda page, more: PresencePage(users=page, more=more), users[req.offset :])

    def _check_token(self, peer: Peer, ref: str) -> None:
        """On the durable-log thread, before a write: a token revoked a moment ago writes nothing more, even
        before the connection is closed."""
        if not self.store.still_valid({peer.token_hash}):
            raise ProtocolError(ErrorCode.FORBIDDEN, "your token was revoked or has expired", ref)

    def _store_whisper(self, peer: Peer, req: WhisperSend[JsonObject]) -> tuple[ServerWhisper, bool]:
        """On the durable-log thread, in one trip: check who the whisper is for, then persist it (one
        transaction: the whisper, the agent's next sequence number and the audit entry, fsynced once)."""
        self._check_token(peer, req.id)
        sender = peer.user
        agent, call = self.store.whisper_target(req.agent, req.call_id)
        if agent is None or agent.team != sender.team or agent.role is not Role.AGENT:
            raise ProtocolError(ErrorCode.FORBIDDEN, f"{req.agent!r} is not an agent of your team", req.id)
        if req.call_id is not None and call is None:
            try:  # an erased call says so, rather than "not a call of"
                check_not_erased(self.store.team_db, sender.team, req.seen or 0, calls=(req.call_id,))
            except ErasedError as exc:
                raise ProtocolError(ErrorCode.CONFLICT, str(exc), req.id) from None
        if req.call_id is not None and (call is None or call.agent != agent.name):
            raise ProtocolError(
                ErrorCode.FORBIDDEN, f"call {req.call_id!r} is not a call of {agent.name!r}", req.id
            )
        try:
            whisper, is_new = self.store.add_whisper(
                whisper_id=req.whisper_id,
                sender=sender,
                agent=agent.name,
                text=req.text,
                call_id=req.call_id,
                anchor_segment_id=req.anchor_segment_id,
                attachment=req.attachment,
                seen=req.seen or 0,
            )
        except ErasedError as exc:
            raise ProtocolError(ErrorCode.CONFLICT, str(exc), req.id) from None
        if whisper.sender != sender.name or whisper.agent != agent.name:
            raise ProtocolError(ErrorCode.CONFLICT, f"whisper id {req.whisper_id!r} is already used", req.id)
        return whisper, is_new

    async def _on_whisper_send(self, peer: Peer, req: WhisperSend[JsonObject]) -> None:
        sender = peer.user
        # Held from storing to pushing, so an agent's whispers reach it in sequence order.
        async with self._agent_locks(req.agent):
            whisper, is_new = await self._db(self._store_whisper, peer, req)
            self._ack(peer, req, WhisperAck(whisper=whisper))
            # A retry re-delivers too: the earlier delivery may be what got lost. The agent dedupes by id.
            if whisper.status == WhisperStatus.SENT or is_new:
                self._fanout.to_user(req.agent, WhisperPush(id=_new_id(), whisper=whisper), resumed_only=True)
        if is_new and req.call_id is not None:
            # The team board shows the time since the last whisper on each call, for every supervisor.
            whispered = CallWhispered(id=_new_id(), call_id=req.call_id, whisper=whisper)
            self._fanout.to_team(sender.team, whispered, supervisors_only=True)

    def _store_mark(
        self, agent: User, whisper_id: str, status: WhisperStatus, ref: str
    ) -> tuple[ServerWhisper, bool]:
        """On the durable-log thread, in one trip: the whisper must be the agent's own, then its status is
        stored."""
        existing = self.store.whisper(whisper_id)
        if existing is None or existing.agent != agent.name:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no whisper {whisper_id!r} for you", ref)
        return self.store.mark_whisper(whisper_id, status, agent)

    async def _mark(self, peer: Peer, whisper_id: str, status: WhisperStatus, ref: str) -> None:
        whisper, changed = await self._db(self._store_mark, peer.user, whisper_id, status, ref)
        if changed:
            receipt = WhisperReceipt(
                id=_new_id(), whisper_id=whisper_id, status=whisper.status, whisper=whisper
            )
            self._fanout.to_user(whisper.sender, receipt)

    async def _on_list_whispers(self, peer: Peer, req: ListWhispers) -> None:
        user = peer.user
        if user.role is Role.AGENT:
            whispers = await self._db(self.store.whispers_for_agent, user.name, 0)
            if req.call_id is not None:
                whispers = [w for w in whispers if w.call_id == req.call_id]
        elif req.call_id is None:  # a supervisor's history: every whisper of the team
            whispers = await self._db(self.store.whispers_for_team, user.team)
        else:
            await self._team_call(peer, req.call_id, req.id)
            whispers = await self._db(self.store.whispers_for_call, user.team, req.call_id)
        self._ack_page(
            peer, req, lambda page, more: WhispersPage(whispers=page, more=more), whispers[req.offset :]
        )

    async def _on_change_push(self, peer: Peer, req: ChangePush) -> None:
        kind = req.kind
        if kind is RecordKind.ERASURE:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, "erasure entries are made by the server (erase_customer)", req.id
            )
        if kind in SUPERVISOR_KINDS and not peer.user.supervises:
            raise ProtocolError(ErrorCode.FORBIDDEN, f"only supervisors change {kind.value} entries", req.id)
        async with self._team_locks(peer.user.team):
            try:
                change, is_new = await self._db(self._store_change, peer, req, kind)
            except ValueError as exc:
                raise ProtocolError(ErrorCode.CONFLICT, str(exc), req.id) from None
            if change.team != peer.user.team:
                raise ProtocolError(
                    ErrorCode.CONFLICT, f"change id {req.change_id!r} is already used", req.id
                )
            self._ack(peer, req, ChangeAck(seq=change.seq, duplicate=not is_new))
            if is_new:
                self._fanout.to_team(
                    peer.user.team, ChangePushed(id=_new_id(), change=change), resumed_only=True
                )

    def _store_change(self, peer: Peer, req: ChangePush, kind: RecordKind) -> tuple[Change, bool]:
        self._check_token(peer, req.id)
        return self.store.add_change(
            author=peer.user,
            change_id=req.change_id,
            kind=kind,
            record_id=req.record_id,
            record=req.record,
            seen=req.seen or 0,
        )

    async def _on_erase_customer(self, peer: Peer, req: EraseCustomer) -> None:
        """On the live thread (its store is never inside a group commit, so the files can be rebuilt
        there)."""
        await self._db(self._check_token, peer, req.id)
        user = peer.user
        async with self._team_locks(user.team):  # its feed entry takes the next seq, in order with pushes
            report = await self._live(
                erase_customer, self.live_store, user.team, req.customer_id, req.call_ids or (), user.name
            )
            # SQLite files another process held are rebuilt at a later round; PostgreSQL's are its own.
            self._scrub_pending |= not report.files_cleared and report.database == "sqlite"
            for call_id in report.call_ids:
                self._masker.call_ended(call_id)
            self._ack(peer, req, report.reply())
            if report.change is not None:  # every client of the team drops its copy (docs/protocol.md)
                frame = ChangePushed(id=_new_id(), change=report.change)
                self._fanout.to_team(user.team, frame, resumed_only=True)

    async def _on_feed_since(self, peer: Peer, req: FeedSince) -> None:
        limit = max(1, min(req.limit, 1000))
        changes = await self._db(self.store.changes_since, peer.user.team, req.after, limit + 1)
        self._ack_page(peer, req, _changes_page, changes[:limit], more=len(changes) > limit)

    async def _on_history(self, peer: Peer, req: History) -> None:
        changes = await self._db(self.store.history, peer.user.team, req.kind.value, req.record_id)
        self._ack_page(peer, req, _changes_page, [c for c in changes if c.seq > req.after])

    async def _on_audit_query(self, peer: Peer, req: AuditQuery) -> None:
        limit = max(1, min(req.limit, 1000))
        entries = await self._db(self.store.audit_since, peer.user.team, req.after, limit + 1)
        self._ack_page(
            peer,
            req,
            lambda page, more: AuditPage(entries=page, more=more),
            entries[:limit],
            more=len(entries) > limit,
        )


class ServerOptions(TypedDict, total=False):
    """TeamServer's keyword options, passed through by ServerThread."""

    limits: ServerLimits | None
    ssl: ssl_module.SSLContext | None
    instance: str
    clock: Callable[[], float]
    database: str | None
    redis: str | None


class ServerThread:
    """A TeamServer on its own event loop in a background thread, for embedding (the demo) and tests."""

    def __init__(
        self, data_dir: Path | None, host: str = "127.0.0.1", port: int = 0, **kwargs: Unpack[ServerOptions]
    ) -> None:
        self.server = TeamServer(data_dir, host, port, **kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return f"ws://{self.server.host}:{self.server.port}/"

    def start(self, timeout: float = 10.0) -> int:
        self._thread = threading.Thread(target=self._run, name="team-server", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError("team server did not start in time")
        if self._error is not None:
            raise RuntimeError(f"team server failed to start: {self._error}") from self._error
        return self.port

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
            # The durable log's stop joins its thread through the default executor: end that thread too.
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            await self.server.start()
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        await self._stop.wait()
        await self.server.stop()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        self._thread = None
