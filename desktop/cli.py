"""The ``agent-assist`` command: the desktop app and its subcommands.

Each package contributes its subcommands through a ``configure(subparsers)`` function in its own ``cli``
module, so the command line grows with the packages without this file knowing their options. Nothing here
imports Qt at module level: ``agent-assist kb search`` must not pay for (or need) a display.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from desktop.common.logsetup import setup_logging

# (module, what it adds): modules are imported only to build the parser, and must import lazily themselves.
SUBCOMMAND_MODULES = (
    "audio.cli",  # transcribe, devices
    "assist.cli",  # kb, customers, suggest, calls/review exports
    "desktop.agent.demo",  # demo
    "assist.review_cli",  # review: search, exports, customer archive and deletion, insights, retention
    "desktop.supervisor.cli",  # supervisor: open the supervisor console against a team server
)

DESCRIPTION = """\
Agent Assist: live local transcription, customer context, knowledge cards and supervisor whispers for
phone support agents. Run without a command to open the desktop app.
"""

EPILOG = """\
examples:
  agent-assist                          open the desktop app
  agent-assist demo                     a one-minute demo call (terminal flavour when there is no display)
  agent-assist transcribe call.wav --language ja --json
  agent-assist kb import faq.csv        import knowledge entries (UTF-8, BOM or Shift_JIS/CP932)
  agent-assist customers lookup 090-1234-5678
  agent-assist --self-test              check the model, a transcription and the main window

Data lives in the user data directory, or in $AGENT_ASSIST_HOME when set.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent-assist",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to the console too")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="load the default model, transcribe the bundled clip, open and close the main window, report",
    )
    parser.add_argument(
        "--caller", metavar="PHONE", help="open the app with this caller number ready for a call"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:  # a package still being built must not break the others
            logging.getLogger(__name__).debug("subcommands of %s unavailable: %s", module_name, exc)
            continue
        configure = getattr(module, "configure", None)
        if configure is not None:
            configure(sub)
    if "transcribe" in sub.choices:
        # transcribe corrects misheard words against the app's own word list (audio/ cannot import assist/)
        sub.choices["transcribe"].set_defaults(domain_words=_domain_words)
    return parser


def _domain_words() -> list[str | tuple[str, str]]:
    """The support word list, the data directory's knowledge base and customers (when it has a store)."""
    from assist.domain_words import domain_words
    from assist.paths import store_path

    if not store_path().is_file():
        return domain_words(None)
    from assist.store import Store

    store = Store.open(store_path())
    try:
        return domain_words(store)
    finally:
        store.close()


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("agent-assist")
    except Exception:
        return "0+unknown"


def _register_team_eraser() -> None:
    """``review delete-customer`` also erases the customer from the sync client files and the team server."""
    from assist.privacy import register_team_eraser

    register_team_eraser(_erase_beyond_store)


def _erase_beyond_store(
    customer_id: str, call_ids: tuple[str, ...], url: str, token: str
) -> tuple[list[str], bool]:
    from desktop.common.team_erasure import erase_on_team

    outcome = erase_on_team(customer_id, call_ids, url, token)
    return outcome.lines, outcome.pending


def main(argv: Sequence[str] | None = None) -> int:
    # Weights come from packages or the cache; never let a library reach for a model hub behind our back.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose=args.verbose)
    if args.self_test:
        from desktop.agent.selftest import run_self_test

        return run_self_test()
    func = getattr(args, "func", None)
    if func is not None:
        _register_team_eraser()
        result = func(args)
        return int(result or 0)
    from desktop.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
