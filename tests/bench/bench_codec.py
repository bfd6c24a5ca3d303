"""The wire codec alone (sync/protocol.py): how long the team server takes to read a client frame and to write
a server frame, per frame, on one core. Nothing is asserted; it prints its figures.

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_codec [--frames 20000]

Run it with PYTHONPATH pointing at another checkout to compare codecs on the same frames (the API it
uses, ``decode_request`` and ``ServerFrame(...).encode()``, is the same before and after msgspec). The
frames are what a live call sends most (transcript lines, call info with cards and cues) and what
supervisors send (whispers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from sync.protocol import ServerFrame, ServerType, decode_request


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
    for name, raw in _frames().items():
        request = decode_request(raw)
        print(f"decode {name:13s} {_time(lambda raw=raw: decode_request(raw), args.frames):6.1f} µs/frame")
        if name == "transcript":
            body = {"call_id": "call-1", "event": "transcript", "transcript": request.event}
            frame = ServerFrame(ServerType.CALL_EVENT, "e1", body)
            print(f"encode call_event    {_time(frame.encode, args.frames):6.1f} µs/frame")


if __name__ == "__main__":
    main()
