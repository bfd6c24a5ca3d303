"""The model resolver finds offline weights, joins the packaged multilingual model safely, and explains failure."""

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
