"""The agent's room: the call screen and what runs the call behind it (the desk), settings, the demo and the
self-test.

Kept import-light: ``agent-assist --help`` imports ``desktop.agent.demo``, which must not pull in Qt.
"""
