"""PySide6 desktop app and the composition root of Agent Assist: the only package that imports Qt."""
