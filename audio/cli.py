"""``agent-assist transcribe`` and ``agent-assist devices``.

``transcribe`` runs a file through the very pipeline a live call uses (same VAD, same worker, same guards),
which makes it the tool for demos, for measuring latency (``--realtime``) and for the benchmarks, whose
scripts depend on its JSON lines. Heavy imports happen inside the commands so ``agent-assist --help`` stays
fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

EXIT_BAD_INPUT = 2


def configure(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "transcribe",
        help="transcribe a recorded call (WAV/FLAC/MP3) with the live streaming pipeline",
        description="Transcribe a recorded call with the same streaming pipeline as a live call.",
    )
    p.add_argument("file", metavar="FILE", help="WAV, FLAC or MP3; mono or stereo; 8-48 kHz")
    p.add_argument(
        "--language", choices=("ja", "en", "auto"), default="ja", help="spoken language (default ja)"
    )
    p.add_argument(
        "--model", metavar="NAME|PATH", help="model name (base, tiny.en) or a CTranslate2 model directory"
    )
    layout = p.add_mutually_exclusive_group()
    layout.add_argument(
        "--stereo",
        metavar="MAP",
        default=None,
        help="channel mapping for a stereo file (default agent=left,customer=right)",
    )
    layout.add_argument("--mono", action="store_true", help="treat the file as one channel (mixed down)")
    p.add_argument(
        "--realtime", action="store_true", help="replay at real-time pace, as a live call would arrive"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line, then a summary line")
    p.add_argument("--prompt", metavar="TEXT", help="words to expect (customer name, product terms)")
    p.add_argument(
        "--lexicon",
        metavar="FILE",
        help="a word list (one word a line, # comments) to correct misheard words against by reading; "
        "the app's own list (support words, knowledge base, customers) is used unless --no-lexicon",
    )
    p.add_argument("--no-lexicon", action="store_true", help="no reading-based correction")
    # the app's domain word list (built in assist/ from the data directory) is plugged in by desktop/cli.py
    p.set_defaults(func=run_transcribe, domain_words=None)

    d = subparsers.add_parser("devices", help="list audio input devices by name")
    d.add_argument("--json", action="store_true", help="JSON output")
    d.set_defaults(func=run_devices)


def _error(message: str) -> int:
    print(f"agent-assist: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run_transcribe(args: argparse.Namespace) -> int:
    from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind, TranscriptEvent
    from audio.live import LiveTranscription
    from audio.models import ModelNotFoundError
    from audio.source import AudioInputError, ChannelMap, FileSource

    try:
        if args.mono:
            channel_map = ChannelMap.mono()
        elif args.stereo:
            channel_map = ChannelMap.parse(args.stereo)
        else:
            channel_map = ChannelMap.stereo()
        source = FileSource(args.file, realtime=args.realtime, channel_map=channel_map)
    except (AudioInputError, ValueError) as exc:
        return _error(str(exc))

    lock = threading.Lock()
    max_lag = 0.0
    stopped: list[str] = []
    out = sys.stdout

    def on_event(event: TranscriptEvent) -> None:
        with lock:
            if args.json:
                if event.kind is EventKind.FINAL and not event.text and not event.revised:
                    return
                record: dict[str, object] = {
                    "kind": event.kind.value,
                    "channel": event.channel.value,
                    "start": event.start,
                    "end": event.end,
                    "text": event.text,
                    "emitted_at": event.emitted_at,
                    "confidence": event.confidence,
                    "segment_id": event.segment_id,
                }
                if event.corrections:
                    record["corrections"] = list(event.corrections)  # "heard -> word", for review
                if event.revised:
                    # the second pass over a finished turn: keep the latest line per segment_id, drop empty
                    # ones
                    record["revised"] = True
                    if event.merged_into:
                        record["merged_into"] = event.merged_into
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
            elif event.kind is EventKind.FINAL and event.text:
                who = "Agent   " if event.channel is Channel.AGENT else "Customer"
                mark = " (revised)" if event.revised else ""  # the turn's lines above, decoded again as one
                fixed = f"  [{'; '.join(event.corrections)}]" if event.corrections else ""
                out.write(f"[{_clock(event.start)} - {_clock(event.end)}] {who}{mark}: {event.text}{fixed}\n")
                out.flush()

    def on_status(event: AudioStatusEvent) -> None:
        nonlocal max_lag
        if event.kind is AudioStatusKind.LAG:
            max_lag = max(max_lag, event.value)
        elif event.kind in (AudioStatusKind.RECORDING_STOPPED, AudioStatusKind.DEVICE_LOST):
            stopped.append(event.message)

    try:
        words = _lexicon_words(args)
    except OSError as exc:
        return _error(f"cannot read the word list {args.lexicon}: {exc.strerror or exc}")
    live = LiveTranscription(
        source,
        lexicon=words,
        call_id=f"file-{int(time.time())}",
        language=args.language,
        model=args.model,
        on_event=on_event,
        on_status=on_status,
        prompt=args.prompt,
    )
    began = time.monotonic()
    try:
        live.start()
    except ModelNotFoundError as exc:
        return _error(str(exc))
    except AudioInputError as exc:
        return _error(str(exc))
    try:
        live.wait()
    except KeyboardInterrupt:
        live.stop()
        live.wait(30)
    if live.error is not None:
        return _error(str(live.error))
    stats = live.stats
    max_lag = max(max_lag, stats.max_lag)
    wall = time.monotonic() - began
    if args.json:
        summary = {
            "kind": "summary",
            "audio_seconds": round(live.audio_seconds, 3),
            "compute_seconds": round(stats.compute_seconds, 3),
            "wall_seconds": round(wall, 3),
            "max_lag": round(max_lag, 3),
            "finals": stats.finals,
            "partials": stats.partials,
            "partials_dropped": stats.partials_dropped,
            "dropped_as_noise": stats.dropped_as_noise,
            "dropped_as_bleed": stats.dropped_as_bleed,
            "turns_revised": stats.revisions,
            "language": args.language,
            "model": str(args.model or ""),
        }
        out.write(json.dumps(summary) + "\n")
    else:
        out.write(
            f"-- {live.audio_seconds:.1f} s of audio, {stats.compute_seconds:.1f} s of compute, "
            f"{stats.finals} lines, max lag {max_lag:.1f} s\n"
        )
    out.flush()
    return 0


def _lexicon_words(args: argparse.Namespace) -> list[str | tuple[str, str]] | None:
    """The words for the reading-based correction: --lexicon FILE, and the app's list when it is plugged
    in."""
    if args.no_lexicon:
        return None
    words: list[str | tuple[str, str]] = []
    if args.lexicon:
        with open(args.lexicon, encoding="utf-8-sig") as handle:
            words += [w.strip() for w in handle if w.strip() and not w.lstrip().startswith("#")]
    if callable(args.domain_words):
        words += args.domain_words()
    return words or None


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def run_devices(args: argparse.Namespace) -> int:
    from audio.devices import DeviceError, list_input_devices

    try:
        devices = list_input_devices()
    except DeviceError as exc:
        return _error(str(exc))
    if args.json:
        for dev in devices:
            print(
                json.dumps(
                    {
                        "name": dev.name,
                        "channels": dev.channels,
                        "default_rate": dev.default_rate,
                        "host_api": dev.host_api,
                        "is_default": dev.is_default,
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    if not devices:
        print("no audio input devices found")
        return 0
    for dev in devices:
        mark = "*" if dev.is_default else " "
        print(f"{mark} {dev.name}  ({dev.channels} ch, {dev.default_rate:g} Hz, {dev.host_api})")
    return 0
