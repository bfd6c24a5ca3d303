"""The Japanese UI covers every window of the app: the call screen's new actions, cards a supervisor sent, and
the history & review window (its strings live in the app's own translation file)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTranslator

from assist.store import Store
from desktop.agent.main_window import CallScreen
from desktop.app import ensure_app
from desktop.common.i18n import TRANSLATIONS, install_ui_language
from desktop.common.suggestion_cards import SuggestionCard
from desktop.common.views import SuggestionView
from scripts.update_translations import Catalogue, check, compile_qm, extract, set_translation, untranslated


@pytest.fixture
def japanese() -> Iterator[None]:
    app = ensure_app()
    assert install_ui_language(app, "ja")
    try:
        yield
    finally:
        install_ui_language(app, "en")


def test_every_string_of_the_app_has_its_japanese() -> None:
    tree = ET.parse(TRANSLATIONS / "agent_assist_ja.ts")
    sources = {m.findtext("source") for m in tree.getroot().iter("message")}
    assert "History && review" in sources and "Agent Assist — Call review" in sources  # review is included
    untranslated = []
    for message in tree.getroot().iter("message"):
        translation = message.find("translation")
        assert translation is not None
        text = (translation.text or "") + "".join(f.text or "" for f in translation.iter("numerusform"))
        if translation.get("type") == "unfinished" or not text.strip():
            untranslated.append(message.findtext("source"))
    assert not untranslated, f"no Japanese for: {untranslated}"


def test_the_ts_files_are_the_source_and_in_step_with_the_code() -> None:
    """The .ts files hold every tr() string of the code with its Japanese, and the .qm files are compiled from
    them (scripts/update_translations.py --check, which writes nothing)."""
    assert check() == 0


def test_a_new_string_is_found_without_japanese_until_one_is_set(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "panel.py").write_text(
        "from PySide6.QtWidgets import QWidget\n\n\n"
        "class Panel(QWidget):\n"
        "    def retranslate(self) -> str:\n"
        '        return self.tr("Call the customer back")\n',
        encoding="utf-8",
    )
    catalogue = Catalogue(tmp_path / "panel_ja.ts", (code,))
    extract(catalogue, catalogue.ts)
    compile_qm(catalogue)
    assert untranslated(catalogue.ts) == ["Call the customer back"]
    assert check((catalogue,)) == 1  # a string without Japanese fails the check
    assert set_translation(catalogue.ts, "Call the customer back", "お客様に折り返す")
    assert check((catalogue,)) == 1  # the .qm is not compiled from the .ts yet
    compile_qm(catalogue)
    assert check((catalogue,)) == 0
    translator = QTranslator()
    assert translator.load(str(catalogue.qm))
    assert translator.translate("Panel", "Call the customer back") == "お客様に折り返す"
    assert not set_translation(catalogue.ts, "No such words", "ない")


def test_new_actions_pushed_cards_and_the_review_window_read_in_japanese(
    japanese: None, qtbot: Any, tmp_path: Path
) -> None:
    window = CallScreen()
    qtbot.addWidget(window)
    assert window.act_review.text() == "履歴とレビュー"
    assert window.act_supervisor.text() == "スーパーバイザー画面"
    assert window.menu_windows.title() == "ウィンドウ(&W)"

    card = SuggestionCard(
        SuggestionView(
            "knowledge:kb-1",
            "knowledge",
            "割引のご案内",
            "長期のお客様は割引",
            (),
            "pushed",
            0.0,
            "kb-1",
            pushed_by="miki",
        )
    )
    qtbot.addWidget(card)
    assert "miki さんから" in card.title.text() and "スーパーバイザー" in card.reason.text()

    from desktop.review import create_review_window

    store = Store.open(tmp_path / "store.sqlite3")
    review = create_review_window(store)
    try:
        assert review.windowTitle() == "Agent Assist — 通話レビュー"
    finally:
        with qtbot.waitSignal(review.destroyed):
            review.deleteLater()
        store.close()
