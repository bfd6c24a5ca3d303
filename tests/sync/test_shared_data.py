"""Shared team data: last writer wins with every version kept, a retried change never duplicates, and a
knowledge entry pushed as a whisper attachment reaches the agent intact."""

from __future__ import annotations

from tests.sync.conftest import RunningServer


def test_last_writer_wins_history_is_kept_and_retries_do_not_duplicate(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("tanaka", "agent", "tokyo")
    sato, tanaka = team_server.raw("sato"), team_server.raw("tanaka")
    try:
        first = sato.request("change_push", change_id="c1", kind="customer", record_id="cust-1",
                             record={"name": "山田 花子", "plan": "Standard"})  # fmt: skip
        second = tanaka.request("change_push", change_id="c2", kind="customer", record_id="cust-1",
                                record={"name": "山田 花子", "plan": "Lite"})  # fmt: skip
        retry = sato.request("change_push", change_id="c1", kind="customer", record_id="cust-1",
                             record={"name": "山田 花子", "plan": "Standard"})  # fmt: skip
        assert (first["duplicate"], second["duplicate"], retry["duplicate"]) == (False, False, True)
        assert retry["seq"] == first["seq"] < second["seq"]

        history = sato.request("history", kind="customer", record_id="cust-1")["changes"]
        assert [(c["author"], c["record"]["plan"]) for c in history] == [
            ("sato", "Standard"),
            ("tanaka", "Lite"),
        ]
        feed = tanaka.request("feed_since", after=0)["changes"]
        assert [c["change_id"] for c in feed] == ["c1", "c2"]  # the retry added nothing

        # Each teammate saw each change pushed exactly once.
        pushed = [f["change"]["change_id"] for f in tanaka.drain(0.3) if f["type"] == "change"]
        assert pushed == ["c1", "c2"]
    finally:
        sato.close()
        tanaka.close()


def test_knowledge_entry_whispered_as_an_attachment(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("suzuki", "supervisor", "tokyo")
    agent, supervisor = team_server.raw("sato"), team_server.raw("suzuki")
    try:
        agent.request("call_start", call_id="call-1")
        entry = {
            "kind": "knowledge",
            "id": "kb-7",
            "title": "Lite プランへの変更",
            "body": "月額 980 円。違約金なし。",
        }
        ack = supervisor.request(
            "whisper_send",
            whisper_id="w-7",
            agent="sato",
            call_id="call-1",
            text="offer the Lite plan",
            attachment=entry,
            anchor_segment_id="seg-3",
        )
        assert ack["whisper"]["seq"] == 1 and ack["whisper"]["status"] == "sent"
        whisper = agent.wait_for(lambda f: f["type"] == "whisper")["whisper"]
        assert whisper["attachment"] == entry and whisper["anchor_segment_id"] == "seg-3"
        agent.request("whisper_delivered", whisper_id="w-7")
        status = supervisor.wait_for(lambda f: f["type"] == "whisper_status")
        assert status["status"] == "delivered"
        history = supervisor.request("list_whispers", call_id="call-1")["whispers"]
        assert [(w["whisper_id"], w["status"]) for w in history] == [("w-7", "delivered")]
    finally:
        agent.close()
        supervisor.close()
