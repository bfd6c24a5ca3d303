"""Raising a hand on a live call: only the call's own agent may, every supervisor of the team is told at once
(nobody of another team), a board opened later reads it from the live call list, the audit log keeps who asked
and why, and it is gone with the call."""

from __future__ import annotations

from tests.sync.conftest import RunningServer
from tests.sync.test_permissions import USERS


def test_only_the_calls_agent_raises_a_hand_and_every_supervisor_of_the_team_sees_it(
    team_server: RunningServer,
) -> None:
    for name, (role, team) in USERS.items():
        team_server.add_user(name, role, team)
    c = {name: team_server.raw(name) for name in USERS}
    try:
        assert c["sato"].request("call_start", call_id="call-A")["type"] == "ack"
        assert c["kimura"].request("call_start", call_id="call-K")["type"] == "ack"

        refused = {
            "tanaka": c["tanaka"].request("raise_hand", call_id="call-A"),  # another agent's call
            "suzuki": c["suzuki"].request("raise_hand", call_id="call-A"),  # supervisors answer, not ask
            "kimura": c["kimura"].request("raise_hand", call_id="call-A"),  # another team's call
        }
        assert {n: r.get("code") for n, r in refused.items()} == {
            "tanaka": "forbidden",
            "suzuki": "forbidden",
            "kimura": "not_found",
        }
        too_long = c["sato"].request("raise_hand", call_id="call-A", reason="x" * 201)
        assert too_long["code"] == "bad_field" and "reason" in too_long["message"]
        two_lines = c["sato"].request("raise_hand", call_id="call-A", reason="a\nb")
        assert two_lines["code"] == "bad_field"

        ack = c["sato"].request("raise_hand", call_id="call-A", reason="解約すると言われています")
        assert ack["type"] == "ack" and ack["hand"]["reason"] == "解約すると言われています"
        for name in ("suzuki", "ito"):
            event = c[name].wait_for(lambda f: f["type"] == "call_event" and f.get("event") == "hand")
            assert event["call_id"] == "call-A" and event["agent"] == "sato"
            assert event["hand"]["reason"] == "解約すると言われています" and event["hand"]["raised_at"] > 0
        # A board opened now reads the raised hand from the live call list.
        calls = c["suzuki"].request("list_calls")["calls"]
        assert next(x for x in calls if x["call_id"] == "call-A")["info"]["hand"]["reason"]
        # Nobody else heard of it: not the other team's supervisor, not the other agents.
        for name in ("honda", "tanaka", "kimura"):
            frames = c[name].drain(0.3)
            assert not [f for f in frames if f.get("event") == "hand"], name
            assert "解約すると" not in str(frames)

        audit = c["ito"].request("audit_query", after=0, limit=100)["entries"]
        raised = [e for e in audit if e["action"] == "hand_raised"]
        assert [(e["actor"], e["target"], e["detail"]["reason"]) for e in raised] == [
            ("sato", "call-A", "解約すると言われています")
        ]

        lowered = c["sato"].request("raise_hand", call_id="call-A", raised=False)
        assert lowered["type"] == "ack" and lowered["hand"] is None
        event = c["suzuki"].wait_for(
            lambda f: f.get("event") == "hand" and f.get("hand") is None and f["call_id"] == "call-A"
        )
        assert event["agent"] == "sato"

        # It ends with the call: an ended call takes no hand, and leaves the live list with its hand.
        c["sato"].request("raise_hand", call_id="call-A", reason="again")
        assert c["sato"].request("call_end", call_id="call-A")["type"] == "ack"
        assert c["sato"].request("raise_hand", call_id="call-A")["code"] == "conflict"
        assert not [x for x in c["suzuki"].request("list_calls")["calls"] if x["call_id"] == "call-A"]
    finally:
        for client in c.values():
            client.close()
