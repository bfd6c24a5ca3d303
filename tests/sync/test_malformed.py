"""Untrusted input: the decoder only ever answers with a typed request or a ProtocolError, and a live server
answers 10,000 malformed frames with error frames and keeps serving everyone."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.protocol import (
    REQUEST_TYPES,
    ErrorCode,
    ProtocolError,
    Request,
    WhisperSend,
    decode_request,
    encode_request,
)
from sync.server import ServerLimits
from tests.sync.conftest import RunningServer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _decode_or_error(raw: str | bytes) -> Request | ProtocolError:
    try:
        return decode_request(raw)
    except ProtocolError as exc:
        assert exc.message
        return exc


# database=None: no .hypothesis directory in the checkout (pytest's norecursedirs would then warn, an error
# here).
@settings(database=None)
@given(st.text(max_size=200) | st.binary(max_size=50))
def test_decoder_answers_any_text_with_a_request_or_a_protocol_error(raw: str | bytes) -> None:
    _decode_or_error(raw)


@settings(database=None)
@given(st.sampled_from(sorted(REQUEST_TYPES)), st.dictionaries(st.sampled_from(
    ["id", "v", "call_id", "whisper_id", "agent", "text", "event", "record", "kind", "record_id", "change_id",
     "after", "limit", "info", "customer", "started_at", "whisper_after", "feed_after", "anchor_segment_id",
     "attachment", "extra"]), json_values, max_size=8))  # fmt: skip
def test_decoder_checks_every_field_of_every_type(type_: str, fields: dict[str, Any]) -> None:
    frame = {"v": 1, "type": type_, "id": "f1", **fields}
    result = _decode_or_error(json.dumps(frame))
    if isinstance(result, Request):
        assert type_ == result.TYPE
        # Whatever was accepted encodes again and decodes to the same request.
        assert decode_request(encode_request(result)) == result
    else:
        assert result.code in ErrorCode


@settings(max_examples=50, database=None)
@given(st.text(min_size=1, max_size=100), st.text(min_size=1, max_size=300))
def test_valid_whispers_round_trip(agent: str, text: str) -> None:
    request = WhisperSend(id="x", whisper_id="w", agent=agent, text=text, call_id="c")
    assert decode_request(encode_request(request)) == request


def test_decoder_names_the_problem() -> None:
    cases = {
        "{": "not valid JSON",
        "[]": "JSON object",
        '{"v": 2, "type": "resume", "id": "a"}': "'v' must be 1",
        '{"v": 1, "type": "teleport", "id": "a"}': "unknown message type 'teleport'",
        '{"v": 1, "type": "whisper_send", "id": "a", "whisper_id": "w", "agent": "x"}': (
            "missing field 'text'"
        ),
        '{"v": 1, "type": "subscribe", "id": "a", "call_id": 7}': "'call_id' must be a non-empty string",
        '{"v": 1, "type": "feed_since", "id": "a", "after": -1}': "must not be negative",
        '{"v": 1, "type": "list_calls", "id": "a", "admin": true}': "unknown field 'admin'",
        (
            '{"v": 1, "type": "change_push", "id": "a", "change_id": "c", "kind": "x", "record_id": "r", '
            '"record": {}}'
        ): "'kind' must be one of",
        "[" * 100000 + "]" * 100000: "must be a JSON object",  # refused before it is read deeper
        '{"a":' * 100000 + "1" + "}" * 100000: "not valid JSON",
        '{"v": 1, "type": "call_update", "id": "a", "call_id": "c", "info": {"x": '
        + "[" * 40
        + "]" * 40
        + "}}": ("'info' is nested too deeply"),
        '{"v": 1, "type": "raise_hand", "id": "a", "call_id": "c", "reason": "one\\ntwo"}': (
            "'reason' must be one line"
        ),
        '{"v": 1, "type": "erase_customer", "id": "a", "customer_id": "c", "call_ids": [""]}': (
            "'call_ids[0]'"
        ),
    }
    for raw, expected in cases.items():
        with pytest.raises(ProtocolError) as error:
            decode_request(raw)
        assert expected in error.value.message, (raw[:60], error.value.message)
    with pytest.raises(ProtocolError, match="binary frames"):
        decode_request(b"\x00\x01")


def _malformed_frames(count: int, seed: int) -> list[str | bytes]:
    rng = random.Random(seed)
    valid = json.dumps(
        {"v": 1, "type": "whisper_send", "id": "x", "whisper_id": "w", "agent": "sato", "text": "hi"}
    )
    makers = [
        lambda: valid[: rng.randrange(1, len(valid) - 1)],  # truncated
        lambda: "".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(1, 40))),  # noise
        lambda: json.dumps({"v": rng.choice([0, 2, "1", None, True]), "type": "resume", "id": "x"}),
        lambda: json.dumps(
            {"v": 1, "type": rng.choice(["", "x", "WHISPER_SEND", "ack", 5, None]), "id": "x"}
        ),
        lambda: json.dumps(
            {"v": 1, "type": rng.choice(sorted(REQUEST_TYPES)), "id": rng.choice([None, "", 5, "x" * 200])}
        ),
        lambda: json.dumps(
            {
                "v": 1,
                "type": "whisper_send",
                "id": "x",
                "whisper_id": rng.choice([[], {}, 1, ""]),
                "agent": "sato",
                "text": "t",
            }
        ),
        lambda: json.dumps(
            {"v": 1, "type": "transcript", "id": "x", "call_id": "c", "event": {"kind": "final"}}
        ),
        lambda: json.dumps(
            {"v": 1, "type": "feed_since", "id": "x", "after": rng.choice([1e308, -5, "0", 10**30])}
        ),
        lambda: json.dumps([1, 2, 3]) if rng.random() < 0.5 else "null",
        lambda: "[" * rng.randrange(1000, 5000),
        lambda: '{"v": 1, "type": "resume", "id": "x", "whisper_after": NaN}',
        lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 30))),
    ]
    return [rng.choice(makers)() for _ in range(count)]


@pytest.fixture
def server_limits() -> ServerLimits:
    return ServerLimits(rate_per_second=1e6, rate_burst=1_000_000)


def test_ten_thousand_malformed_frames_get_error_frames_and_the_server_keeps_serving(
    team_server: RunningServer,
) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("mallory", "agent", "tokyo")
    frames = _malformed_frames(10_000, seed=7)
    bystander = team_server.raw("sato")
    attacker = team_server.raw("mallory")
    try:
        errors = 0
        for start in range(0, len(frames), 500):
            batch = frames[start : start + 500]
            for frame in batch:
                attacker.ws.send(frame)
            answered = 0
            while answered < len(batch):
                reply = attacker.receive(10)
                assert reply is not None, "the server stopped answering"
                if reply["type"] == "presence":  # teammates coming online may be announced at any moment
                    continue
                answered += 1
                assert (
                    reply["type"] == "error"
                    and reply["code"] in {c.value for c in ErrorCode}
                    and reply["message"]
                )
                errors += 1
            attacker.frames.clear()
        assert errors == 10_000
        assert team_server.thread.server.stats["malformed"] == 10_000
        # The attacker's connection and everyone else's still work.
        assert attacker.request("list_presence")["type"] == "ack"
        assert bystander.request("call_start", call_id="c-1")["type"] == "ack"
    finally:
        attacker.close()
        bystander.close()


def test_an_oversized_frame_closes_only_that_connection(team_server: RunningServer) -> None:
    team_server.add_user("sato", "agent", "tokyo")
    team_server.add_user("mallory", "agent", "tokyo")
    bystander = team_server.raw("sato")
    attacker = team_server.raw("mallory")
    try:
        attacker.ws.send(json.dumps({"v": 1, "type": "resume", "id": "x", "pad": "x" * (1 << 20)}))
        with pytest.raises(Exception) as closed:
            attacker.wait_for(lambda f: False, timeout=5)
        assert "1009" in str(closed.value) or "too big" in str(closed.value).lower()
        assert bystander.request("list_presence")["type"] == "ack"
    finally:
        attacker.close()
        bystander.close()
