"""Settings list the bigger models for the after-call pass, and download one only after the user says yes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from audio import models
from desktop.agent.model_settings import AfterCallModel
from tests.test_models import _ModelHost


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("AGENT_ASSIST_HOME", str(tmp_path / "home"))  # not the session's shared model cache
    packaged = models.packaged_tiny_en()
    assert packaged is not None
    repo = {d.name: d.repo for d in models.DOWNLOADABLE}["small"]
    served = _ModelHost(repo, packaged)
    monkeypatch.setenv("AGENT_ASSIST_MODEL_ENDPOINT", served.url)
    yield served
    served.stop()


def test_a_listed_model_is_downloaded_only_after_consent_and_then_chosen(
    qtbot: Any, host: _ModelHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    combo = AfterCallModel()
    qtbot.addWidget(combo)
    combo.fill("")
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert combo.itemData(0) == "" and "base" in labels  # off first (its label follows the UI language)
    small = combo.findData("download:small")
    assert small > 0 and "484 MB" in combo.itemText(small)
    assert combo.findData("download:kotoba-whisper-v2.0-faster") > 0

    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    combo.activated.emit(small)  # the user picks it, then says no
    assert combo.value() == "" and not host.requests
    assert not (models.cache_dir() / "small").exists()

    combo.setCurrentIndex(small)
    combo.activated.emit(small)  # picks it again and says yes: downloaded, checked, chosen
    assert (models.cache_dir() / "small" / "model.bin").is_file()
    assert combo.value() == "small" and combo.findData("small") > 0
    assert combo.findData("download:small") < 0
