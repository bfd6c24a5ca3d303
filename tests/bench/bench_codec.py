"""The wire codec alone (sync/protocol.py): how long the team server takes to read a client frame and to write
a server frame, per frame, on one core. Nothing is asserted; it prints its figures.

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_codec [--frames 20000]

Run it with PYTHONPATH pointing at another checkout to compare codecs on the same frames: it reads client
frames with ``decode_request`` and writes server frames as that checkout's server does (since issue 19 a
sync.protocol Struct encoded by ``encode_frame``; before, ``ServerFrame(...)`` built from a dict, which it
falls back to). Writing is timed from the values the server holds to the UTF-8 bytes it queues. The frames
are what a live call sends most (transcript lines, call info with cards and cues) and what supervisors send
(whispers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import sync.protocol
from sync.protocol import Request, Transcript, decode_request


def _frames() -> dict[str, str]:
    event = {
        "call_id": "call-1",
        "channel": "customer",
        "kind": "final",
        "start": 12.5,
        "end": 14.25,
        "text": "請求書が二重に届いているのですが、先月の分はもう払っています",
        "confidence": 0.91,
        "segment_id": "seg-12",
        "emitted_at": 15.1,
        "language": "ja",
        "revised": False,
        "merged_into": "",
    }
    cards = [
        {
            "key": f"kb-{n}",
            "title": f"二重請求の返金 {n}",
            "body": "返金は次回の請求で相殺します。" * 4,
            "source": "knowledge",
            "score": 0.8,
        }
        for n in range(3)
    ]
    info = {
        "customer": {"id": "cust-1", "name": "山田 花子", "plan": "Lite"},
        "cards": cards,
        "cues": [{"kind": "frustration", "at": 14.2}],
        "needs_moment": False,
    }
    whisper = {
        "whisper_id": "w-1",
        "agent": "sato",
        "call_id": "call-1",
        "text": "返金の手順を先に伝えてください",
    }
    frames = {
        "transcript": {"call_id": "call-1", "event": event},
        "call_update": {"call_id": "call-1", "info": info},
        "whisper_send": whisper,
    }
    return {
        name: json.dumps({"v": 1, "type": name, "id": f"f{n}", **fields}, ensure_ascii=False)
        for n, (name, fields) in enumerate(frames.items())
    }


def _time(fn: Callable[[], object], count: int) -> float:
    """Microseconds per call, the median of five rounds."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            fn()
        rounds.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=20000, help="frames per round (five rounds)")
    args = parser.parse_args()
    requests = {}
    for name, raw in _frames().items():
        requests[name] = decode_request(raw)
        print(f"decode {name:13s} {_time(lambda raw=raw: decode_request(raw), args.frames):6.1f} µs/frame")
    for name, encode in _encoders(requests).items():
        print(f"encode {name:21s} {_time(encode, args.frames):6.1f} µs/frame")


def _encoders(requests: dict[str, Request]) -> dict[str, Callable[[], bytes]]:
    """What the server writes for the frames above: a follower's transcript line and call update, and the
    agent's whisper (with everything the store adds)."""
    transcript = requests["transcript"]
    assert isinstance(transcript, Transcript)
    event = transcript.event
    info = json.loads(_frames()["call_update"])["info"]
    whisper = dict(
        json.loads(_frames()["whisper_send"]), seq=12, team="blue", sender="mori", anchor_segment_id=None,
        attachment={"kind": "knowledge", "title": "返金", "body": "5-7 営業日"}, created_at=1_700_000_000.0,
        delivered_at=None, read_at=None, status="sent",
    )  # fmt: skip
    for key in ("v", "type", "id"):
        whisper.pop(key)
    if not hasattr(sync.protocol, "encode_frame"):  # a checkout from before: frames from dicts
        server_frame, kind = sync.protocol.ServerFrame, sync.protocol.ServerType

        def old(frame_type: object, body: dict[str, object]) -> Callable[[], bytes]:
            return lambda: server_frame(frame_type, "e1", body).encode().encode()

        return {
            "call_event transcript": old(
                kind.CALL_EVENT, {"call_id": "call-1", "event": "transcript", "transcript": event}
            ),
            "call_event updated": old(
                kind.CALL_EVENT, {"call_id": "call-1", "event": "updated", "info": info}
            ),
            "whisper": old(kind.WHISPER, {"whisper": whisper}),
        }
    from sync.protocol import CallTranscript, CallUpdated, ServerWhisper, WhisperPush, encode_frame

    row = ServerWhisper(**whisper)
    return {
        "call_event transcript": lambda: encode_frame(
            CallTranscript(id="e1", call_id="call-1", transcript=event)
        ),
        "call_event updated": lambda: encode_frame(CallUpdated(id="e1", call_id="call-1", info=info)),
        "whisper": lambda: encode_frame(WhisperPush(id="e1", whisper=row)),
    }


if __name__ == "__main__":
    main()
