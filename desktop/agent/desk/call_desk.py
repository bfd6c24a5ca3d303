"""Run the agent's calls: audio -> transcription -> call session -> screen and team server, off the UI thread.

The desktop window and the terminal demo both drive calls through :class:`CallDesk`, which is Qt-free: it
reports everything to a :class:`CallListener` (the Qt bridge re-emits it as queued signals; the headless demo
prints it). Threads:

- one *desk worker* (:class:`~desktop.common.worker.SerialWorker`) owns the local store and the call
  session: SQLite work, caller lookup, matching, wrap-up and saving all run there, in order, so the store
  has one writer and the UI never waits on disk; work due later (the trailing publish to followers) runs
  there too;
- the transcription engine's own threads call back with transcript and audio status events; transcript events
  are queued onto the desk worker (redaction happens there, before anything is shown, stored or sent);
- ending a call waits for the transcription to drain on a second serial worker, ``call-end`` (never on the
  desk worker, whose queue the last lines are still reaching); calls end one after another, in order;
- the team-server client runs its own asyncio thread; its callbacks go straight to the listener.

What the agent sees (the customer's context, the cards, the cues) is published for supervisors following the
call (``SyncClient.publish_call_info``) at call start and when it changes, at most every ``SHARE_INTERVAL_S``,
and again after a reconnect. A supervisor's whisper carrying a knowledge entry becomes a card of its own,
marked as theirs, above the matcher's cards until the call ends.

:class:`CallDesk` is built from one module per concern, each part on the one before it:
:mod:`~desktop.agent.desk.desk_base` (the state, the two workers, the store),
:mod:`~desktop.agent.desk.team_link` (the team server, whispers, team knowledge, what followers see),
:mod:`~desktop.agent.desk.call_end` (ending a call, the wrap-up, saving), :mod:`~desktop.agent.desk.call_flow`
(a call while it runs) and this module (starting and shutting the desk down). What it reports is declared in
:mod:`~desktop.agent.desk.listener`; the call in progress is a
:class:`~desktop.agent.desk.live_call.LiveCall`.

No server configured -> local only. Server unreachable -> the client's outbox keeps what must reach the team.
No audio device -> a clear problem with the way out (settings, or replaying a recording).
"""

from __future__ import annotations

import logging

from assist.review_schema import ensure_review_schema
from audio.recording import repair_recordings
from desktop.agent.desk.call_flow import CallFlow
from desktop.agent.desk.config import DeskConfig
from desktop.agent.desk.desk_base import logged
from desktop.agent.desk.listener import CallListener, Problem, SaveOutcome

log = logging.getLogger(__name__)

__all__ = ["CallDesk", "CallListener", "DeskConfig", "Problem", "SaveOutcome"]


class CallDesk(CallFlow):
    """One agent's desk: the local store, the model, the team-server link and the call in progress.

    Public methods are called from the UI thread and return at once; the work happens on the desk worker.
    ``monotonic`` is the clock of the throttle and the dead-air check (injected by tests).
    """

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self, preload_model: bool = True) -> None:
        """Open the store (on the worker), begin loading the model (background) and connect to the server."""
        self._submit("open the store", self._open_store)
        self._submit("recover after restart", self._recover_after_restart)
        self._submit("embed knowledge in the background", self._embed_in_background)
        if preload_model:
            self._preload_model()
        self.connect_server(self.config.server_url, self.config.server_token)

    def shutdown(self) -> None:
        self._closing.set()
        for after in list(self._after_passes):
            after.cancel()
            after.join(timeout=10.0)
        call = self._call
        if call is not None and call.transcription is not None:
            call.transcription.stop()
            call.transcription.wait(timeout=10.0)
        self._ending.shutdown(timeout=15.0)  # a drain in progress sees the audio stopped and the app closing
        if self.sync is not None:
            try:
                self.sync.stop(timeout=3.0)
            except Exception:  # the app is closing: a stuck socket must not keep it open
                log.exception("stopping the team-server client failed")
            self.sync = None
        if call is not None:
            # Closed during a call whose customer was erased: what it wrote since goes before the store
            # closes (queued after the lines already heard; no more are taken once closing).
            self._worker.submit(logged("erase the erased call", lambda: self._erase_if_erased(call)))
        self._worker.submit(self._close_store)
        self._worker.shutdown()

    def _recover_after_restart(self) -> None:
        """Work left from a previous session, done off the UI thread before the first call: recordings of a
        session that was killed get their headers repaired, and the review tables and indexes exist before the
        agent first opens History (building an index on a large store takes seconds)."""
        try:
            repaired = repair_recordings(self.recordings)
        except OSError as exc:
            log.warning("could not check recordings in %s for repair: %s", self.recordings, exc)
        else:
            if repaired:
                log.info("repaired %d recording(s) left by an interrupted session", len(repaired))
        ensure_review_schema(self._open_store())
        self._apply_held_knowledge()  # team knowledge changes a call was holding when the app was cut off
