"""Data files shipped with the app: demo data, self-test clip, icons, translations."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
