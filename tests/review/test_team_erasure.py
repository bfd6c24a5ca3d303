"""`review delete-customer` beyond this PC (issue #16): the sync client files lose every queued frame about
the customer, the team server is asked to erase its copy, and the command says what was erased where and what
is pending. The proof is the same as locally: no byte of the customer in any raw file (WAL included) of the
app's data directory or the team server's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assist import paths
from assist.store import Store
from desktop.cli import main
from sync.client import SyncClient
from sync.server import ServerThread
from tests.review.conftest import TANAKA_SECRET, start_team_server
from tests.sync.conftest import RawClient

NAME, PHONE, SUMMARY = "田中花子", "090-1234-5678", "請求書が届かないとのお問い合わせ"
SECRETS = [TANAKA_SECRET, NAME, PHONE, SUMMARY]


def _grep(*dirs: Path) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for path in sorted(p for d in dirs for p in d.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found = [s for s in SECRETS if s.encode() in data]
        if found:
            hits[str(path)] = found
    return hits


@pytest.fixture
def team(tmp_path: Path) -> Iterator[tuple[ServerThread, dict[str, str]]]:
    thread, tokens = start_team_server(tmp_path / "server")
    try:
        yield thread, tokens
    finally:
        thread.stop()


def _share_tanaka(thread: ServerThread, token: str) -> None:
    """What the agent's app shared about her: the live call with its transcript, her record, the summary; and
    one note still queued in the app's outbox (written while the server was unreachable)."""
    agent = RawClient.open(thread.url, token)
    try:
        assert agent.request("call_start", call_id="call-ja-1", customer={"id": "cust-tanaka", "name": NAME})
        line = {
            "call_id": "call-ja-1",
            "channel": "customer",
            "kind": "final",
            "start": 1.0,
            "end": 3.0,
            "text": f"去年{TANAKA_SECRET}に泊まったときの領収書も欲しいです",
            "segment_id": "s1",
        }
        agent.send("transcript", call_id="call-ja-1", event=line)
        records = [
            ("customer", "cust-tanaka", {"id": "cust-tanaka", "name": NAME, "phones": [PHONE]}),
            (
                "call_summary",
                "call-ja-1",
                {"id": "call-ja-1", "customer_id": "cust-tanaka", "summary": SUMMARY},
            ),
        ]
        for n, (kind, record_id, record) in enumerate(records):
            reply = agent.request(
                "change_push", change_id=f"p{n}", kind=kind, record_id=record_id, record=record
            )
            assert reply["type"] == "ack"
        assert agent.request("call_end", call_id="call-ja-1")["type"] == "ack"
    finally:
        agent.close()
    queued = SyncClient(thread.url, token, paths.data_dir() / "sync-client.sqlite3")  # never started: offline
    queued.push_change("note", {"id": "n9", "customer_id": "cust-tanaka", "text": f"{TANAKA_SECRET}の件"})
    queued.push_change("note", {"id": "n10", "customer_id": "cust-smith", "text": "keep me"})
    queued.stop()


def test_delete_customer_erases_here_in_the_outbox_and_on_the_team_server(
    store: Store,
    team: tuple[ServerThread, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    thread, tokens = team
    _share_tanaka(thread, tokens["sato"])
    before = _grep(paths.data_dir(), tmp_path / "server")
    assert set().union(*before.values()) == set(SECRETS)

    code = main(["review", "delete-customer", "cust-tanaka", "--yes", "--server", thread.url,
                 "--token", tokens["suzuki"]])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("erased cust-tanaka: 2 calls")
    assert "sync-client.sqlite3: queued frames and whispers about cust-tanaka erased" in out
    assert "team server: erased (2 calls;" in out
    assert _grep(paths.data_dir(), tmp_path / "server") == {}
    # The rest of the outbox still waits to be sent.
    left = SyncClient(thread.url, tokens["sato"], paths.data_dir() / "sync-client.sqlite3")
    assert left.pending_count() == 1
    left.stop()


def test_an_agent_is_told_the_team_copy_is_not_erased(
    store: Store,
    team: tuple[ServerThread, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    thread, tokens = team
    _share_tanaka(thread, tokens["sato"])
    code = main(["review", "delete-customer", "cust-tanaka", "--yes", "--server", thread.url,
                 "--token", tokens["sato"]])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    assert "team server: NOT erased, it refused (forbidden" in captured.out
    assert "NOT complete" in captured.err
    assert (
        NAME.encode()
        in (tmp_path / "server" / "team.sqlite3-wal").read_bytes()
        + (tmp_path / "server" / "team.sqlite3").read_bytes()
    )


def test_a_second_run_erases_the_team_copy_when_this_pc_is_already_clean(
    store: Store,
    team: tuple[ServerThread, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    thread, tokens = team
    _share_tanaka(thread, tokens["sato"])
    first = main(["review", "delete-customer", "cust-tanaka", "--yes", "--server", thread.url,
                  "--token", tokens["sato"]])  # fmt: skip
    assert first == 2  # erased here, refused on the server: pending
    capsys.readouterr()
    second = main(["review", "delete-customer", "cust-tanaka", "--yes", "--server", thread.url,
                   "--token", tokens["suzuki"]])  # fmt: skip
    out = capsys.readouterr().out
    assert second == 0, out
    assert "cust-tanaka: not in this PC's store (already erased here)" in out
    assert "team server: erased" in out
    assert _grep(paths.data_dir(), tmp_path / "server") == {}
