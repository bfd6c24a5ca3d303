"""Quick whisper templates the supervisor maintains, in Japanese and English.

A supervisor sends the same few pieces of advice all day (「まずお詫びと要約を」, "offer the Lite plan"), so
they are one click away. They live in a small JSON file in the data directory (``whisper_templates.json``)
that a team lead can also hand-edit or copy to colleagues. A broken file never costs the supervisor their
console: the defaults are used, the problem is reported naming the file and what is wrong, and the broken file
is kept (renamed ``.broken``) rather than overwritten the next time templates are saved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assist.paths import data_dir

LANGUAGES = ("ja", "en")
FILE_NAME = "whisper_templates.json"
MAX_TEMPLATE_LENGTH = 500

DEFAULT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "ja": (
        "まずお詫びと要約を",
        "お客様のお名前で呼びかけて",
        "折り返しの日時を約束して",
        "ライトプランをご案内して",
        "一度保留にして確認を",
    ),
    "en": (
        "Apologise first, then summarise",
        "Use the customer's name",
        "Promise a callback time",
        "Offer the Lite plan",
        "Put them on hold and check",
    ),
}


@dataclass(frozen=True, slots=True)
class WhisperTemplate:
    language: str
    text: str


class TemplateFileError(Exception):
    """The templates file could not be read; the message names the file and the problem."""


class WhisperTemplates:
    """The supervisor's templates, loaded from and saved to one JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else data_dir() / FILE_NAME
        self._items: dict[str, list[str]] = {lang: list(texts) for lang, texts in DEFAULT_TEMPLATES.items()}
        self.problem: str | None = None
        self._broken = False

    @classmethod
    def load(cls, path: Path | None = None) -> WhisperTemplates:
        """Read the file; on any problem keep the defaults and set :attr:`problem` (never raises)."""
        templates = cls(path)
        if not templates.path.exists():
            return templates
        try:
            templates._items = _parse(templates.path)
        except TemplateFileError as exc:
            templates.problem = str(exc)
            templates._broken = True
        return templates

    def items(self, language: str | None = None) -> list[WhisperTemplate]:
        languages = LANGUAGES if language is None else (language,)
        return [WhisperTemplate(lang, text) for lang in languages for text in self._items.get(lang, [])]

    def add(self, language: str, text: str) -> WhisperTemplate:
        text = " ".join(text.split())
        if language not in LANGUAGES:
            raise ValueError(f"template language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        if not text:
            raise ValueError("a template needs some text")
        if len(text) > MAX_TEMPLATE_LENGTH:
            raise ValueError(f"a template is at most {MAX_TEMPLATE_LENGTH} characters")
        texts = self._items.setdefault(language, [])
        if text not in texts:
            texts.append(text)
        return WhisperTemplate(language, text)

    def remove(self, template: WhisperTemplate) -> None:
        texts = self._items.get(template.language, [])
        if template.text in texts:
            texts.remove(template.text)

    def save(self) -> None:
        """Write atomically (a crash mid-write leaves the old file), keeping a broken file aside first."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._broken and self.path.exists():
            self.path.replace(self.path.with_name(self.path.name + ".broken"))
            self._broken = False
        body = {"version": 1, "templates": {lang: self._items.get(lang, []) for lang in LANGUAGES}}
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(body, handle, ensure_ascii=False, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.path)
        self.problem = None


def _parse(path: Path) -> dict[str, list[str]]:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateFileError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise TemplateFileError(f"{path}: not valid JSON ({exc})") from None
    templates = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(templates, dict):
        raise TemplateFileError(
            f"{path}: expected an object with a 'templates' object keyed by language (ja, en)"
        )
    result: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for language, texts in templates.items():
        if language not in LANGUAGES:
            raise TemplateFileError(f"{path}: unknown language {language!r} (use {', '.join(LANGUAGES)})")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise TemplateFileError(f"{path}: templates[{language!r}] must be a list of strings")
        result[language] = _clean(texts)
    return result


def _clean(texts: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for text in texts:
        text = " ".join(text.split())[:MAX_TEMPLATE_LENGTH]
        if text and text not in seen:
            seen.append(text)
    return seen
