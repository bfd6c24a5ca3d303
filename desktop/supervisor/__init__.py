"""The supervisor console: every live call of the team at a glance, one call followed live, whispers to the
agent.

Kept import-light on purpose: ``agent-assist --help`` imports ``desktop.supervisor.cli``, which must not pull
in Qt. The widgets live in :mod:`desktop.supervisor.console`.
"""
