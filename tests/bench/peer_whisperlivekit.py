"""Run by bench_peer.py with a Python that has WhisperLiveKit (not a project dependency; see bench_peer.py).

    python peer_whisperlivekit.py MODEL_DIR LANGUAGE OUT.json CHANNEL.wav [CHANNEL.wav ...]

Each 16 kHz mono WAV is one channel of the call, streamed in real time into its own WhisperLiveKit session
(LocalAgreement policy, faster-whisper backend, its packaged Silero VAD), all sessions sharing one engine and
model, as a two-channel call would. Writes, per channel, the committed lines with their audio times and the
audio time each was first seen committed, and the process's CPU seconds. Imports nothing from this project.
"""

import asyncio
import json
import resource
import sys
import time


def _seconds(stamp):
    parts = [float(p) for p in str(stamp).split(":")]
    value = 0.0
    for part in parts:
        value = value * 60 + part
    return value


async def _channel(kwargs, path, out):
    from whisperlivekit.test_harness import TestHarness

    first_seen = {}
    committed = []  # (audio seconds fed, characters committed so far), whenever that grew
    async with TestHarness(**kwargs) as harness:

        def seen(state):
            size = 0
            for line in state.lines:
                text = (line.get("text") or "").strip()
                size += len("".join(text.split()))
                key = (line.get("start"), text)
                if text and key not in first_seen:
                    first_seen[key] = harness.audio_position
            if not committed or size > committed[-1][1]:
                committed.append((harness.audio_position, size))

        harness.on_update(seen)
        await harness.feed(path, speed=1.0, chunk_duration=0.1)
        final = await harness.finish(timeout=120)
        seen(final)
    out.append(
        {
            "path": path,
            "committed": committed,
            "lines": [
                {
                    "start": _seconds(line.get("start", 0)),
                    "end": _seconds(line.get("end", 0)),
                    "text": (line.get("text") or "").strip(),
                    "first_seen": first_seen.get((line.get("start"), (line.get("text") or "").strip())),
                }
                for line in final.lines
                if (line.get("text") or "").strip()
            ],
        }
    )


async def main(model_dir, language, out_path, paths):
    kwargs = dict(
        backend_policy="localagreement",
        backend="faster-whisper",
        model_dir=model_dir,
        lan=language,
        pcm_input=True,
        vac=True,
        warmup_file=paths[0],
    )
    from whisperlivekit.test_harness import TestHarness

    async with TestHarness(**kwargs):  # the engine (model load, warm-up) before the clock starts
        pass
    cpu0, wall0 = time.process_time(), time.monotonic()
    results = []
    await asyncio.gather(*(_channel(kwargs, p, results) for p in paths))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    results.sort(key=lambda r: paths.index(r["path"]))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(
            {"channels": results, "cpu_seconds": cpu, "wall_seconds": wall, "max_rss_kb": usage.ru_maxrss}, f
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
