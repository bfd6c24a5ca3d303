"""The shared model's encoder memo (audio.live.EncoderMemo) as a rule: the same window is encoded once, a
different one is not mistaken for it, and only the newest few are kept. The real model's second pass through
it is tested in test_live.py."""

from __future__ import annotations

import threading

import numpy as np

from audio.live import EncoderMemo
from audio.source import Samples


def _counting() -> tuple[list[Samples], EncoderMemo]:
    seen: list[Samples] = []

    def encode(features: Samples) -> object:
        seen.append(features)
        return ("encoded", float(features.sum()), features.shape)

    return seen, EncoderMemo(encode, size=2)


def _window(seed: int) -> Samples:
    return np.random.default_rng(seed).normal(size=(80, 3000)).astype(np.float32)


def test_the_same_window_is_encoded_once_and_a_different_one_is_encoded_anew() -> None:
    seen, memo = _counting()
    first = memo(_window(1))
    assert memo(_window(1)) is first  # equal features, another array: reused
    other = _window(1)
    other[0, 0] += 1e-3  # one value apart: a different window
    assert memo(other) is not first
    assert len(seen) == 2 and memo.hits == 1


def test_only_the_newest_windows_are_kept() -> None:
    seen, memo = _counting()
    for seed in (1, 2, 3):
        memo(_window(seed))
    memo(_window(3))
    memo(_window(1))  # the oldest was let go: encoded again
    assert len(seen) == 4 and memo.hits == 1


def test_two_workers_at_once_get_the_right_encoding_each() -> None:
    _, memo = _counting()
    windows = [_window(seed) for seed in range(4)]
    results: dict[int, object] = {}

    def work(i: int) -> None:
        for _ in range(20):
            results[i] = memo(windows[i])  # four windows, two kept: evicted and encoded again

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, window in enumerate(windows):
        assert results[i] == ("encoded", float(window.sum()), window.shape)
