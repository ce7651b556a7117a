"""However the dashboard is started, it serves this machine only, collects nothing and states its real limit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "dashboard" / ".streamlit" / "config.toml"


def test_the_shipped_config_is_safe():
    cfg = tomllib.loads(CONFIG.read_text())
    assert cfg["server"]["address"] == "127.0.0.1"
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["toolbarMode"] == "minimal"          # no Deploy button
    assert cfg["server"]["enableXsrfProtection"] is True


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp* writes them) listening on ``port``."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            addr, state = fields[1], fields[3]
            if state == "0A" and int(addr.rsplit(":", 1)[1], 16) == port:
                out.append(addr.rsplit(":", 1)[0])
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs /proc/net")
def test_plain_streamlit_run_from_another_folder_listens_on_localhost_only(tmp_path):
    port = _free_port()
    env = dict(os.environ, LEANLINE_DATA_DIR=str(tmp_path / "lib"), HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _listening(port) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.3)
        addresses = _listening(port)
        assert addresses, "the dashboard never listened"
        assert set(addresses) == {"0100007F"}        # 127.0.0.1, nothing on 0.0.0.0 or ::
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "gather usage statistics" not in out.lower()
