"""PySide6 desktop app and the composition root of Agent Assist: the only package that imports Qt.

One folder per room: ``agent/`` (the call screen and the desk behind it), ``supervisor/`` (the console),
``review/`` (after the call), and ``common/`` (what they share). ``app`` and ``cli`` start them.
"""
