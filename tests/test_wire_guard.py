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


# -- the server side: every frame sync/server.py (and the backplane relaying its frames) sends is a
# sync.protocol Struct, encoded by sync.protocol.encode_frame. A dict literal with a key of a server frame
# there is a frame built by hand (or the start of one).

SERVER_MODULES = ("sync/server.py", "sync/backplane.py")


def _frame_classes() -> list[type[msgspec.Struct]]:
    found: list[type[msgspec.Struct]] = []
    pending: list[type[msgspec.Struct]] = [sync.protocol.Frame, sync.protocol.CallEvent]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


FRAME_KEYS = frozenset(
    {"type", "event"} | {name for cls in _frame_classes() for name in cls.__struct_fields__}
)
# Dict literals of the server that are not frames, by their keys: the /health answer (HTTP, not the
# WebSocket), and the one key of a call's info the server writes itself (the info is the agent's own JSON
# object, relayed as it is).
NOT_FRAMES = {
    frozenset({"status", "connections", "instance", "database", "backplane"}): "/health answer",
    frozenset({"hand"}): "the hand written into a call's info",
}


def server_frame_dicts(source: str, filename: str = "<source>") -> list[str]:
    """Where ``source`` builds a server frame (or part of one) as a dict, or uses the old ServerFrame."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id == "ServerFrame":
            found.append(f"{filename}:{node.lineno}: uses ServerFrame (build the frame's Struct)")
        elif isinstance(node, ast.Dict):
            keys = frozenset(k for k in map(_string, node.keys) if k is not None)
            if keys & FRAME_KEYS and keys not in NOT_FRAMES:
                found.append(
                    f"{filename}:{node.lineno}: builds a dict with the frame keys {sorted(keys & FRAME_KEYS)}"
                )
        elif isinstance(node, ast.Call) and _is_dict_call(node):
            names = {k.arg for k in node.keywords if k.arg is not None}
            if names & FRAME_KEYS:
                keys_named = sorted(names & FRAME_KEYS)
                found.append(f"{filename}:{node.lineno}: builds dict(...) with the frame keys {keys_named}")
    return found


def test_the_server_builds_every_frame_from_the_protocols_structs() -> None:
    found = [
        use
        for name in SERVER_MODULES
        for use in server_frame_dicts((ROOT / name).read_text(encoding="utf-8"), name)
    ]
    assert not found, "the server builds frames from dicts:\n" + "\n".join(found)


def test_the_server_check_catches_how_the_server_built_frames_before() -> None:
    """Lines as sync/server.py had them before (issue 19): each one must be caught."""
    before = {
        'frame = ServerFrame(ServerType.WHISPER, _new_id(), {"whisper": whisper})': "ServerFrame",
        'body = {"call_id": req.call_id, "event": "whispered", "whisper": whisper}': "'event'",
        'welcome = {"user": user.name, "role": user.role.value, "team": user.team}': "'role'",
        'self._ack(peer, req, {"seq": change["seq"], "duplicate": not is_new})': "'duplicate'",
        "body = dict(whisper_id=whisper_id, status=status)": "'whisper_id'",
        'peer.send(json.dumps({"type": "error", "code": "x"}))': "'type'",
    }
    for line, expected in before.items():
        found = server_frame_dicts(line)
        assert found and expected in found[0], (line, found)
    now = (
        "self._fanout.send(peer, WhisperPush(id=_new_id(), whisper=whisper))\n"
        'detail = {"reason": reason}\n'
        'info = {"hand": None}\n'
    )
    assert server_frame_dicts(now) == []
