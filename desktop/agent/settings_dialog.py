"""Settings: audio devices (by name, with a live level test), model and call language, the team server,
and how the app looks (theme, UI language, text size). Nothing here blocks the UI: the device list and the
level test run on a worker thread and report through a queued signal."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, wait

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from audio.events import Channel
from desktop.agent.call_bar import LevelMeter
from desktop.agent.coach_panel import CoachingSettings
from desktop.agent.model_settings import AfterCallModel
from desktop.common.background import Background
from desktop.common.lifetime import EmitGate
from desktop.common.preferences import Preferences, app_settings
from desktop.common.token_store import TokenLocation, TokenPlace, TokenStore

log = logging.getLogger(__name__)


class _LevelTest(QObject):
    """Signals:
    level(Channel, float): peak level of a channel during the test.
    failed(str): the devices could not be opened (message names them).
    """

    level = Signal(object, float)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._gate = EmitGate(self)  # a test that outlives the dialog (stop timed out) reports nothing
        self._background = Background(self)
        self._stop = threading.Event()
        self._job: Future[None] | None = None

    def start(self, agent: str, customer: str) -> None:
        self.stop()
        stop = self._stop = threading.Event()
        # Levels stream out through the gate while it runs; it ends when stopped (its failure is reported
        # by _run itself).
        self._job = self._background.in_thread(
            "level-test", lambda: self._run(agent, customer, stop), lambda _none: None
        )

    def stop(self) -> None:
        self._stop.set()
        if self._job is not None:
            wait([self._job], timeout=3)
            self._job = None

    def _run(self, agent: str, customer: str, stop: threading.Event) -> None:
        try:
            import numpy as np

            from audio.devices import DeviceInput, DeviceSource
            from audio.source import AudioChunk, ChannelMap

            inputs = []
            if agent:
                inputs.append(DeviceInput(agent, ChannelMap.mono(Channel.AGENT)))
            if customer and customer != agent:
                inputs.append(DeviceInput(customer, ChannelMap.mono(Channel.CUSTOMER)))
            if not inputs:
                self._gate.emit(self.failed, "")
                return
            source = DeviceSource(inputs)
            source.start()
            try:
                while not stop.is_set():
                    for item in source.read(0.1):
                        if isinstance(item, AudioChunk) and len(item.samples):
                            self._gate.emit(self.level, item.channel, float(np.max(np.abs(item.samples))))
            finally:
                source.stop()
        except Exception as exc:
            self._gate.emit(self.failed, str(exc))


class SettingsDialog(QDialog):
    def __init__(
        self, prefs: Preferences, parent: QWidget | None = None, token_place: TokenPlace | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settings")
        self.prefs = prefs
        # where the token will be kept: the system keyring, or the settings file (and which) when there is
        # none
        self.token_place = token_place or TokenStore.for_settings(app_settings()).where()
        self.tabs = QTabWidget(self)
        # audio
        audio = QWidget(self)
        self.agent_device = QComboBox(audio)
        self.customer_device = QComboBox(audio)
        self.stereo_device = QComboBox(audio)
        self.stereo_agent_left = QCheckBox(audio)
        self.test_button = QPushButton(audio)
        self.agent_meter = LevelMeter("", audio)
        self.customer_meter = LevelMeter("", audio)
        self.device_note = QLabel(audio)
        self.device_note.setWordWrap(True)
        form = QFormLayout(audio)
        self._audio_labels = [QLabel(audio) for _ in range(4)]
        form.addRow(self._audio_labels[0], self.agent_device)
        form.addRow(self._audio_labels[1], self.customer_device)
        form.addRow(self._audio_labels[2], self.stereo_device)
        form.addRow("", self.stereo_agent_left)
        meters = QHBoxLayout()
        meters.addWidget(self.test_button)
        meters.addWidget(self.agent_meter)
        meters.addWidget(self.customer_meter)
        form.addRow(self._audio_labels[3], meters)
        form.addRow(self.device_note)
        # transcription
        speech = QWidget(self)
        self.model = QComboBox(speech)
        self.model.setEditable(True)
        self.call_language = QComboBox(speech)
        speech_form = QFormLayout(speech)
        self.after_call_model = AfterCallModel(speech)
        self._speech_labels = [QLabel(speech) for _ in range(3)]
        speech_form.addRow(self._speech_labels[0], self.model)
        speech_form.addRow(self._speech_labels[1], self.call_language)
        speech_form.addRow(self._speech_labels[2], self.after_call_model)
        # team server
        team = QWidget(self)
        self.server_url = QLineEdit(team)
        self.server_token = QLineEdit(team)
        self.server_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_note = QLabel(team)
        self.token_note.setWordWrap(True)
        self.agent_name = QLineEdit(team)
        self.whisper_beep = QCheckBox(team)
        self.softphone_port = QSpinBox(team)
        self.softphone_port.setRange(0, 65535)
        team_form = QFormLayout(team)
        self._team_labels = [QLabel(team) for _ in range(4)]
        team_form.addRow(self._team_labels[0], self.server_url)
        team_form.addRow(self._team_labels[1], self.server_token)
        team_form.addRow("", self.token_note)
        team_form.addRow(self._team_labels[2], self.agent_name)
        team_form.addRow("", self.whisper_beep)
        team_form.addRow(self._team_labels[3], self.softphone_port)
        # appearance
        look = QWidget(self)
        self.theme = QComboBox(look)
        self.ui_language = QComboBox(look)
        self.font_size = QSpinBox(look)
        self.font_size.setRange(0, 28)
        look_form = QFormLayout(look)
        self._look_labels = [QLabel(look) for _ in range(3)]
        look_form.addRow(self._look_labels[0], self.theme)
        look_form.addRow(self._look_labels[1], self.ui_language)
        look_form.addRow(self._look_labels[2], self.font_size)

        self.tabs.addTab(audio, "")
        self.tabs.addTab(speech, "")
        self.tabs.addTab(team, "")
        self.tabs.addTab(look, "")
        self.coaching = CoachingSettings(self)
        self.tabs.addTab(self.coaching, "")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)
        for label, field in zip(
            self._audio_labels + self._speech_labels + self._team_labels + self._look_labels,
            (
                self.agent_device,
                self.customer_device,
                self.stereo_device,
                self.test_button,
                self.model,
                self.call_language,
                self.after_call_model,
                self.server_url,
                self.server_token,
                self.agent_name,
                self.softphone_port,
                self.theme,
                self.ui_language,
                self.font_size,
            ),
            strict=True,
        ):
            label.setBuddy(field)
        self._level_test = _LevelTest(self)  # deleted with the dialog, never on its own
        self._level_test.level.connect(self._show_level)
        self._level_test.failed.connect(self._test_failed)
        self.test_button.setCheckable(True)
        self.test_button.toggled.connect(self._toggle_test)
        self.retranslate()
        self._load_devices()
        self._fill(prefs)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Settings"))
        for index, text in enumerate(
            (
                self.tr("Audio"),
                self.tr("Transcription"),
                self.tr("Team server"),
                self.tr("Appearance"),
                self.tr("Coaching"),
            )
        ):
            self.tabs.setTabText(index, text)
        for label, text in zip(
            self._audio_labels,
            (
                self.tr("&Your microphone"),
                self.tr("&Customer audio"),
                self.tr("Or one &stereo input"),
                self.tr("Level &test"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.stereo_agent_left.setText(self.tr("Agent on the left channel"))
        self.test_button.setText(self.tr("Test"))
        self.agent_meter.setFormat(self.tr("You %p%"))
        self.customer_meter.setFormat(self.tr("Customer %p%"))
        self._speech_labels[0].setText(self.tr("&Model"))
        self._speech_labels[1].setText(self.tr("Call &language"))
        self._speech_labels[2].setText(self.tr("&After-call pass"))
        self.after_call_model.setToolTip(
            self.tr("A bigger model transcribes each call again after it ends, in the background")
        )
        self._team_labels[0].setText(self.tr("Server &URL"))
        self._team_labels[1].setText(self.tr("&Token"))
        self._team_labels[2].setText(self.tr("Your &name"))
        self._team_labels[3].setText(self.tr("Softphone link &port (0 = off)"))
        self.softphone_port.setToolTip(
            self.tr("A softphone can open http://127.0.0.1:PORT/call?number=... on an incoming call")
        )
        self.server_url.setPlaceholderText(self.tr("empty = work locally only"))
        place = self.token_place
        if place.location is TokenLocation.KEYRING:
            note = self.tr("The token is kept in the system keyring (%1).").replace("%1", place.detail)
        elif place.problem:
            note = (
                self.tr(
                    "The system keyring refused the token (%1): it is kept in %2, readable only by your "
                    "user account."
                )
                .replace("%1", place.problem)
                .replace("%2", place.detail)
            )
        else:
            note = self.tr(
                "No system keyring was found: the token is kept in %1, readable only by your user account."
            ).replace("%1", place.detail)
        self.token_note.setText(note)
        self.whisper_beep.setText(self.tr("Beep on my own device when a whisper arrives"))
        self._look_labels[0].setText(self.tr("T&heme"))
        self._look_labels[1].setText(self.tr("&Interface language"))
        self._look_labels[2].setText(self.tr("Text &size (0 = default)"))

    def _load_devices(self) -> None:
        names: list[str] = []
        try:
            from audio.devices import list_input_devices

            names = [d.name for d in list_input_devices()]
        except Exception as exc:
            log.info("no audio devices listed: %s", exc)
        none = self.tr("(none)")
        for combo in (self.agent_device, self.customer_device, self.stereo_device):
            combo.addItem(none, "")
            for name in names:
                combo.addItem(name, name)
        if names:
            self.device_note.setText(
                self.tr(
                    "Devices are remembered by name, so a headset plugged into another port is still found."
                )
            )
        else:
            self.device_note.setText(
                self.tr(
                    "No audio input devices found. Plug in a headset, or replay a "
                    "recording with Call > Replay a recording."
                )
            )

    def _fill(self, p: Preferences) -> None:
        def select(combo: QComboBox, value: str) -> None:
            index = combo.findData(value)
            if index < 0 and value:
                combo.addItem(value, value)  # remembered device not plugged in now: keep the choice
                index = combo.count() - 1
            combo.setCurrentIndex(max(0, index))

        select(self.agent_device, p.agent_device)
        select(self.customer_device, p.customer_device)
        select(self.stereo_device, p.stereo_device)
        self.stereo_agent_left.setChecked(p.stereo_agent_left)
        self.model.addItem(self.tr("default for the language"), "")
        for name in ("tiny.en", "base"):
            self.model.addItem(name, name)
        select(self.model, p.model)
        self.after_call_model.fill(p.after_call_model)
        for code, label in (("ja", "日本語"), ("en", "English"), ("auto", self.tr("detect"))):
            self.call_language.addItem(label, code)
        select(self.call_language, p.call_language)
        self.server_url.setText(p.server_url)
        self.server_token.setText(p.server_token)
        self.agent_name.setText(p.agent_name)
        self.whisper_beep.setChecked(p.whisper_beep)
        self.softphone_port.setValue(p.softphone_port)
        self.theme.addItem(self.tr("Light"), "light")
        self.theme.addItem(self.tr("Dark"), "dark")
        select(self.theme, p.theme)
        self.ui_language.addItem("日本語", "ja")
        self.ui_language.addItem("English", "en")
        select(self.ui_language, p.ui_language)
        self.font_size.setValue(p.font_size)
        self.coaching.set_off(p.coaching_off)

    def chosen(self) -> Preferences:
        def data(combo: QComboBox) -> str:
            value: object = combo.currentData()
            return str(value) if value is not None else combo.currentText().strip()

        return Preferences(
            ui_language=data(self.ui_language),
            theme=data(self.theme),
            font_size=self.font_size.value(),
            agent_device=data(self.agent_device),
            customer_device=data(self.customer_device),
            stereo_device=data(self.stereo_device),
            stereo_agent_left=self.stereo_agent_left.isChecked(),
            model=data(self.model),
            after_call_model=self.after_call_model.value(),
            call_language=data(self.call_language),
            server_url=self.server_url.text().strip(),
            server_token=self.server_token.text().strip(),
            agent_name=self.agent_name.text().strip(),
            whisper_beep=self.whisper_beep.isChecked(),
            softphone_port=self.softphone_port.value(),
            coaching_off=self.coaching.off(),
        )

    def _toggle_test(self, on: bool) -> None:
        if on:
            self._level_test.start(
                str(self.agent_device.currentData() or ""), str(self.customer_device.currentData() or "")
            )
        else:
            self._level_test.stop()

    def _show_level(self, channel: Channel, value: float) -> None:
        (self.agent_meter if channel is Channel.AGENT else self.customer_meter).set_level(value)

    def _test_failed(self, message: str) -> None:
        self.test_button.setChecked(False)
        self.device_note.setText(message or self.tr("Choose a device first."))

    def done(self, result: int) -> None:
        self._level_test.stop()
        super().done(result)
