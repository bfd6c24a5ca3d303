"""The desktop's link to the team server, Qt-free: whatever the agent or supervisor does reaches the team
eventually, and what the team sends is shown once.

:class:`SyncClient` runs its own asyncio loop in a background thread and reconnects forever with backoff and
jitter. Writes that must not be lost (whispers, read receipts, shared-data changes, call start/end) first go
into an outbox in a local SQLite file (``synchronous=FULL``) and leave it only when the server acknowledged
them, so anything written offline is sent when the connection is back, and a retry never duplicates because
every such message carries an id chosen here. Received whispers are stored by id before they are shown and
acknowledged, so a replay after reconnecting never shows one twice. Transcript lines are live-only: sent when
connected, dropped when not (the local store keeps them).

Callbacks (``on_whisper`` and friends) are called on the client's thread. A Qt app must marshal them to the
GUI thread (a queued signal), and must not call the blocking request methods (``list_live_calls``...) from
inside a callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import sqlite3
import ssl as ssl_module
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from msgspec import Struct
from msgspec.structs import replace
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.uri import parse_uri

from assist.migrations import MigrationSet, migrate, script_step, table_exists
from audio.events import TranscriptEvent
from sync.logs import keep_frames_out_of_logs
from sync.protocol import (
    FEATURE_SEEN,
    Ack,
    AnyCallEvent,
    AnyFrame,
    Attachment,
    AuditEntry,
    AuditPage,
    AuditQuery,
    Call,
    CallEnd,
    CallInfo,
    CallSnapshot,
    CallsPage,
    CallStart,
    CallUpdate,
    Change,
    ChangePush,
    ChangePushed,
    ChangesPage,
    ClientWhisper,
    EraseCustomer,
    EraseReport,
    Erasure,
    ErrorCode,
    ErrorFrame,
    FeedSince,
    History,
    JsonObject,
    ListCalls,
    ListPresence,
    ListWhispers,
    Page,
    Presence,
    PresencePage,
    PresenceUpdate,
    ProtocolError,
    RaiseHand,
    RecordKind,
    Request,
    Resume,
    ResumeAck,
    SharedCustomer,
    Subscribe,
    Transcript,
    TranscriptLine,
    Unsubscribe,
    Welcome,
    Whisper,
    WhisperAck,
    WhisperDelivered,
    WhisperPush,
    WhisperRead,
    WhisperReceipt,
    WhisperSend,
    WhispersPage,
    WhisperStatus,
    convert,
    decode_request,
    decode_server_frame,
    encode_request,
    from_json,
    to_json,
)
from sync.ratelimit import TokenBucket

log = logging.getLogger(__name__)

CLIENT_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
frame TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS whispers (
    whisper_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0
);
"""
# An erasure from the feed the app could not take (its callback raised, e.g. the app was closing): kept, ids
# only, and handed to the app again at the next start, connection and change, until it takes it.
KEPT_ERASURES_SCHEMA = """
CREATE TABLE IF NOT EXISTS kept_erasures (
    feed_seq INTEGER PRIMARY KEY, customer_id TEXT NOT NULL, call_ids TEXT NOT NULL
);
"""
CLIENT_MIGRATIONS = MigrationSet(
    "client",
    (
        (1, "outbox, resume state, received whispers", script_step(CLIENT_SCHEMA)),
        (2, "erasures the app has not yet taken", script_step(KEPT_ERASURES_SCHEMA)),
    ),
    adopt=lambda conn: 1 if table_exists(conn, "outbox") else 0,
)

# Errors that say "try again later" rather than "never": the message stays in the outbox.
_RETRYABLE = {ErrorCode.RATE_LIMITED.value, ErrorCode.INTERNAL.value}

# How long a new connection's outbox waits for the resume replay (an older server may never answer it).
CATCH_UP_WAIT = 5.0


def _ignore_task(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.info("asking for the rest of the resume replay failed: %s", task.exception())


def _about(frame: str, customer_id: str, calls: set[str]) -> bool:
    """Whether an outbox frame carries data about this customer (its calls, its records). A frame this client
    cannot read back is purged too: the server would refuse it, so it could never be delivered."""
    try:
        request = decode_request(frame)
    except ProtocolError:
        return True
    match request:
        case EraseCustomer():
            return False
        case CallStart(customer=customer) if customer is not None and customer.get("id") == customer_id:
            return True
        case ChangePush(kind=kind, record_id=record_id, record=record):
            return (
                (kind is RecordKind.CUSTOMER and record_id == customer_id)
                or record.get("customer_id") == customer_id
                or record_id in calls
                or record.get("call_id") in calls
            )
        case (
            CallStart(call_id=call_id)
            | CallEnd(call_id=call_id)
            | Transcript(call_id=call_id)
            | CallUpdate(call_id=call_id)
            | RaiseHand(call_id=call_id)
            | Subscribe(call_id=call_id)
            | Unsubscribe(call_id=call_id)
            | WhisperSend(call_id=call_id)
            | ListWhispers(call_id=call_id)
        ):
            return call_id in calls
    return False


def _whisper_call(body: str) -> str | None:
    """The call of a whisper kept in a client file (None when it has none, or cannot be read)."""
    try:
        return from_json(body, ClientWhisper).call_id
    except ValueError:
        return None


def purge_connection(db: sqlite3.Connection, customer_id: str, call_ids: Iterable[str]) -> bool:
    """Delete, from one client file, the queued frames and received whispers about a customer, and rebuild the
    file so no byte of them remains (secure_delete, VACUUM, WAL truncated). False when another connection kept
    the file busy (the rows are gone, older copies may remain until it closes)."""
    calls = set(call_ids)
    db.execute("PRAGMA secure_delete=ON")
    whispers = [
        wid
        for wid, body in db.execute("SELECT whisper_id, body FROM whispers").fetchall()
        if _whisper_call(body) in calls
    ]
    receipts = {f"delivered:{w}" for w in whispers} | {f"read:{w}" for w in whispers}
    # An erasure kept for the app that this purge covers (her, and only calls it takes) has nothing left to
    # do; one that also names other calls (an unknown number's, not hers on this PC) stays for the app.
    covered = [
        seq
        for seq, kept_customer, kept_calls in (
            db.execute("SELECT feed_seq, customer_id, call_ids FROM kept_erasures").fetchall()
            if table_exists(db, "kept_erasures")
            else ()
        )
        if kept_customer == customer_id and set(json.loads(kept_calls)) <= calls
    ]
    doomed = [
        oid
        for oid, text in db.execute("SELECT id, frame FROM outbox").fetchall()
        if oid in receipts or _about(text, customer_id, calls)
    ]
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in doomed])
        db.executemany("DELETE FROM whispers WHERE whisper_id = ?", [(w,) for w in whispers])
        if covered:  # a file made before client migration 2 has no such table
            db.executemany("DELETE FROM kept_erasures WHERE feed_seq = ?", [(seq,) for seq in covered])
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    try:
        db.execute("VACUUM")
        busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.OperationalError:  # another program has the file open and busy
        return False
    return bool(busy == 0)


def purge_file(path: Path, customer_id: str, call_ids: Iterable[str]) -> bool:
    """:func:`purge_connection` on a client file that is not open here (the CLI, the app closed)."""
    db = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        db.executescript(CLIENT_SCHEMA)
        return purge_connection(db, customer_id, call_ids)
    finally:
        db.close()


class _RotatingConnect(connect):
    """websockets' reconnecting ``connect`` over several server URLs: the first URL first, then at every
    attempt one of the others, at random. When an instance dies its clients then spread over the remaining
    ones instead of all arriving at the next in the list."""

    def __init__(self, urls: Sequence[str], **kwargs: Any) -> None:  # Any: websockets' connect() options
        super().__init__(urls[0], **kwargs)
        self._urls = list(urls)
        self._last: str | None = None

    async def connect(self) -> ClientConnection:
        if len(self._urls) > 1:
            others = [u for u in self._urls if u != self._last]
            uri = self._urls[0] if self._last is None else random.choice(others)
            self._last = uri
            self.uri, self.ws_uri = uri, parse_uri(uri)
        return await super().connect()


class ConnectionState(StrEnum):
    """The link to the team server, as the client reports it and the apps show it."""

    CONNECTED = "connected"
    CONNECTING = "connecting"
    OFFLINE = "offline"  # unreachable (or stopped): writes wait in the outbox
    LOCAL_ONLY = "local_only"  # no team server configured: the app keeps everything on this PC (no client)


class SyncUnavailable(Exception):
    """The server cannot answer now (offline or no answer in time); the app keeps working locally."""


class SyncRequestError(Exception):
    """The server refused a request; ``code`` is a protocol ErrorCode value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


T = TypeVar("T")
R = TypeVar("R")
P = TypeVar("P", bound=Page)


def _ignore(_: object) -> None:
    pass


@dataclass(frozen=True, slots=True)
class RequestError:
    """The server refused something from the outbox (it is then dropped): ``request`` is its type."""

    code: str
    message: str
    ref: str
    request: str

    @property
    def about_whisper(self) -> bool:
        """The refused request was a whisper (``ref`` is then its whisper id)."""
        return self.request == WhisperSend.TYPE


def _new_id() -> str:
    return uuid.uuid4().hex


class _Typed(Struct):
    type: str = ""


async def _paced(bucket: TokenBucket) -> None:
    while not bucket.take():
        await asyncio.sleep(bucket.wait_time())


class SyncClient:
    """One user's connection to the team server. Thread-safe public methods; callbacks on the client thread.

    Every callback gets a typed record of sync.protocol: ``on_whisper(Whisper)`` a new whisper for this agent
    (each id once, ever); ``on_whisper_status(WhisperReceipt)`` for whispers this user sent (stored,
    delivered, read); ``on_change(Change)`` a change of shared team data, including this user's own pushes
    once the server has them; ``on_presence(tuple[Presence, ...])``; ``on_call_event(CallEvent |
    CallSnapshot)`` (a call started, ended, said something, was updated, whispered to, a hand went up or down;
    a followed call's snapshot, its parts joined); ``on_connection_state(state, reason)`` whenever the state
    or its reason changes (also readable as ``state``/``state_reason``); ``on_request_error(RequestError)``
    when the server refused something from the outbox (it is then dropped); ``on_erased(EraseReport)``;
    ``on_erasure(Erasure)`` when a customer was erased on the team server (this client's file has already
    lost every queued frame and received whisper about them; the app erases its own copy). If it raises, the
    erasure is kept in this client's file and handed to it again (at the next start, connection, and before
    any later change is shown) until it returns.
    """

    def __init__(
        self,
        url: str | Sequence[str],
        token: str,
        local_path: Path,
        *,
        ssl: ssl_module.SSLContext | None = None,
        open_timeout: float = 10.0,
        first_backoff: float = 0.2,
        max_backoff: float = 30.0,
        ping_interval: float | None = 20.0,
        send_rate: float = 150.0,
        send_burst: int = 500,
    ) -> None:
        # Several URLs: instances of one team server (docs/scaling.md); each connection attempt goes to the
        # next one, so when the instance a client was on goes away, it is on another one after one attempt.
        keep_frames_out_of_logs()
        self.urls = [url] if isinstance(url, str) else list(url)
        if not self.urls:
            raise ValueError("SyncClient needs at least one server URL")
        self.url = self.urls[0]
        self._token = token
        self._ssl = ssl
        self._open_timeout = open_timeout
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._ping_interval = ping_interval
        self._send_rate = send_rate
        self._send_burst = send_burst
        self.on_whisper: Callable[[Whisper], None] = _ignore
        self.on_whisper_status: Callable[[WhisperReceipt], None] = _ignore
        self.on_change: Callable[[Change], None] = _ignore
        self.on_presence: Callable[[tuple[Presence, ...]], None] = _ignore
        self.on_call_event: Callable[[AnyCallEvent | CallSnapshot], None] = _ignore
        self.on_request_error: Callable[[RequestError], None] = _ignore
        self.on_erased: Callable[[EraseReport], None] = _ignore
        self.on_erasure: Callable[[Erasure], None] = _ignore
        self.on_connection_state: Callable[[ConnectionState, str], None] = lambda state, reason: None
        self.state = ConnectionState.OFFLINE
        self.state_reason = ""
        # Who the server says we are (its welcome), once connected.
        self.user: Welcome | None = None

        local_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(local_path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # A kept erasure's ids (and a purged frame) leave no bytes behind once deleted.
        self._db.execute("PRAGMA secure_delete=ON")
        migrate(self._db, CLIENT_MIGRATIONS)
        self._db_lock = threading.Lock()

        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._queue: asyncio.Queue[tuple[str | None, str]] | None = None
        self._ws: ClientConnection | None = None
        # Requests waiting for their reply: the reply's text ("" for a call snapshot), read by the asker.
        self._pending: dict[str, asyncio.Future[str | bytes]] = {}
        self._subscriptions: set[str] = set()
        self._snapshot_parts: dict[str, list[CallSnapshot]] = {}
        self._sent: set[str] = set()  # outbox ids already sent on the current connection
        self._dropped: set[str] = set()  # outbox ids erased while still queued for sending: never sent
        self._caught_up = asyncio.Event()  # the server's resume replay is read (per connection)
        self._resumes: set[str] = set()  # ids of resume requests not yet acknowledged on this connection
        # Made here, not in the loop, so stop() right after start() still finds it (Events bind to a loop on
        # use).
        self._stop_event = asyncio.Event()

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="sync-client", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Close the connection and the local file; whatever is still in the outbox is sent by the next
        SyncClient on the same file. A stopped client cannot be started again."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already closed: the thread is ending
                self._loop.call_soon_threadsafe(self._stop_event.set)
            thread.join(timeout)
            if thread.is_alive():
                # Still closing its socket: it ends on its own; its callbacks must be ignored by their owner.
                log.warning("the team-server client did not stop within %.1f s", timeout)
        elif thread is None and not self._loop.is_closed():
            self._loop.close()  # never started: the loop thread that would close it never ran
        self._thread = None
        with self._db_lock:
            self._db.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
        finally:
            self._set_state(ConnectionState.OFFLINE, "stopped")
            self._loop.close()

    async def _main(self) -> None:
        self._hand_kept_erasures()
        self._queue = asyncio.Queue()
        runner = asyncio.create_task(self._connect_loop())
        stopping = asyncio.create_task(self._stop_event.wait())
        await asyncio.wait({runner, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if self._ws is not None:
            await self._ws.close()
        for task in (runner, stopping):
            task.cancel()
        await asyncio.gather(runner, stopping, return_exceptions=True)

    # -- local store ---------------------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._db_lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _state_value(self, key: str) -> int:
        with self._db_lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _feed_seen(self) -> int:
        """The feed position this client has read: a write carries it, so the server can tell a write made
        before this client knew of an erasure (refused) from one made after (accepted)."""
        return self._state_value("feed_seq")

    def _outbox_rows(self) -> list[tuple[str, str]]:
        with self._db_lock:
            return [(r[0], r[1]) for r in self._db.execute("SELECT id, frame FROM outbox ORDER BY seq")]

    def pending_count(self) -> int:
        """How many writes wait for the server (shown as "n changes not yet shared")."""
        with self._db_lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def inbox(self) -> list[tuple[Whisper, bool]]:
        """Every whisper this agent received, oldest first, with whether it was read here."""
        with self._db_lock:
            rows = self._db.execute("SELECT body, read FROM whispers ORDER BY seq").fetchall()
        return [(from_json(body, ClientWhisper), bool(read)) for body, read in rows]

    def _enqueue_durable(self, request: Request) -> str:
        text = encode_request(request)
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO outbox (id, frame) VALUES (?, ?)", (request.id, text))
        self._post(request.id, text)
        return request.id

    def _post(self, outbox_id: str | None, text: str) -> None:
        def put() -> None:
            if self._queue is not None:
                self._queue.put_nowait((outbox_id, text))

        if self._thread is not None and not self._loop.is_closed():
            # The loop may close between the check and the call: the outbox still has the message.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(put)

    # -- public writes (any thread) ------------------------------------------------------------------------

    def call_started(
        self, call_id: str, customer: SharedCustomer | None = None, started_at: float | None = None
    ) -> str:
        return self._enqueue_durable(
            CallStart(
                id=_new_id(),
                call_id=call_id,
                customer=customer,
                started_at=started_at,
                seen=self._feed_seen(),
            )
        )

    def call_ended(self, call_id: str) -> str:
        return self._enqueue_durable(CallEnd(id=_new_id(), call_id=call_id))

    def publish_transcript(self, event: TranscriptEvent) -> None:
        """Send one transcript event of a live call; dropped while offline."""
        if self.state is ConnectionState.CONNECTED:
            request = Transcript(id=_new_id(), call_id=event.call_id, event=TranscriptLine.of(event))
            self._post(None, encode_request(request))

    def publish_call_info(self, call_id: str, info: CallInfo) -> None:
        """What the agent sees besides the transcript (cues, cards, customer context), for followers."""
        if self.state is ConnectionState.CONNECTED:
            request = CallUpdate(id=_new_id(), call_id=call_id, info=info)
            self._post(None, encode_request(request))

    def erase_customer(self, customer_id: str, call_ids: Iterable[str] = ()) -> str:
        """Drop every queued frame and received whisper about this customer from the local file, then ask the
        team server to erase its copy (kept in the outbox until the server answers, so an offline erasure is
        sent on the next connection). The ack or refusal comes to ``on_request_error`` / the request id."""
        calls = sorted(set(call_ids))
        with self._db_lock:
            purge_connection(self._db, customer_id, calls)
        return self._enqueue_durable(EraseCustomer(id=_new_id(), customer_id=customer_id, call_ids=calls))

    def raise_hand(self, call_id: str, reason: str = "", raised: bool = True) -> str:
        """Ask the team's supervisors for help on this live call (``raised=False`` lowers the hand). Kept in
        the outbox like a call start, so a hand raised during a short outage still reaches the team."""
        return self._enqueue_durable(
            RaiseHand(id=_new_id(), call_id=call_id, reason=reason.strip() or None, raised=raised)
        )

    def send_whisper(
        self,
        agent: str,
        call_id: str | None,
        text: str,
        anchor_segment_id: str | None = None,
        attachment: Attachment | None = None,
    ) -> str:
        """A supervisor's whisper; returns its id (status updates come through on_whisper_status)."""
        whisper_id = _new_id()
        request = WhisperSend(
            id=whisper_id, whisper_id=whisper_id, agent=agent, text=text, call_id=call_id,
            anchor_segment_id=anchor_segment_id, attachment=attachment, seen=self._feed_seen(),
        )  # fmt: skip
        return self._enqueue_durable(request)

    def mark_whisper_read(self, whisper_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE whispers SET read = 1 WHERE whisper_id = ?", (whisper_id,))
        self._enqueue_durable(WhisperRead(id=f"read:{whisper_id}", whisper_id=whisper_id))

    def push_change(self, kind: RecordKind | str, record: JsonObject, record_id: str | None = None) -> str:
        """Share a customer, note, follow-up, knowledge entry or call summary. ``record_id`` defaults to
        ``record["id"]``. Returns the change id."""
        rid = record_id if record_id is not None else str(record.get("id", ""))
        if not rid:
            raise ValueError("push_change needs a record_id or a record with an 'id'")
        change_id = _new_id()
        return self._enqueue_durable(
            ChangePush(
                id=change_id,
                change_id=change_id,
                kind=RecordKind(kind),
                record_id=rid,
                record=record,
                seen=self._feed_seen(),
            )
        )

    def subscribe_call(self, call_id: str) -> None:
        """Follow a live call: a "snapshot" call event first (transcript so far, whispers), then live
        events."""
        self._subscriptions.add(call_id)
        if self.state is ConnectionState.CONNECTED:
            self._post(None, encode_request(Subscribe(id=_new_id(), call_id=call_id)))

    def unsubscribe_call(self, call_id: str) -> None:
        self._subscriptions.discard(call_id)
        if self.state is ConnectionState.CONNECTED:
            self._post(None, encode_request(Unsubscribe(id=_new_id(), call_id=call_id)))

    # -- public requests (blocking; any thread but the client's) -------------------------------------------

    def reply(self, request: Request, kind: type[R], timeout: float = 5.0) -> R:
        """Send one request and read its reply as ``kind`` (the sync.protocol Ack its request gets); blocking,
        from any thread but the client's."""
        return from_json(self._reply_text(request, timeout), kind)

    def _reply_text(self, request: Request, timeout: float) -> str | bytes:
        if threading.current_thread() is self._thread:
            raise RuntimeError("blocking SyncClient requests cannot be made from a SyncClient callback")
        if self.state is not ConnectionState.CONNECTED:
            raise SyncUnavailable("not connected to the team server")
        future = asyncio.run_coroutine_threadsafe(self._ask(request, timeout), self._loop)
        try:
            return future.result(timeout + 1)
        except TimeoutError:
            raise SyncUnavailable("the team server did not answer in time") from None

    def _pages(
        self,
        kind: type[P],
        entries: Callable[[P], tuple[T, ...]],
        ask: Callable[[list[T]], Request],
        timeout: float,
    ) -> list[T]:
        """Every page of a list reply (a reply stays under the server's frame bound and says ``more``), each
        read as ``kind``; ``ask(items so far)`` makes the request for the next page."""
        items: list[T] = []
        while True:
            page = self.reply(ask(items), kind, timeout)
            got = entries(page)
            items += got
            if not page.more or not got:
                return items

    def list_live_calls(self, timeout: float = 5.0) -> list[Call]:
        return self._pages(
            CallsPage[SharedCustomer, CallInfo],
            lambda page: page.calls,
            lambda got: ListCalls(id=_new_id(), offset=len(got)),
            timeout,
        )

    def list_presence(self, timeout: float = 5.0) -> list[Presence]:
        return self._pages(
            PresencePage[SharedCustomer],
            lambda page: page.users,
            lambda got: ListPresence(id=_new_id(), offset=len(got)),
            timeout,
        )

    def list_whispers(self, call_id: str | None = None, timeout: float = 5.0) -> list[Whisper]:
        return self._pages(
            WhispersPage[Attachment],
            lambda page: page.whispers,
            lambda got: ListWhispers(id=_new_id(), call_id=call_id, offset=len(got)),
            timeout,
        )

    def history(self, kind: RecordKind | str, record_id: str, timeout: float = 5.0) -> list[Change]:
        value = RecordKind(kind)

        def ask(got: list[Change]) -> Request:
            return History(id=_new_id(), kind=value, record_id=record_id, after=got[-1].seq if got else 0)

        return self._pages(ChangesPage, lambda page: page.changes, ask, timeout)

    def feed_since(self, after: int = 0, timeout: float = 5.0) -> list[Change]:
        """Every change of the team's shared data after ``after``, oldest first."""

        def ask(got: list[Change]) -> Request:
            return FeedSince(id=_new_id(), after=got[-1].seq if got else after, limit=500)

        return self._pages(ChangesPage, lambda page: page.changes, ask, timeout)

    def follow(self, call_id: str, timeout: float = 5.0) -> None:
        """Subscribe to a live call as a request, so a refusal is raised here (SyncRequestError); the snapshot
        itself comes through ``on_call_event``. Unlike :meth:`subscribe_call`, not renewed on reconnecting."""
        self._reply_text(Subscribe(id=_new_id(), call_id=call_id), timeout)

    def audit_log(self, after: int = 0, limit: int = 200, timeout: float = 5.0) -> list[AuditEntry]:
        """Up to ``limit`` audit entries after ``after`` (in several replies when they are large)."""

        def ask(got: list[AuditEntry]) -> Request:
            start = got[-1].seq if got else after
            return AuditQuery(id=_new_id(), after=start, limit=max(1, limit - len(got)))

        entries = self._pages(AuditPage, lambda page: page.entries, ask, timeout)
        return entries[:limit]

    async def _ask(self, request: Request, timeout: float) -> str | bytes:
        future: asyncio.Future[str | bytes] = self._loop.create_future()
        self._pending[request.id] = future
        try:
            ws = self._ws
            if ws is None:
                raise SyncUnavailable("not connected to the team server")
            await ws.send(encode_request(request))
            return await asyncio.wait_for(future, timeout)
        except (ConnectionClosed, TimeoutError):
            raise SyncUnavailable("the team server did not answer") from None
        finally:
            self._pending.pop(request.id, None)

    # -- connection loop -----------------------------------------------------------------------------------

    def _set_state(self, state: ConnectionState, reason: str) -> None:
        # Repeated failures with the same reason are reported once; a new reason is news for the user.
        if state is self.state and reason == self.state_reason:
            return
        self.state = state
        self.state_reason = reason
        try:
            self.on_connection_state(state, reason)
        except Exception:
            log.exception("on_connection_state callback failed")

    def _delays(self) -> Generator[float]:
        delay = self._first_backoff
        while True:
            # Full jitter keeps a room of clients from reconnecting in lockstep after a server restart.
            yield random.uniform(delay / 2, delay)
            delay = min(self._max_backoff, delay * 2)

    def _classify(self, exc: Exception) -> Exception | None:
        if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
            return exc
        self._set_state(ConnectionState.CONNECTING, f"{type(exc).__name__}: {exc}")
        return None

    async def _connect_loop(self) -> None:
        self._set_state(ConnectionState.CONNECTING, "starting")
        connector = _RotatingConnect(
            self.urls,
            additional_headers={"Authorization": f"Bearer {self._token}"},
            compression=None,
            open_timeout=self._open_timeout,
            ping_interval=self._ping_interval,
            reconnect_delays=self._delays,
            process_exception=self._classify,
            ssl=self._ssl,
            max_size=4 * 2**20,
            proxy=None,
        )
        try:
            async for ws in connector:
                try:
                    await self._session(ws)
                except ConnectionClosed as exc:
                    self._set_state(
                        ConnectionState.CONNECTING,
                        f"connection lost ({exc.rcvd.reason if exc.rcvd else 'no close frame'})",
                    )
                finally:
                    self._ws = None
                    for future in self._pending.values():
                        if not future.done():
                            future.set_exception(SyncUnavailable("connection lost"))
        except InvalidStatus as exc:
            self._set_state(
                ConnectionState.OFFLINE, f"the server refused the token (HTTP {exc.response.status_code})"
            )

    async def _session(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._snapshot_parts.clear()
        sent = self._sent = set()
        # Under the server's per-connection rate limit (docs/protocol.md), e.g. when a long offline period
        # left hundreds of messages in the outbox.
        pacer = TokenBucket(self._send_rate, self._send_burst)
        self._caught_up = asyncio.Event()
        self._resumes.clear()
        self._hand_kept_erasures()
        await ws.send(encode_request(self._resume_request()))
        for call_id in sorted(self._subscriptions):
            await ws.send(encode_request(Subscribe(id=_new_id(), call_id=call_id)))
        sender = asyncio.create_task(self._send_queued(ws, sent, pacer))
        try:
            async for raw in ws:
                try:
                    frame = decode_server_frame(raw)
                except ProtocolError as exc:
                    log.warning("ignoring a frame from the server: %s", exc)
                    continue
                if isinstance(frame, Welcome):
                    self.user = frame
                    self._set_state(ConnectionState.CONNECTED, f"signed in as {frame.user}")
                    continue
                await self._dispatch(frame, raw)
        finally:
            sender.cancel()
            # Awaited: a client stopped meanwhile must not close its loop with the sender still cancelling
            # (asyncio then destroys the pending task and warns).
            await asyncio.gather(sender, return_exceptions=True)

    def _resume_request(self) -> Resume:
        request = Resume(
            id=_new_id(),
            whisper_after=self._state_value("whisper_seq"),
            feed_after=self._state_value("feed_seq"),
        )
        self._resumes.add(request.id)
        return request

    async def _send_queued(self, ws: ClientConnection, sent: set[str], pacer: TokenBucket) -> None:
        assert self._queue is not None
        # The outbox waits until the server's replay is read: an erasure in the feed (a customer erased while
        # this PC was offline) must drop the frames about them before they are sent (docs/protocol.md).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._caught_up.wait(), CATCH_UP_WAIT)
        for stored_id, stored_text in self._outbox_rows():
            sent.add(stored_id)
            await _paced(pacer)
            await ws.send(self._for_server(stored_text))
        while True:
            outbox_id, text = await self._queue.get()
            if outbox_id is not None:
                if outbox_id in sent or outbox_id in self._dropped:
                    continue
                sent.add(outbox_id)
            await _paced(pacer)
            await ws.send(self._for_server(text))

    def _for_server(self, text: str) -> str:
        """An outbox frame as this server reads it. A server older than this client refuses the optional
        fields it does not know (``bad_field``), and a refused frame is dropped from the outbox: so ``seen``
        goes only to a server whose welcome lists it, which lets agents' apps be upgraded before the team
        server without losing what they share meanwhile (docs/protocol.md, "Frames")."""
        welcome = self.user
        if welcome is None or FEATURE_SEEN in welcome.features or '"seen"' not in text:
            return text
        frame = json.loads(text)
        if not isinstance(frame, dict) or "seen" not in frame:
            return text
        del frame["seen"]
        return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))

    def _call(self, callback: Callable[[T], None], value: T) -> None:
        try:
            callback(value)
        except Exception:
            log.exception("sync callback failed")

    async def _dispatch(self, frame: AnyFrame | AnyCallEvent, raw: str | bytes) -> None:
        match frame:
            case CallSnapshot():
                # A long call's snapshot comes in parts (each within the server's frame bound): shown whole.
                ref = frame.ref or ""
                parts = self._snapshot_parts.setdefault(ref, [])
                parts.append(frame)
                if frame.more:
                    return
                del self._snapshot_parts[ref]
                whole = replace(
                    parts[0],
                    transcript=tuple(line for part in parts for line in part.transcript),
                    whispers=tuple(w for part in parts for w in part.whispers),
                    part=0,
                    more=False,
                )
                self._settle(ref, "", error=None)
                self._call(self.on_call_event, whole)
            case Ack():
                self._settle(frame.ref, raw, error=None)
                self._acknowledged(frame, raw)
            case ErrorFrame():
                self._settle(frame.ref or "", "", error=frame)
            case WhisperPush():
                await self._receive_whisper(frame.whisper)
            case WhisperReceipt():
                self._call(self.on_whisper_status, frame)
            case ChangePushed():
                self._receive_change(frame.change)
            case PresenceUpdate():
                self._call(self.on_presence, frame.users)
            case Welcome():  # pragma: no cover - handled by the session
                pass
            case _:
                self._call(self.on_call_event, frame)

    def _acknowledged(self, ack: Ack, raw: str | bytes) -> None:
        """What an ack of an outbox request tells this client beyond removing it from the outbox."""
        if ack.request == EraseCustomer.TYPE:
            self._call(self.on_erased, from_json(raw, EraseReport))
        elif ack.request == Resume.TYPE:
            self._resumes.discard(ack.ref)
            if from_json(raw, ResumeAck).more:
                # Sent at once, not through the queue: the outbox waits for the end of the replay.
                ws = self._ws
                if ws is not None:
                    task = self._loop.create_task(ws.send(encode_request(self._resume_request())))
                    task.add_done_callback(_ignore_task)
            else:
                self._caught_up.set()
        elif ack.request == WhisperSend.TYPE:
            whisper = from_json(raw, WhisperAck[Attachment]).whisper
            receipt = WhisperReceipt(whisper_id=whisper.whisper_id, status=whisper.status, whisper=whisper)
            self._call(self.on_whisper_status, receipt)

    def _settle(self, ref: str, raw: str | bytes, error: ErrorFrame | None) -> None:
        future = self._pending.get(ref)
        if future is not None and not future.done():
            if error is None:
                future.set_result(raw)
            else:
                future.set_exception(SyncRequestError(error.code, error.message))
        if error is not None and error.code in _RETRYABLE:
            self._loop.call_later(1.0, self._retry, ref)
            return
        with self._tx() as db:
            row = db.execute("SELECT frame FROM outbox WHERE id = ?", (ref,)).fetchone()
            db.execute("DELETE FROM outbox WHERE id = ?", (ref,))
        if error is not None and row is not None:
            request_type = from_json(row[0], _Typed).type
            log.warning("the server refused %s %s: %s", request_type, ref, error.message)
            self._call(self.on_request_error, RequestError(error.code, error.message, ref, str(request_type)))

    def _retry(self, ref: str) -> None:
        if ref in self._resumes:
            # A resume is sent straight to the socket, not kept in the outbox: refused as retryable (the
            # server's database was away), it is asked again, or this connection would never catch up.
            self._resumes.discard(ref)
            ws = self._ws
            if ws is not None:
                task = self._loop.create_task(ws.send(encode_request(self._resume_request())))
                task.add_done_callback(_ignore_task)
            return
        with self._db_lock:
            row = self._db.execute("SELECT frame FROM outbox WHERE id = ?", (ref,)).fetchone()
        if row is not None and self._queue is not None:
            self._sent.discard(ref)
            self._queue.put_nowait((ref, row[0]))

    async def _receive_whisper(self, whisper: Whisper) -> None:
        whisper_id, seq = whisper.whisper_id, whisper.seq
        previous = self._state_value("whisper_seq")
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO whispers (whisper_id, seq, body) VALUES (?, ?, ?)",
                (whisper_id, seq, to_json(whisper)),
            )
            is_new = cur.rowcount > 0
            db.execute(
                "INSERT INTO state (key, value) VALUES ('whisper_seq', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)",
                (seq,),
            )
        if is_new:
            self._call(self.on_whisper, whisper)
        if seq > previous + 1:
            # Sequence numbers per agent have no gaps: a jump means a push was missed (e.g. it went through
            # another server instance), and a resume from our last position fetches it.
            self._post(
                None,
                encode_request(
                    Resume(id=_new_id(), whisper_after=previous, feed_after=self._state_value("feed_seq"))
                ),
            )
        if whisper.status is WhisperStatus.SENT or is_new:
            self._enqueue_durable(WhisperDelivered(id=f"delivered:{whisper_id}", whisper_id=whisper_id))

    def _hand_erasure(self, erasure: Erasure) -> bool:
        """Whether the app took an erasure (``on_erasure`` returned)."""
        try:
            self.on_erasure(erasure)
        except Exception:
            log.exception(
                "the app could not take the erasure of a customer; it is kept and handed over again"
            )
            return False
        return True

    def _hand_kept_erasures(self) -> None:
        """Hand every kept erasure to the app again, oldest first; each one it takes is forgotten."""
        with self._db_lock:
            kept = self._db.execute(
                "SELECT feed_seq, customer_id, call_ids FROM kept_erasures ORDER BY feed_seq"
            ).fetchall()
        for seq, customer_id, call_ids in kept:
            erasure = Erasure(customer_id=customer_id, call_ids=tuple(json.loads(call_ids)))
            if not self._hand_erasure(erasure):
                return
            with self._tx() as db:
                db.execute("DELETE FROM kept_erasures WHERE feed_seq = ?", (seq,))

    def _receive_change(self, change: Change) -> None:
        if change.seq <= self._state_value("feed_seq"):
            return
        # One the app could not take before goes first: no later change about her is shown before it.
        self._hand_kept_erasures()
        if change.kind is RecordKind.ERASURE:
            # A supervisor erased this customer for the team: nothing about them stays here.
            erasure = convert(change.record, Erasure)
            with self._db_lock:
                queued = {row[0] for row in self._db.execute("SELECT id FROM outbox")}
                purge_connection(self._db, erasure.customer_id, erasure.call_ids)
                self._dropped |= queued - {row[0] for row in self._db.execute("SELECT id FROM outbox")}
            if not self._hand_erasure(erasure):
                # Kept before the position advances (other changes are not held up behind it).
                with self._tx() as db:
                    db.execute(
                        "INSERT OR REPLACE INTO kept_erasures (feed_seq, customer_id, call_ids)"
                        " VALUES (?, ?, ?)",
                        (change.seq, erasure.customer_id, json.dumps(list(erasure.call_ids))),
                    )
        # Shown before the position advances: a crash in between shows it again rather than never.
        self._call(self.on_change, change)
        with self._tx() as db:
            db.execute(
                "INSERT INTO state (key, value) VALUES ('feed_seq', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)",
                (change.seq,),
            )
