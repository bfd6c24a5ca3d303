"""desktop/ speaks to the team server only through the typed messages of sync.protocol (issue 19): no module
in desktop/ builds or reads a wire payload as a dict. Checked on the source (AST), so it fails before any run.

What counts as building or reading a wire dict:

* a dict literal or ``dict(...)`` handed to a SyncClient method that sends something (``send_whisper``,
  ``publish_call_info``, ``call_started``...): those take sync.protocol Structs;
* a raw request (``SyncClient.request`` or a request message class imported from sync.protocol): its answer
  is a dict of wire keys; the client's typed methods (``feed_since``, ``list_live_calls``...) return records;
* a dict literal with, or a ``x["key"]`` / ``x.get("key")`` of, a key only the wire uses: a multi-word field
  name of a sync.protocol payload or server frame that no assist.domain record has (``whisper_id``,
  ``raised_at``, ``needs_moment``...). Keys the domain records share (``call_id``, ``created_at``) are also
  the store's own JSON, so they prove nothing on their own.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import msgspec

import assist.domain
import sync.protocol
from tests.conftest import ROOT

SENDING_METHODS = frozenset(
    {"send_whisper", "publish_call_info", "call_started", "raise_hand", "publish_transcript", "call_ended"}
)


def _wire_only_keys() -> frozenset[str]:
    wire: set[str] = set()
    for obj in vars(sync.protocol).values():
        if (
            inspect.isclass(obj)
            and issubclass(obj, msgspec.Struct)
            and obj.__module__ == sync.protocol.__name__
            and not issubclass(obj, sync.protocol.Request)
        ):
            wire |= set(obj.__struct_fields__)
    domain: set[str] = set()
    for obj in vars(assist.domain).values():
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
            domain |= {f.name for f in dataclasses.fields(obj)}
    return frozenset(key for key in wire - domain if "_" in key)


WIRE_ONLY_KEYS = _wire_only_keys()
REQUEST_NAMES = frozenset(sync.protocol.REQUEST_TYPES[t].__name__ for t in sync.protocol.REQUEST_TYPES) | {
    "Request"
}


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def wire_dict_uses(source: str, filename: str = "<source>") -> list[str]:
    """Where ``source`` builds or reads a wire payload as a dict (empty when it uses sync.protocol types)."""
    found: list[str] = []

    def flag(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "sync.protocol":
            for alias in node.names:
                if alias.name in REQUEST_NAMES:
                    flag(node, f"imports the request message {alias.name} (use the client's typed methods)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method == "request" and node.args:
                flag(node, "sends a raw request (its answer is a dict of wire keys)")
            if method in SENDING_METHODS:
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    if isinstance(arg, ast.Dict) or (isinstance(arg, ast.Call) and _is_dict_call(arg)):
                        flag(node, f"passes a dict to {method} (it takes a sync.protocol Struct)")
            key = _string(node.args[0]) if method == "get" and node.args else None
            if key in WIRE_ONLY_KEYS:
                flag(node, f"reads the wire key {key!r} from a dict")
        elif isinstance(node, ast.Subscript) and _string(node.slice) in WIRE_ONLY_KEYS:
            flag(node, f"reads the wire key {_string(node.slice)!r} from a dict")
        elif isinstance(node, ast.Dict):
            keys = sorted({k for k in map(_string, node.keys) if k in WIRE_ONLY_KEYS})
            if keys:
                flag(node, f"builds a dict with the wire keys {keys}")
    return found


def _is_dict_call(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id == "dict"


def test_no_desktop_module_builds_or_reads_a_wire_dict() -> None:
    found = [
        use
        for path in sorted((ROOT / "desktop").rglob("*.py"))
        for use in wire_dict_uses(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "desktop/ handles wire payloads as dicts:\n" + "\n".join(found)


def test_the_check_catches_how_desktop_handled_payloads_before() -> None:
    """Lines as the console and the call desk had them before issue 19: each one must be caught."""
    before = {
        'whisper_id = str(body.get("whisper_id") or body.get("id") or "")': "'whisper_id'",
        'raised_at = _number(hand.get("raised_at")) if hand is not None else None': "'raised_at'",
        'if call.info.get("needs_moment") is True: pass': "'needs_moment'",
        'last = row["last_whisper_at"]': "'last_whisper_at'",
        "client.send_whisper(agent, call_id, text, None, {'kind': 'knowledge', 'title': t})": "send_whisper",
        "client.publish_call_info(call.call_id, dict(customer=c, cards=cards))": "publish_call_info",
        'changes = self.client.request(FeedSince(id=new_id(), after=0))["changes"]': "raw request",
        "from sync.protocol import FeedSince, RecordKind, Subscribe": "FeedSince",
        'info = {"customer": c, "needs_moment": hard}': "'needs_moment'",
    }
    for line, expected in before.items():
        found = wire_dict_uses(line)
        assert found and expected in found[0], (line, found)
    # ...and what the same code does now passes.
    now = (
        "whisper_id = receipt.whisper_id\n"
        "client.send_whisper(agent, call_id, text, None, Attachment(kind='knowledge', title=t))\n"
        "changes = self.client.feed_since(after)\n"
        "from sync.protocol import Attachment, Change, RecordKind\n"
        'settings = {"language": "ja", "theme": "dark"}\n'
    )
    assert wire_dict_uses(now) == []


def test_the_wire_only_keys_are_the_protocols() -> None:
    # A rename in sync.protocol moves these with it; a few that must stay covered:
    assert {
        "whisper_id",
        "raised_at",
        "needs_moment",
        "last_whisper_at",
        "anchor_segment_id",
    } <= WIRE_ONLY_KEYS
    assert not WIRE_ONLY_KEYS & {"call_id", "created_at", "customer_id"}  # the domain's own JSON has them
    assert Path(sync.protocol.__file__).name == "protocol.py"
