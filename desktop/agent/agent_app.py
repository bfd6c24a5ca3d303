"""The composition root of the agent's desktop: preferences, window, bridge and call desk, wired together.

The window only draws and the desk only works; this module connects the two (bridge signals -> window,
window signals -> desk), words the desk's problems in the agent's language, and applies the preferences
(theme, UI language, text size, devices, server). The app's other windows (History & review, the supervisor
console) are opened by desktop.agent.side_windows.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from desktop.agent.bridge import LiveCallBridge
from desktop.agent.desk import CallDesk, DeskConfig, Problem, SaveOutcome
from desktop.agent.main_window import CallScreen
from desktop.agent.settings_dialog import SettingsDialog
from desktop.agent.side_windows import SideWindows
from desktop.agent.softphone_link import SoftphoneLink
from desktop.common.appearance import apply_font_size, apply_theme, apply_ui_font
from desktop.common.i18n import install_ui_language
from desktop.common.preferences import Preferences, app_settings
from desktop.common.views import WhisperView, WrapUpDraft

if TYPE_CHECKING:  # the other windows are loaded when first opened
    from desktop.review.retention_schedule import RetentionSchedule
    from desktop.supervisor.console import SupervisorConsole

log = logging.getLogger(__name__)


def desk_config(prefs: Preferences) -> DeskConfig:
    return DeskConfig(
        language=prefs.call_language or "ja",
        model=prefs.model or None,
        after_call_model=prefs.after_call_model,
        agent_name=prefs.agent_name,
        server_url=prefs.server_url,
        server_token=prefs.server_token,
        agent_device=prefs.agent_device,
        customer_device=prefs.customer_device,
        stereo_device=prefs.stereo_device,
        stereo_agent_left=prefs.stereo_agent_left,
        coaching_off=tuple(k.strip() for k in prefs.coaching_off.split(",") if k.strip()),
    )


class AgentApp(QObject):
    """One agent's app: owns the window, the bridge and the desk."""

    def __init__(
        self,
        app: QApplication,
        prefs: Preferences | None = None,
        desk: CallDesk | None = None,
        window: CallScreen | None = None,
    ) -> None:
        super().__init__()
        self.app = app
        self.prefs = prefs or Preferences.load()
        self.apply_look(self.prefs)
        self.window = window or CallScreen()
        self.window.restore_layout(app_settings())
        self.bridge = LiveCallBridge(self)
        self.desk = desk or CallDesk(self.bridge, desk_config(self.prefs))
        self.desk.listener = self.bridge
        self.window.whispers.beep_enabled = self.prefs.whisper_beep
        self.softphone: SoftphoneLink | None = None
        self.side = SideWindows(self.desk, self.window, lambda: self.prefs, self._problem, self)
        self.retention: RetentionSchedule | None = None  # once the app is shown
        self._wire()
        self.window.act_ja.setChecked(self.prefs.ui_language == "ja")
        self.window.act_en.setChecked(self.prefs.ui_language == "en")
        self.window.act_dark.setChecked(self.prefs.theme == "dark")
        self.window.act_light.setChecked(self.prefs.theme != "dark")

    @classmethod
    def create(cls, app: QApplication) -> AgentApp:
        return cls(app)

    # -- wiring -------------------------------------------------------------------------------------------
    def _wire(self) -> None:
        b, w = self.bridge, self.window
        b.transcript.connect(w.show_transcript)
        b.audio_status.connect(w.show_audio_status)
        b.customer.connect(w.show_customer)
        b.suggestions.connect(w.show_suggestions)
        b.cue.connect(w.show_cue)
        b.coaching.connect(w.show_coaching)
        b.whisper.connect(w.show_whisper)
        b.connection.connect(w.show_connection)
        b.connection.connect(self.side.role_known)
        b.call_finished.connect(self._call_finished)
        b.saved.connect(self._saved)
        b.problem.connect(self._problem)
        w.start_call.connect(self.start_call)
        w.end_call.connect(self.desk.end_call)
        w.replay_file.connect(self.choose_replay)
        w.open_settings.connect(self.open_settings)
        w.ui_language_chosen.connect(self._language_chosen)
        w.theme_chosen.connect(self._theme_chosen)
        w.font_step.connect(self._font_step)
        w.whispers.marked_read.connect(self._whisper_read)
        w.suggestions.feedback.connect(self.desk.suggestion_feedback)
        w.transcript.bookmark_toggled.connect(self.desk.bookmark)
        w.wrap_up.save_requested.connect(self._save_wrap_up)
        w.open_review.connect(self.side.open_review)
        w.open_supervisor.connect(self.side.open_supervisor_console)
        w.raise_hand.connect(lambda reason: self.desk.raise_hand(reason, True))
        w.lower_hand.connect(lambda: self.desk.raise_hand("", False))

    def show(self) -> None:
        self.window.show()
        self.desk.start()
        self._start_retention()
        self.listen_for_softphone(self.prefs.softphone_port)

    def _start_retention(self) -> None:
        """Apply the team's retention setting now and daily (old recordings deleted, transcripts per policy).

        The runs go to the desk worker, the store's one writer, after the start-up work queued there; a daily
        run that comes during a call waits until the call is over (the call's transcript uses that worker)."""
        try:
            from desktop.review.retention_schedule import RetentionSchedule
        except ImportError as exc:
            log.warning("retention is not applied: %s", exc)
            return
        self.retention = RetentionSchedule(
            self.desk.run_on_worker,
            self,
            recordings_root=self.desk.recordings,
            busy=lambda: self.desk.in_call,
        )
        self.retention.finished.connect(self._retention_done)
        self.retention.start()

    def _retention_done(self, result: object) -> None:
        """A failed run is shown and retried with the next day's run; the app works on meanwhile."""
        from assist.retention import RetentionReport

        if isinstance(result, Exception):
            log.warning("retention run failed: %r", result)
            self.window.show_problem(
                QCoreApplication.translate(
                    "AgentApp",
                    "Old recordings and transcripts could not be cleaned up: %1. It will be tried again "
                    "tomorrow.",
                ).replace("%1", str(result) or type(result).__name__)
            )
        elif isinstance(result, RetentionReport) and result.problems:
            log.warning("retention run left files: %s", "; ".join(result.problems))
            self.window.show_problem(
                QCoreApplication.translate(
                    "AgentApp", "Some old recordings could not be deleted: %1"
                ).replace("%1", "; ".join(result.problems))
            )
        else:
            log.info("retention run: %s", result)

    def listen_for_softphone(self, port: int) -> bool:
        if port <= 0:
            return False
        self.softphone = SoftphoneLink(self)
        self.softphone.incoming_call.connect(self._softphone_call)
        self.softphone.show_requested.connect(self.bring_to_front)
        if not self.softphone.listen(port):
            log.info(
                "softphone link: port %s is taken (another Agent Assist?); typing the number still works",
                port,
            )
            return False
        return True

    def _softphone_call(self, number: str, start: bool) -> None:
        if self.desk.in_call:
            return  # never overwrite the number of the call in progress
        self.window.call_bar.phone.setText(number)
        self.bring_to_front()
        if start:
            self.start_call(number)

    def bring_to_front(self) -> None:
        """Show the window above the others (it may be minimised or behind other windows)."""
        if self.window.isMinimized():
            self.window.showNormal()
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    def shutdown(self) -> None:
        if self.retention is not None:
            self.retention.stop()
        if self.softphone is not None:
            self.softphone.close()
        self.side.close()
        self.desk.shutdown()
        self.bridge.close()  # a worker whose stop timed out may still report: nobody is listening any more

    # -- other windows -------------------------------------------------------------------------------------
    @property
    def supervisor_console(self) -> SupervisorConsole | None:
        return self.side.console

    @property
    def review_window(self) -> QWidget | None:
        return self.side.review

    def open_supervisor_console(self) -> QWidget | None:
        return self.side.open_supervisor_console()

    def open_review(self) -> QWidget | None:
        return self.side.open_review()

    # -- calls --------------------------------------------------------------------------------------------
    def start_call(self, phone: str, replay: Path | None = None) -> str | None:
        if self.desk.in_call:
            return None
        self.window.call_started(team=bool(self.desk.config.server_url))
        return self.desk.start_call(phone, replay=replay)

    def choose_replay(self) -> None:
        if self.desk.in_call:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self.window,
            QCoreApplication.translate("AgentApp", "Replay a recording"),
            "",
            QCoreApplication.translate("AgentApp", "Audio (*.wav *.flac *.mp3 *.ogg);;All files (*)"),
        )
        if path:
            self.start_call(self.window.call_bar.phone.text().strip(), replay=Path(path))

    def _call_finished(self, _call_id: str, draft: WrapUpDraft) -> None:
        self.window.call_ended(draft)

    def _save_wrap_up(self, draft: WrapUpDraft) -> None:
        try:
            self.desk.save_wrap_up(draft, list(self.window.notes.notes))
        except RuntimeError:
            self.window.wrap_up.show_status(
                QCoreApplication.translate("AgentApp", "There is no call to wrap up yet.")
            )
            self.window.wrap_up.save_button.setEnabled(True)

    def _saved(self, outcome: SaveOutcome) -> None:
        w = self.window
        if outcome.sent_to_server:
            text = QT_TRANSLATE_NOOP("AgentApp", "Saved on this PC and sent to the team server.")
        elif outcome.server_configured:
            text = QT_TRANSLATE_NOOP(
                "AgentApp", "Saved on this PC. The team server is offline: it will be sent when it is back."
            )
        else:
            text = QT_TRANSLATE_NOOP("AgentApp", "Saved on this PC (local only: no team server set up).")
        w.wrap_up.show_status_tr("AgentApp", str(text))
        w.wrap_up.save_button.setEnabled(True)
        w.call_bar.after_call_work_done()

    def _whisper_read(self, whisper: WhisperView) -> None:
        self.desk.mark_whisper_read(whisper.whisper_id)

    # -- problems -------------------------------------------------------------------------------------------
    def problem_text(self, problem: Problem, detail: str) -> str:
        texts = {
            Problem.NO_AUDIO_DEVICE: QCoreApplication.translate(
                "AgentApp",
                "No audio input device found (%1). Plug in a headset and choose it in "
                "Settings, or replay a recording (Ctrl+O).",
            ),
            Problem.AUDIO_SOURCE: QCoreApplication.translate("AgentApp", "Cannot use the audio input: %1"),
            Problem.MODEL: QCoreApplication.translate("AgentApp", "The speech model is not available: %1"),
            Problem.STORE: QCoreApplication.translate("AgentApp", "Cannot open the local database: %1"),
            Problem.SERVER_REFUSED: QCoreApplication.translate(
                "AgentApp", "The team server refused a change: %1"
            ),
            Problem.SAVE_FAILED: QCoreApplication.translate(
                "AgentApp", "Saving the wrap-up failed: %1. Your text is still in the form."
            ),
            Problem.ERASED_DURING_CALL: QCoreApplication.translate(
                "AgentApp",
                "This customer's information was erased during the call, so no record of this call was kept.",
            ),
        }
        return texts[problem].replace("%1", detail)

    def _problem(self, problem: Problem, detail: str) -> None:
        text = self.problem_text(problem, detail)
        log.warning("%s: %s", problem.value, detail)
        self.window.show_problem(text)
        if problem in (Problem.NO_AUDIO_DEVICE, Problem.AUDIO_SOURCE, Problem.MODEL):
            self.window.call_bar.set_in_call(False)
        if problem is Problem.SAVE_FAILED:
            self.window.wrap_up.show_status(text)
            self.window.wrap_up.save_button.setEnabled(True)
        if problem is Problem.ERASED_DURING_CALL:  # nothing to save: the form says why
            self.window.wrap_up.show_status(text)
            self.window.wrap_up.save_button.setEnabled(False)
            self.window.call_bar.after_call_work_done()
        if problem is Problem.NO_AUDIO_DEVICE and self.window.isVisible():
            box = QMessageBox(
                QMessageBox.Icon.Information,
                QCoreApplication.translate("AgentApp", "No audio device"),
                text,
                QMessageBox.StandardButton.Close,
                self.window,
            )
            replay = box.addButton(
                QCoreApplication.translate("AgentApp", "Replay a recording…"),
                QMessageBox.ButtonRole.ActionRole,
            )
            box.setModal(False)
            box.buttonClicked.connect(lambda button: self.choose_replay() if button is replay else None)
            box.show()

    # -- preferences
    # ------------------------------------------------------------------------------------------
    def apply_look(self, prefs: Preferences) -> None:
        apply_ui_font(self.app)
        apply_theme(self.app, prefs.theme)
        apply_font_size(self.app, prefs.font_size)
        install_ui_language(self.app, prefs.ui_language)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.prefs, self.window)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_preferences(dialog.chosen())

    def apply_preferences(self, prefs: Preferences) -> None:
        server_changed = (prefs.server_url, prefs.server_token) != (
            self.prefs.server_url,
            self.prefs.server_token,
        )
        port_changed = prefs.softphone_port != self.prefs.softphone_port
        self.prefs = prefs
        prefs.save(app_settings())
        self.apply_look(prefs)
        self.window.whispers.beep_enabled = prefs.whisper_beep
        config = desk_config(prefs)
        config.server_url, config.server_token = self.desk.config.server_url, self.desk.config.server_token
        self.desk.config = config
        if server_changed:
            self.desk.connect_server(prefs.server_url, prefs.server_token)
        if port_changed and self.softphone is not None:
            self.softphone.close()
            self.softphone = None
            self.listen_for_softphone(prefs.softphone_port)

    def _language_chosen(self, code: str) -> None:
        self.prefs.ui_language = code
        self.prefs.save(app_settings())
        install_ui_language(self.app, code)
        if self.supervisor_console is not None:
            from desktop.supervisor.i18n import install_supervisor_translation

            install_supervisor_translation(code)

    def _theme_chosen(self, name: str) -> None:
        self.prefs.theme = name
        self.prefs.save(app_settings())
        apply_theme(self.app, name)
        self.window.transcript.retranslate()  # re-tint the lines for the new palette

    def _font_step(self, step: int) -> None:
        """+1 / -1 point, or 0 for the platform default."""
        target = 0 if step == 0 else (self.prefs.font_size or self.app.font().pointSize()) + step
        applied = apply_font_size(self.app, target)
        self.prefs.font_size = 0 if step == 0 else applied
        self.prefs.save(app_settings())
        self.window.transcript.retranslate()  # rows carry their own font: redraw them at the new size
