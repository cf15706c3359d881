"""`relance web` as a person starts it: a process on 127.0.0.1 that prints the first-start link
when nobody can log in yet, and serves the login page."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import write_config
from tests.web.server import PATIENCE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_first_start_prints_a_one_time_link_that_creates_the_admin(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "--config", str(config), "web", "--port", str(port)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:  # until the server says where it listens
            lines.append(line)
            if line.startswith("relance web"):
                break
        text = "".join(lines)
        found = re.search(r"http://127\.0\.0\.1:\d+(/setup\?token=[\w-]+)", text)
        assert found, text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=PATIENCE) as client:
            for _ in range(200):  # the socket opens just after the banner: bounded retries
                try:
                    page = client.get(found.group(1))
                    break
                except httpx.ConnectError:
                    time.sleep(0.05)  # network start-up, not business time
            assert page.status_code == 200 and "créer l'administrateur" in page.text.replace(
                "&#39;", "'")
            assert client.get("/setup?token=another").status_code == 404
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_web_serves_the_cockpit_beside_the_scheduler_and_stops_on_sigterm(
        tmp_path: Path) -> None:
    from tests.helpers import write_firm
    directory = write_firm(tmp_path / "firm")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "--firm", str(directory), "serve", "--web",
         "--port", str(port)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "/setup?token=" in line:  # the firm has no user yet: the first-start link
                break
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=PATIENCE) as client:
            for _ in range(200):
                try:
                    page = client.get("/login")
                    break
                except httpx.ConnectError:
                    time.sleep(0.05)  # network start-up, not business time
            assert page.status_code == 200 and 'name="password"' in page.text
    finally:
        process.terminate()
        assert process.wait(timeout=60) in (0, 1)
