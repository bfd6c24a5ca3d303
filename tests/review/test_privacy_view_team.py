"""The Privacy view says what happened to the team server's copy after erasing a customer on this PC: erased,
pending while the server cannot be reached, or refused with the reason — in Japanese and English. A real team
server on 127.0.0.1 holds her record; the view's team step is the app's own (sync client + erase request)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assist.store import Store
from desktop.app import ensure_app
from desktop.common.i18n import install_ui_language
from desktop.common.team_erasure import erase_on_team
from desktop.review.privacy_view import PrivacyPanel
from sync.server import ServerThread
from sync.team_erasure import ServerStep, TeamErasureOutcome
from tests.review.conftest import start_team_server
from tests.scale.conftest import pg_url, postgres  # noqa: F401  (a real PostgreSQL, started once a session)
from tests.sync.conftest import RawClient
from tests.waiting import wait_until

NAME = "田中花子"


@pytest.fixture
def team(tmp_path: Path) -> Iterator[tuple[ServerThread, dict[str, str]]]:
    yield from _team(tmp_path / "server")


@pytest.fixture
def team_on_postgresql(request: pytest.FixtureRequest) -> Iterator[tuple[ServerThread, dict[str, str]]]:
    yield from _team(None, request.getfixturevalue("pg_url"))


def _team(
    server_dir: Path | None, database: str | None = None
) -> Iterator[tuple[ServerThread, dict[str, str]]]:
    thread, tokens = start_team_server(server_dir, database)
    agent = RawClient.open(thread.url, tokens["sato"])
    try:
        reply = agent.request(
            "change_push", change_id="c1", kind="customer", record_id="cust-tanaka",
            record={"id": "cust-tanaka", "name": NAME},
        )  # fmt: skip
        assert reply["type"] == "ack"
    finally:
        agent.close()
    try:
        yield thread, tokens
    finally:
        thread.stop()


def _panel(qtbot: Any, store: Store, url: str, token: str) -> PrivacyPanel:
    ensure_app()
    panel = PrivacyPanel(
        store,
        confirm=lambda question: True,
        team_eraser=lambda customer, calls: erase_on_team(customer, calls, url, token, timeout=5.0),
    )
    qtbot.addWidget(panel, before_close_func=lambda w: w.finish_writes())  # its store thread ends with it
    panel.customer_query.setText(NAME)
    assert [c.id for c in panel.find_customers()] == ["cust-tanaka"]
    return panel


def _erase(qtbot: Any, panel: PrivacyPanel) -> TeamErasureOutcome:
    with qtbot.waitSignal(panel.customer_erased, timeout=30000):
        assert panel.erase()  # on the panel's store thread; the team step follows on a thread of its own
    assert "Erased from this PC" in panel.message.text() or "このPCから消去" in panel.message.text()
    qtbot.waitUntil(lambda: panel.team_outcome is not None, timeout=30000)
    outcome = panel.team_outcome
    assert isinstance(outcome, TeamErasureOutcome), outcome
    return outcome


def test_the_view_says_the_team_copy_was_erased(
    qtbot: Any, store: Store, team: tuple[ServerThread, dict[str, str]], tmp_path: Path
) -> None:
    server, tokens = team
    panel = _panel(qtbot, store, server.url, tokens["suzuki"])
    outcome = _erase(qtbot, panel)
    assert outcome.server_step is ServerStep.ERASED
    assert panel.team_message.text().startswith("Team server: erased (2 calls, ")
    held = b"".join(p.read_bytes() for p in (tmp_path / "server").iterdir() if p.is_file())
    assert NAME.encode() not in held


def test_an_agent_is_told_in_japanese_that_the_server_refused(
    qtbot: Any, store: Store, team: tuple[ServerThread, dict[str, str]]
) -> None:
    server, tokens = team
    app = ensure_app()
    assert install_ui_language(app, "ja")
    try:
        panel = _panel(qtbot, store, server.url, tokens["sato"])
        outcome = _erase(qtbot, panel)
        assert outcome.server_step is ServerStep.REFUSED and outcome.reason.startswith("forbidden")
        text = panel.team_message.text()
        assert text.startswith("チームサーバー: 消去されていません") and "forbidden" in text, text
        assert "このPCから消去しました" in panel.message.text()
    finally:
        install_ui_language(app, "en")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_on_postgresql_the_view_says_what_the_database_keeps_and_who_reclaims_it(
    qtbot: Any, store: Store, team_on_postgresql: tuple[ServerThread, dict[str, str]], language: str
) -> None:
    server, tokens = team_on_postgresql
    app = ensure_app()
    assert install_ui_language(app, language)
    try:
        panel = _panel(qtbot, store, server.url, tokens["suzuki"])
        outcome = _erase(qtbot, panel)
        assert outcome.server_step is ServerStep.DATABASE_KEEPS
        assert outcome.server is not None and outcome.server.database == "postgresql"
        text = panel.team_message.text()
        if language == "ja":
            assert text.startswith("チームサーバー: PostgreSQL データベースのすべての表から消去しました"), (
                text
            )
            assert "VACUUM FULL" in text and "バックアップ" in text and "確認できません" in text
        else:
            assert text.startswith("Team server: erased from every table of its PostgreSQL database"), text
            assert "VACUUM FULL" in text and "backups" in text and "cannot confirm" in text
        assert "retention" not in text and "保持期間" not in text  # no round will clean it
    finally:
        install_ui_language(app, "en")
    verify = RawClient.open(server.url, tokens["suzuki"])
    try:
        assert verify.request("history", kind="customer", record_id="cust-tanaka")["changes"] == []
    finally:
        verify.close()


def test_an_unreachable_server_is_pending_not_erased(
    qtbot: Any, store: Store, team: tuple[ServerThread, dict[str, str]]
) -> None:
    server, tokens = team
    url = server.url
    server.stop()  # the server is down when the customer is erased here
    panel = _panel(qtbot, store, url, tokens["suzuki"])
    outcome = _erase(qtbot, panel)
    assert outcome.server_step is ServerStep.UNREACHABLE and outcome.pending
    text = panel.team_message.text()
    assert (
        text.startswith("Team server: NOT erased yet (pending), it cannot be reached (") and "again" in text
    )
    assert "Erased" not in text


def test_the_team_copy_is_erased_even_if_the_window_closes_before_the_erasure_is_reported(
    qtbot: Any, store: Store, team: tuple[ServerThread, dict[str, str]], tmp_path: Path
) -> None:
    server, tokens = team
    outcomes: list[TeamErasureOutcome] = []

    def eraser(customer: str, calls: tuple[str, ...]) -> TeamErasureOutcome:
        outcome = erase_on_team(customer, calls, server.url, tokens["suzuki"], timeout=5.0)
        outcomes.append(outcome)
        return outcome

    ensure_app()
    panel = PrivacyPanel(store, confirm=lambda question: True, team_eraser=eraser)
    writes = panel._write  # the panel's own store thread, ended below as its window would
    panel.customer_query.setText(NAME)
    assert [c.id for c in panel.find_customers()] == ["cust-tanaka"]
    # Another program holds the database's write lock: the erasure waits for it while the window goes.
    other = sqlite3.connect(str(store.path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert panel.erase()
        with qtbot.waitSignal(panel.destroyed, timeout=10000):
            panel.deleteLater()
    finally:
        other.execute("ROLLBACK")
        other.close()
    writes.finish()  # the erasure runs to its end on the panel's store thread
    assert store.get_customer("cust-tanaka") is None
    wait_until(lambda: outcomes, timeout=30, what="the team's erase request")
    assert outcomes[0].server_step is ServerStep.ERASED
    held = b"".join(p.read_bytes() for p in (tmp_path / "server").iterdir() if p.is_file())
    assert NAME.encode() not in held
