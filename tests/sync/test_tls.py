"""wss:// end to end: the server's TLS context from a certificate file, a client that trusts it, and a client
that does not is refused at the TLS layer (no token ever sent in clear)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from sync.client import ConnectionState, SyncClient
from sync.protocol import Role
from sync.server import ServerThread
from sync.store import TeamStore
from tests.sync.conftest import wait_until


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_wss_round_trip_with_a_trusted_certificate(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    data = tmp_path / "srv"
    store = TeamStore(data)
    token = store.add_user("sato", Role.AGENT, "tokyo")
    store.close()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server = ServerThread(data, ssl=server_context)
    port = server.start()
    trusting = ssl.create_default_context(cafile=str(cert))
    good = SyncClient(f"wss://127.0.0.1:{port}/", token, tmp_path / "good.sqlite3", ssl=trusting)
    reasons: list[str] = []
    doubtful = SyncClient(
        f"wss://127.0.0.1:{port}/",
        token,
        tmp_path / "bad.sqlite3",
        ssl=ssl.create_default_context(),
        max_backoff=0.5,
    )
    doubtful.on_connection_state = lambda state, reason: reasons.append(reason)
    try:
        good.start()
        doubtful.start()
        wait_until(lambda: good.state is ConnectionState.CONNECTED, what="TLS client connected")
        assert good.user is not None and good.user.user == "sato"
        wait_until(
            lambda: any("CERTIFICATE_VERIFY_FAILED" in r for r in reasons),
            what=f"untrusted certificate reported: {reasons}",
        )
        assert doubtful.state is not ConnectionState.CONNECTED
    finally:
        good.stop()
        doubtful.stop()
        server.stop()
