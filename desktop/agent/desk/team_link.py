"""The desk's link to the team server: connecting, the connection state shown to the agent, whispers (shown,
kept with the call, a knowledge card pinned), team knowledge changes and erasures applied to this PC, the
raised hand, and what a following supervisor sees of the call, published at most every ``SHARE_INTERVAL_S``
with a trailing publish so the last change is never lost."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from assist.domain import WhisperRecord, system_clock, utc_iso
from assist.privacy import ErasureError, erase_customer, was_erased
from assist.redaction import redact
from desktop.agent.desk import team
from desktop.agent.desk.desk_base import DeskBase, logged
from desktop.agent.desk.listener import Problem
from desktop.agent.desk.live_call import LiveCall
from desktop.common.views import SuggestionView, WhisperView
from sync.client import ConnectionState, SyncClient
from sync.protocol import Change, Erasure, RecordKind, Whisper, WhisperReceipt, from_json, to_json

log = logging.getLogger(__name__)


SHARE_INTERVAL_S = 0.3  # what the agent sees reaches followers at most ~3 times a second
SHARED_CUES = 20  # the latest cues a follower is told about
ERASURE_WAIT_S = 30.0  # how long the sync client waits for the desk worker to erase before moving on


class TeamLink(DeskBase):
    """The team server's side of the desk (its callbacks come from the sync client's thread and hand work to
    the desk worker)."""

    def connect_server(self, url: str, token: str) -> None:
        if self.sync is not None:
            self.sync.stop(timeout=3.0)
            self.sync = None
        self.config.server_url, self.config.server_token = url, token
        if not url:
            self._set_connection(ConnectionState.LOCAL_ONLY)
            return
        client = SyncClient(url, token, self.sync_state_file)
        client.on_whisper = self._whisper_arrived
        client.on_whisper_status = self._whisper_status
        client.on_connection_state = self._connection_changed
        client.on_erasure = self._erasure_arrived
        client.on_change = self._change_arrived
        client.on_request_error = lambda e: self.listener.on_problem(
            Problem.SERVER_REFUSED, f"{e.code}: {e.message}"
        )
        self.sync = client
        self._set_connection(ConnectionState.CONNECTING)
        client.start()

    def _erasure_arrived(self, erasure: Erasure) -> None:
        """A supervisor erased a customer for the team (sync client thread): this PC's copy goes too, on the
        desk worker (the store's one thread), as ``review delete-customer`` would erase it. The client stores
        its feed position once this returns, so it waits for the erasure (and its marks) to be written: an
        app killed before then reads the erasure again at its next start. Also while the app is closing.

        Raises when this PC has not erased her (the desk worker has shut down as the app closes, the erasure
        failed, or the worker was busy for ``ERASURE_WAIT_S``): the sync client then keeps the erasure in its
        file and hands it over again at the next start and before each later change. Handed again while the
        job queued before still waits, it raises at once (no second job, no second wait); once that job has
        run, it returns.
        """
        if not erasure.customer_id:
            return
        key = (erasure.customer_id, tuple(erasure.call_ids))
        done = self._erasures_queued.get(key)
        wait = 0.0  # handed again while the one queued before still waits: later changes are not held up
        if done is None or (done.done() and done.exception() is not None):
            try:
                done = self._submit("erase for the team", lambda: self._erased_by_team(erasure))
            except RuntimeError as exc:  # the desk worker has shut down: the app is closing
                log.warning("an erasure arrived after the store closed; it is applied at the next start")
                raise RuntimeError("the store is closed: the erasure was not applied here") from exc
            self._erasures_queued[key] = done
            wait = ERASURE_WAIT_S
        try:
            done.result(timeout=wait)  # a failure was logged by the worker, and is raised here
        except TimeoutError as exc:
            # Kept by the sync client and handed again at the next start and before later changes, so an app
            # killed before its worker gets to it erases her at its next start.
            log.warning("the desk worker is busy: the erasure waits in its queue, and is kept until it ran")
            raise RuntimeError("the desk worker is busy: the erasure has not been applied here yet") from exc
        finally:
            if done.done():
                self._erasures_queued.pop(key, None)

    def _erased_by_team(self, erasure: Erasure) -> None:
        """Desk worker. Her record goes, and every call the erasure names, whoever the caller was here (an
        unknown number's past call too). A call with her still open here (running, or ended and not yet
        saved) goes on, but is marked, in the store too (a killed app finishes it at the next start): once it
        ends, what it wrote since is erased too and nothing of it is sent (CallEnd)."""
        call = self._call
        live: tuple[str, ...] = ()
        if (
            call is not None
            and not call.summary.saved
            and (call.customer_id == erasure.customer_id or call.call_id in erasure.call_ids)
        ):
            call.erased_for = erasure.customer_id
            live = (call.call_id,)
        self._erase_here(erasure.customer_id, erasure.call_ids, live)

    def _erased_here(self, call: LiveCall) -> bool:
        """Desk worker, before it writes about the call: whether its customer or the call was erased. The
        team's erasure says so itself (above); an erasure made on this PC (the Privacy view, or ``review
        delete-customer`` from another program) is found in the store, and from then on the call is taken
        the same way: it goes on, marked live in the store, nothing more is kept or sent, and it is erased
        whole once it ends (CallEnd)."""
        if call.erased_for is not None:
            return True
        if call.summary.saved:
            return False
        since = utc_iso(datetime.fromtimestamp(call.started, UTC))
        if not was_erased(self._open_store(), call.call_id, call.customer_id, since):
            return False
        call.erased_for = call.customer_id or ""
        log.info("call %s: its customer was erased on this PC during the call", call.call_id)
        self._erase_here(call.erased_for, (), (call.call_id,))
        return True

    def _change_arrived(self, change: Change) -> None:
        """A change of the team's shared data (sync client thread). A knowledge entry a supervisor added,
        edited or deleted is applied to this PC's knowledge base on the desk worker, so the next call
        matches it, no restart needed. During a call it waits for the call to end: re-reading a large
        knowledge base (its word statistics, its meaning index) would hold up the live cards for seconds."""
        if change.kind is RecordKind.KNOWLEDGE:
            self._submit_quietly("apply a team knowledge change", lambda: self._apply_knowledge(change))

    def _apply_knowledge(self, change: Change) -> None:
        call = self._call
        if call is not None and call.session is not None and not call.finished:
            # Kept in the store, not in memory: the sync client counts the change as received, so a crash
            # before the call ends must not lose it (the next start applies it).
            store = self._open_store()
            store.hold_team_changes([*store.held_team_changes(), to_json(change)])
            return
        self._apply_knowledge_now(change)

    def _apply_held_knowledge(self) -> None:
        """Apply the team knowledge changes held during a call (or left by one that was cut off). Applying one
        twice is harmless, so they are cleared only after all were applied."""
        store = self._open_store()
        held = store.held_team_changes()
        if not held:
            return
        for text in held:
            try:
                change = from_json(text, Change)
            except ValueError as exc:
                log.warning("a held team knowledge change could not be read and is dropped: %s", exc)
                continue
            self._apply_knowledge_now(change)
        store.hold_team_changes([])

    def _apply_knowledge_now(self, change: Change) -> None:
        store = self._open_store()
        known = store.get_knowledge(change.record_id)
        try:
            entry = team.knowledge_entry(change.record_id, change.record, known)
        except ValueError as exc:
            log.warning("team knowledge change %s is not a knowledge entry: %s", change.record_id, exc)
            return
        if entry is None:
            if not store.delete_knowledge(change.record_id):
                return
        elif known is not None and replace(entry, updated_at=known.updated_at) == known:
            return  # replayed after a reconnect: nothing to do (the matcher keeps its index)
        else:
            store.upsert_knowledge([entry])
        # The matcher re-reads the knowledge base at its next search; the vectors of new or edited entries
        # are embedded meanwhile off the worker.
        if self._embedding is None:
            self._embed_in_background()
        else:
            self._embedding.notify()

    def _erase_here(self, customer_id: str, call_ids: Sequence[str] = (), live: Sequence[str] = ()) -> None:
        try:
            report = erase_customer(
                self._open_store(), customer_id, self.recordings, call_ids=call_ids, live_calls=live
            )
        except ErasureError:
            return  # this PC never held them
        log.info(
            "erased %s for the team: %d calls, %d rows", customer_id, len(report.call_ids), report.total_rows
        )

    def _connection_changed(self, state: ConnectionState, reason: str) -> None:
        if state is ConnectionState.CONNECTED:
            client = self.sync
            self.role = client.user.role.value if client is not None and client.user is not None else ""
            call = self._call
            if call is not None and not call.finished:
                # What was shared while offline was dropped: followers get the current state again.
                self._submit_quietly("share again", lambda: self._share_again(call))
            self._set_connection(ConnectionState.CONNECTED, force=True)
        elif state is ConnectionState.CONNECTING and reason == "starting":
            self._set_connection(ConnectionState.CONNECTING)
        else:
            # Retrying after a failure is, for the agent, being offline: work is kept and sent later.
            if "token" in reason:
                self.listener.on_problem(Problem.SERVER_REFUSED, reason)
            self._set_connection(ConnectionState.OFFLINE)

    def _set_connection(self, state: ConnectionState, force: bool = False) -> None:
        if state is self.connection and state is not ConnectionState.CONNECTING and not force:
            return  # retries report the same state again and again: tell the screen once
        self.connection = state
        self.listener.on_connection(state)

    def _whisper_arrived(self, received: Whisper) -> None:
        whisper = team.whisper_view(received)
        if not whisper.whisper_id or whisper.whisper_id in self.whispers_seen:
            return
        self.whispers_seen.add(whisper.whisper_id)
        call = self._call
        if call is not None:
            call.summary = replace(call.summary, whispers=call.summary.whispers + 1)
        self.listener.on_whisper(whisper)
        sent_at = team.whisper_sent_at(received)
        self._submit_quietly("keep whisper", lambda: self._keep_whisper(call, whisper, sent_at))
        card = team.pushed_card(whisper, received.attachment)
        if (
            card is not None
            and call is not None
            and not call.finished
            and whisper.call_id in ("", call.call_id)
        ):
            self._submit_quietly("pin pushed card", lambda: self._pin_pushed(call, card))

    def _keep_whisper(self, call: LiveCall | None, whisper: WhisperView, sent_at: str) -> None:
        """The whisper becomes part of the call's record (desk worker): text (masked like the transcript),
        author, when it was sent and arrived, the line it points at. Review, exports and insights read it."""
        call_id = whisper.call_id or (call.call_id if call is not None else "")
        if not call_id:
            log.info("whisper %s is not about a call: shown, not kept with a call", whisper.whisper_id)
            return
        if call is not None and call_id == call.call_id and self._erased_here(call):
            return  # this call's customer was erased: nothing more is kept of it (CallEnd)
        self._open_store().upsert_whisper(
            WhisperRecord(
                id=whisper.whisper_id,
                call_id=call_id,
                author=whisper.sender,
                text=redact(whisper.text).text,
                sent_at=sent_at,
                segment_id=whisper.anchor_segment or None,
                delivered_at=utc_iso(system_clock()),
            )
        )

    def _whisper_status(self, receipt: WhisperReceipt) -> None:
        self.listener.on_whisper_receipt(team.receipt_view(receipt))

    def raise_hand(self, reason: str = "", raised: bool = True) -> bool:
        """Ask the team's supervisors for help on the call in progress (or lower the hand); False when there
        is no call or no team server to ask. The reason is masked by the caller (one line)."""
        call = self._call
        client = self.sync
        if call is None or call.finished or client is None:
            return False
        # On the worker, behind the call's start: the server must know the call before its hand.
        self._submit_quietly("raise hand", lambda: client.raise_hand(call.call_id, reason, raised))
        return True

    def mark_whisper_read(self, whisper_id: str) -> None:
        if self.sync is not None:
            self.sync.mark_whisper_read(whisper_id)
        read_at = utc_iso(system_clock())
        self._submit_quietly(
            "mark whisper read", lambda: self._open_store().mark_whisper_read(whisper_id, read_at)
        )

    # -- what a following supervisor sees -------------------------------------------------------------------
    def _pin_pushed(self, call: LiveCall, card: SuggestionView) -> None:
        """A card the supervisor sent stays on top of the matcher's cards until the call ends."""
        call.pushed_cards = [card, *(c for c in call.pushed_cards if c.key != card.key)]
        call.cards_seen.add(card.key)
        self.listener.on_suggestions(self._cards_now(call))
        self._share(call)

    def _cards_now(self, call: LiveCall) -> list[SuggestionView]:
        pushed = {c.key for c in call.pushed_cards}
        return [*call.pushed_cards, *(c for c in call.matched_cards if c.key not in pushed)]

    def _share(self, call: LiveCall) -> None:
        """Publish what the agent sees (customer, cards, cues) if it changed; at most every SHARE_INTERVAL_S,
        with a trailing publish so the last change is never lost. Desk worker only."""
        client = self.sync
        if client is None or client.state is not ConnectionState.CONNECTED or call.erased_for is not None:
            return  # dropped while offline (sent again on reconnecting); never once the team erased her
        info = team.call_info(
            call.shared_customer,
            self._cards_now(call),
            call.shared_cues,
            call.session is not None and call.session.needs_moment,
        )
        if info == call.last_shared:
            return
        wait = call.last_shared_at + SHARE_INTERVAL_S - self._monotonic()
        if wait > 0:
            if not call.share_pending:
                call.share_pending = True
                with contextlib.suppress(RuntimeError):  # the worker shut down: the app is closing
                    self._worker.call_later(wait, logged("trailing share", lambda: self._share_pending(call)))
            return
        client.publish_call_info(call.call_id, info)
        call.last_shared, call.last_shared_at = info, self._monotonic()

    def _share_pending(self, call: LiveCall) -> None:
        call.share_pending = False
        if not call.finished:
            self._share(call)

    def _share_again(self, call: LiveCall) -> None:
        call.last_shared = None
        self._share(call)
