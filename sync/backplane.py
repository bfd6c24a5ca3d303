"""Several team-server instances as one: live fan-out through Redis pub/sub (docs/scaling.md).

Each instance still delivers to the sockets it holds exactly as one instance does (:class:`sync.server.
LocalFanout`: per-connection queues, the slow-consumer rule). :class:`SharedFanout` adds that every delivery
is also published once on one Redis channel, and every other instance delivers it to *its* sockets: whispers
and their read receipts by user, presence and call events by team, transcript lines and call info to a call's
followers.

Pub/sub is fire-and-forget, and that is enough because nothing durable depends on it:

* Whispers carry their per-agent ``seq``; an agent that sees a jump resumes (docs/protocol.md), and each
  instance remembers the last ``seq`` it pushed to each of its agents, so after the backplane comes back it
  pushes from the durable log whatever it missed meanwhile.
* Shared-data changes are not relayed as payload at all. A change only *pokes* the team: each instance reads
  the team's feed after the last ``seq`` each of its connections has and pushes what is new. A team's changes
  commit in ``seq`` order (sync/store.py), so reading the log never skips one; a relayed payload could arrive
  after a later one and be dropped by the client, which keeps only its highest ``seq``.
* Pushes that wait for a connection's ``resume`` take the same per-agent / per-team locks as the origin
  instance does, so a relayed whisper never slips between a replay and the moment live pushes begin.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from sync.protocol import (
    Change,
    ChangePushed,
    JsonObject,
    ServerMessage,
    ServerType,
    ServerWhisper,
    WhisperPush,
    carried_seq,
    encode_frame,
)
from sync.server import KeyedLocks, LocalFanout, Peer

log = logging.getLogger(__name__)

CHANNEL = "agent-assist:fanout"
# Frames waiting to be published when Redis is slow or away; beyond this the oldest are dropped (counted):
# what matters is durable and caught up when the backplane is back.
PUBLISH_QUEUE = 20000

# An agent's whispers (or a team's changes) after a seq, read from the durable log.
ReadWhispers = Callable[[str, int], Awaitable[list[ServerWhisper]]]
ReadChanges = Callable[[str, int], Awaitable[list[Change]]]


class RedisBackplane:
    """One subscription and one publishing task per instance; reconnects by itself with backoff."""

    def __init__(
        self,
        url: str,
        instance: str,
        on_message: Callable[[JsonObject], Awaitable[None]],
        on_reconnect: Callable[[], Awaitable[None]],
        *,
        channel: str = CHANNEL,
    ) -> None:
        self.url = url
        self.instance = instance
        self.channel = channel
        self._on_message = on_message
        self._on_reconnect = on_reconnect
        self._client: aioredis.Redis | None = None
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self.state = "connecting"
        self.last_error = ""
        self.down_since: float | None = None
        self.stats: dict[str, int] = {
            "published": 0, "received": 0, "dropped": 0, "publish_failed": 0, "reconnects": 0,
        }  # fmt: skip

    def health(self) -> JsonObject:
        return {
            "kind": "redis",
            "state": self.state,
            "channel": self.channel,
            "last_error": self.last_error,
            "down_for": None if self.down_since is None else round(time.monotonic() - self.down_since, 1),
            **self.stats,
        }

    async def start(self, wait: float = 5.0) -> None:
        """Connect and subscribe; if Redis is not there yet, go on without it (state "down") and keep
        trying."""
        self._client = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=2, socket_keepalive=True, health_check_interval=10
        )
        self._tasks = [
            asyncio.create_task(self._listen(), name="backplane-listen"),
            asyncio.create_task(self._publish(), name="backplane-publish"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), wait)
        if self.state != "connected":
            log.warning(
                "Redis backplane at %s is not reachable yet (%s); retrying", self.url, self.last_error
            )

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def publish(self, message: JsonObject) -> None:
        """Queue ``message`` for every other instance (never waits)."""
        if self._queue.qsize() >= PUBLISH_QUEUE:
            self._queue.get_nowait()
            self.stats["dropped"] += 1
        self._queue.put_nowait(json.dumps({"o": self.instance, **message}, ensure_ascii=False).encode())

    def _went_down(self, exc: BaseException) -> None:
        if self.state != "down":
            log.warning("Redis backplane lost: %s", exc)
            self.down_since = time.monotonic()
        self.state = "down"
        self.last_error = f"{type(exc).__name__}: {exc}"
        self._subscribed.clear()

    async def _listen(self) -> None:
        assert self._client is not None
        delay = 0.1
        first = True
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                # The subscription is confirmed before we count as connected: nothing published after this
                # point is missed.
                while (await pubsub.get_message(timeout=1.0)) is None and not pubsub.subscribed:
                    pass
                was_down = self.state == "down" or not first
                self.state, self.down_since, delay = "connected", None, 0.1
                self._subscribed.set()
                if was_down:
                    self.stats["reconnects"] += 1
                    log.info("Redis backplane back; catching local connections up from the durable log")
                    await self._on_reconnect()
                first = False
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    await self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._went_down(exc)
                first = False
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 2)

    async def _dispatch(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("ignoring a malformed backplane message")
            return
        if not isinstance(message, dict) or message.get("o") == self.instance:
            return
        self.stats["received"] += 1
        try:
            await self._on_message(message)
        except Exception:
            log.exception("delivering a backplane message failed")

    async def _publish(self) -> None:
        assert self._client is not None
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < 256:
                batch.append(self._queue.get_nowait())
            # Twice: the first attempt after Redis restarted may meet a pooled connection to the old process.
            for attempt in range(2):
                try:
                    async with self._client.pipeline(transaction=False) as pipe:
                        for data in batch:
                            pipe.publish(self.channel, data)
                        await pipe.execute()
                    self.stats["published"] += len(batch)
                    break
                except asyncio.CancelledError:
                    raise
                except (RedisError, OSError) as exc:
                    if attempt == 0:
                        continue
                    # Lost: other instances catch up from the durable log when the backplane is back.
                    self.stats["publish_failed"] += len(batch)
                    self._went_down(exc)
                    await asyncio.sleep(0.2)


class SharedFanout(LocalFanout):
    """Delivery to this instance's sockets (what :class:`LocalFanout` does) and, through the backplane, to the
    other instances' sockets."""

    def __init__(
        self,
        on_slow: Callable[[Peer, str], None],
        agent_locks: KeyedLocks,
        team_locks: KeyedLocks,
        read_whispers: ReadWhispers,
        read_changes: ReadChanges,
    ) -> None:
        super().__init__(on_slow)
        self.backplane: RedisBackplane | None = None
        self._agent_locks = agent_locks
        self._team_locks = team_locks
        self._read_whispers = read_whispers
        self._read_changes = read_changes
        # The highest whisper / change seq each connection has been sent (or had when it resumed).
        self._whisper_seq: weakref.WeakKeyDictionary[Peer, int] = weakref.WeakKeyDictionary()
        self._change_seq: weakref.WeakKeyDictionary[Peer, int] = weakref.WeakKeyDictionary()
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, peer: Peer, frame: ServerMessage) -> None:
        self._note(peer, *_carried(frame))
        super().send(peer, frame)

    def resumed(self, peer: Peer, whisper_after: int, feed_after: int) -> None:
        self._whisper_seq[peer] = max(self._whisper_seq.get(peer, 0), whisper_after)
        self._change_seq[peer] = max(self._change_seq.get(peer, 0), feed_after)

    def to_user(self, name: str, frame: ServerMessage, *, resumed_only: bool = False) -> None:
        data = encode_frame(frame)
        self._deliver_user(name, data, _carried(frame), resumed_only)
        self._publish({"k": "user", "t": name, "r": resumed_only, "f": data.decode()})

    def to_team(
        self, team: str, frame: ServerMessage, *, supervisors_only: bool = False, resumed_only: bool = False
    ) -> None:
        if isinstance(frame, ChangePushed):
            # Read back from the log in seq order on every instance, this one included (module docstring).
            self._spawn(self.catch_up_team(team))
            self._publish({"k": "changes", "t": team})
            return
        data = encode_frame(frame)
        self.team_data(team, data, supervisors_only=supervisors_only, resumed_only=resumed_only)
        self._publish({"k": "team", "t": team, "s": supervisors_only, "r": resumed_only, "f": data.decode()})

    def to_followers(self, call_id: str, frame: ServerMessage) -> None:
        data = encode_frame(frame)
        self.followers_data(call_id, data)
        self._publish({"k": "call", "t": call_id, "f": data.decode()})

    # -- relaying --------------------------------------------------------------------------------------------

    def _publish(self, message: JsonObject) -> None:
        if self.backplane is not None:
            self.backplane.publish(message)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _note(self, peer: Peer, kind: str, seq: int) -> None:
        if kind == ServerType.WHISPER:
            if seq > self._whisper_seq.get(peer, 0):
                self._whisper_seq[peer] = seq
        elif kind == ServerType.CHANGE and seq > self._change_seq.get(peer, 0):
            self._change_seq[peer] = seq

    def _deliver_user(self, name: str, data: bytes, carried: tuple[str, int], resumed_only: bool) -> None:
        for peer in self.peers_of(name):
            if peer.resumed or not resumed_only:
                self._note(peer, *carried)
                self.send_data(peer, data)

    async def on_message(self, message: JsonObject) -> None:
        """A delivery published by another instance (its frame as encoded there, sent on unchanged)."""
        kind, target = message.get("k"), str(message.get("t", ""))
        if kind == "changes":
            self._spawn(self.catch_up_team(target))
            return
        data = str(message.get("f", "")).encode()
        if kind == "user":
            carried = carried_seq(data)
            if carried[0] == ServerType.WHISPER:
                # As the origin did: under the agent's lock, so a resume in progress here finishes first.
                async with self._agent_locks(target):
                    self._deliver_user(target, data, carried, bool(message.get("r")))
            else:
                self._deliver_user(target, data, carried, bool(message.get("r")))
        elif kind == "team":
            self.team_data(
                target, data, supervisors_only=bool(message.get("s")), resumed_only=bool(message.get("r"))
            )
        elif kind == "call":
            self.followers_data(target, data)

    async def catch_up_team(self, team: str) -> None:
        """Push to this instance's resumed connections of ``team`` every change they have not been sent."""
        async with self._team_locks(team):
            peers = [p for p in self.team_peers(team) if p.resumed]
            if not peers:
                return
            after = min(self._change_seq.get(p, 0) for p in peers)
            changes = await self._read_changes(team, after)
            for change in changes:
                data = encode_frame(ChangePushed(id=_frame_id(), change=change))
                for peer in peers:
                    if change.seq > self._change_seq.get(peer, 0) and not peer.dropped:
                        self._change_seq[peer] = change.seq
                        self.send_data(peer, data)

    async def catch_up_agent(self, name: str) -> None:
        async with self._agent_locks(name):
            peers = [p for p in self.peers_of(name) if p.resumed]
            if not peers:
                return
            after = min(self._whisper_seq.get(p, 0) for p in peers)
            for whisper in await self._read_whispers(name, after):
                frame = WhisperPush(id=_frame_id(), whisper=whisper)
                for peer in peers:
                    if whisper.seq > self._whisper_seq.get(peer, 0):
                        self.send(peer, frame)

    async def catch_up_all(self) -> None:
        """After the backplane was away: whatever other instances stored meanwhile, from the durable log."""
        agents = {p.user.name for p in self.peers() if not p.user.supervises}
        teams = {p.user.team for p in self.peers()}
        await asyncio.gather(
            *(self.catch_up_agent(a) for a in agents), *(self.catch_up_team(t) for t in teams)
        )

    async def stop(self) -> None:
        await cancel_and_wait(list(self._tasks))


async def cancel_and_wait(tasks: list[asyncio.Task[None]], patience: float = 1.0) -> None:
    """Cancels ``tasks`` and waits until every one has ended.

    A cancellation can be swallowed inside the Redis client (seen: a pipeline cancelled mid-``execute`` let
    the publisher loop on to its next ``queue.get``), so a task still running after ``patience`` seconds is
    cancelled again where it now waits, until it ends."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=patience)
        if pending:
            log.warning("cancelling again: %s", sorted(task.get_name() for task in pending))


def _frame_id() -> str:
    return uuid.uuid4().hex


def _carried(frame: ServerMessage) -> tuple[str, int]:
    """The type of ``frame`` and the seq of the whisper or change it carries (0 for any other frame)."""
    if isinstance(frame, WhisperPush):
        return ServerType.WHISPER, frame.whisper.seq
    if isinstance(frame, ChangePushed):
        return ServerType.CHANGE, frame.change.seq
    return "", 0
