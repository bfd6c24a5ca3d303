"""The model resolver finds offline weights, joins the packaged multilingual model safely, and explains
failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audio import models
from audio.models import BASE_MODEL_BIN_SIZE, ModelNotFoundError, resolve_model


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home without the shared model cache, so the packaged join really runs."""
    home = tmp_path / "fresh-home"
    home.mkdir()
    monkeypatch.setenv("AGENT_ASSIST_HOME", str(home))
    return home / "models"


def test_default_models_per_language() -> None:
    assert models.default_model_for("ja") == "base"
    assert models.default_model_for("auto") == "base"
    assert models.default_model_for("en") == "tiny.en"


def test_tiny_en_comes_from_its_package_in_place() -> None:
    resolved = resolve_model("tiny.en")
    assert resolved.source == "packaged"
    assert (resolved.path / "model.bin").is_file()
    assert not resolved.multilingual


@pytest.mark.slow
def test_base_is_joined_once_into_the_cache_and_then_reused(private_cache: Path) -> None:
    first = resolve_model(None, "ja")
    assert first.source == "packaged"
    assert first.path == private_cache / "base"
    assert (first.path / "model.bin").stat().st_size == BASE_MODEL_BIN_SIZE
    assert (first.path / "tokenizer.json").is_file()
    second = resolve_model(None, "ja")
    assert second.source == "cache"
    assert second.path == first.path


@pytest.mark.slow
def test_a_half_written_join_is_never_used(private_cache: Path) -> None:
    # What a crash midway leaves: a truncated model.bin, in the final place or as a leftover temporary dir.
    for name in ("base", "base.partial"):
        broken = private_cache / name
        broken.mkdir(parents=True)
        (broken / "config.json").write_text("{}")
        with open(broken / "model.bin", "wb") as out:
            out.truncate(BASE_MODEL_BIN_SIZE // 3)
    resolved = resolve_model("base")
    assert resolved.source == "packaged"
    assert (resolved.path / "model.bin").stat().st_size == BASE_MODEL_BIN_SIZE
    assert not (private_cache / "base.partial").exists()


def test_explicit_path_must_be_a_model_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"model\.bin"):
        resolve_model(str(tmp_path))


def test_unknown_model_without_download_names_the_options(private_cache: Path) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model("large-v3")
    message = str(info.value)
    assert "--model PATH" in message and "pip install" in message and str(private_cache) in message


def test_explicit_path_is_used_as_is() -> None:
    packaged = resolve_model("tiny.en").path
    resolved = resolve_model(str(packaged))
    assert resolved.source == "explicit" and resolved.path == packaged
    assert os.sep in str(resolved.path)


class _ModelHost:
    """A model host on 127.0.0.1 serving one model directory the way the real one lists and serves files."""

    def __init__(self, repo: str, model_dir: Path, tamper: bool = False) -> None:
        import hashlib
        import http.server
        import json
        import threading

        files = {p.name: p.read_bytes() for p in sorted(model_dir.iterdir()) if p.is_file()}
        listing = []
        for name, data in files.items():
            item: dict[str, object] = {"type": "file", "path": name, "size": len(data)}
            if len(data) > 1_000_000:
                item["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data)}
            else:
                item["oid"] = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            listing.append(item)
        listing.append({"type": "directory", "path": "docs", "size": 0})
        if tamper:
            files["model.bin"] = files["model.bin"][:-1] + bytes([files["model.bin"][-1] ^ 1])
        self.requests: list[str] = []
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.requests.append(self.path)
                if self.path == f"/api/models/{repo}/tree/main":
                    body = json.dumps(listing).encode()
                else:
                    body = files.get(self.path.removeprefix(f"/{repo}/resolve/main/"), b"")
                    if not body:
                        self.send_error(404)
                        return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def tiny_host() -> object:
    packaged = models.packaged_tiny_en()
    assert packaged is not None
    repo = {d.name: d.repo for d in models.DOWNLOADABLE}["small"]
    host = _ModelHost(repo, packaged)
    yield host
    host.stop()


def test_a_bigger_model_is_downloaded_only_with_consent_with_progress_and_checksums(
    private_cache: Path, tiny_host: _ModelHost
) -> None:
    with pytest.raises(models.DownloadError, match="consent"):
        models.download_model("small", consent=False, endpoint=tiny_host.url)
    assert not tiny_host.requests  # nothing was even asked without consent
    assert [c.name for c in models.model_choices() if not c.installed] == [
        d.name for d in models.DOWNLOADABLE
    ]

    seen: list[tuple[int, int]] = []
    path = models.download_model(
        "small", consent=True, endpoint=tiny_host.url, progress=lambda done, total: seen.append((done, total))
    )
    assert path == private_cache / "small"
    assert seen and seen[-1][0] == seen[-1][1] == sum(p.stat().st_size for p in path.iterdir())
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert "small" in [c.name for c in models.model_choices() if c.installed]
    resolved = resolve_model("small")
    assert resolved.source == "cache" and resolved.path == path
    from faster_whisper import WhisperModel

    from tests.conftest import SELFTEST_WAV

    segments, _ = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=1).transcribe(
        str(SELFTEST_WAV), language="en", beam_size=1
    )
    assert " ".join(s.text for s in segments).strip()  # the downloaded weights really work


def test_a_download_that_fails_its_checksum_or_is_cancelled_leaves_nothing_installed(
    private_cache: Path, tmp_path: Path
) -> None:
    import threading

    packaged = models.packaged_tiny_en()
    assert packaged is not None
    repo = {d.name: d.repo for d in models.DOWNLOADABLE}["medium"]
    host = _ModelHost(repo, packaged, tamper=True)
    try:
        with pytest.raises(models.DownloadError, match="checksum"):
            models.download_model("medium", consent=True, endpoint=host.url)
        cancel = threading.Event()
        with pytest.raises(models.DownloadError, match="cancelled"):
            models.download_model(
                "medium", consent=True, endpoint=host.url, progress=lambda d, t: cancel.set(), cancel=cancel
            )
    finally:
        host.stop()
    assert not (private_cache / "medium").exists() and not (private_cache / "medium.partial").exists()
    with pytest.raises(ModelNotFoundError):
        resolve_model("medium")
    with pytest.raises(models.DownloadError, match="not a model"):
        models.download_model("huge", consent=True, endpoint=host.url)
