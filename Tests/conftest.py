"""Shared fixtures for the interop and browser tests: a real `confianza` binary, real servers on
loopback, real users made with the command line."""
import json
import os
import re
import signal
import sqlite3
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def binary() -> str:
    path = os.environ.get("CONFIANZA_BIN") or str(ROOT / ".build" / "debug" / "confianza")
    if not Path(path).exists():
        pytest.fail(f"{path} does not exist: build first (swift build) or set CONFIANZA_BIN")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args, stdin=None, env_extra=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIANZA_") or k == "CONFIANZA_BIN"}
    env["CONFIANZA_BCRYPT_COST"] = "4"
    env.update(env_extra or {})
    return subprocess.run([binary(), *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


class Server:
    """A `confianza serve` process, stopped with SIGTERM at the end. Its output goes to files (a pipe
    nobody reads would fill up and stall the server)."""

    def __init__(self, database: str, port: int, extra=(), env_extra=None, command="serve"):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIANZA_")}
        env["CONFIANZA_BCRYPT_COST"] = "4"
        env.update(env_extra or {})
        args = [binary(), command, "--port", str(port), "--database", database, *extra]
        self.stdout = tempfile.NamedTemporaryFile("w+", prefix="confianza-out-", suffix=".log")
        self.stderr = tempfile.NamedTemporaryFile("w+", prefix="confianza-err-", suffix=".log")
        self.process = subprocess.Popen(args, stdout=self.stdout, stderr=self.stderr, text=True, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}: {self.output()}{self.errors()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError("server did not answer /healthz within 60 s")

    def output(self) -> str:
        return Path(self.stdout.name).read_text()

    def demo_login(self, timeout=60) -> tuple:
        """`confianza demo`'s printed sign-in: (username, password), once its banner says them."""
        deadline = time.time() + timeout
        banner = self.output()
        while "password" not in banner and time.time() < deadline:
            time.sleep(0.1)
            banner = self.output()
        match = re.search(r"Sign in as (\S+), password (\S+)", banner)
        assert match, f"the demo printed no sign-in within {timeout} s: {banner}{self.errors()}"
        return match.groups()

    def errors(self) -> str:
        return Path(self.stderr.name).read_text()

    def stop(self):
        """Stops the server as an operator would (SIGTERM) and returns (exit code, stdout, stderr)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        out, err = self.output(), self.errors()
        self.stdout.close()
        self.stderr.close()
        return self.process.returncode, out, err


@pytest.fixture
def sqlite_db(tmp_path) -> str:
    return str(tmp_path / "confianza.db")


@pytest.fixture
def admin_db(sqlite_db) -> str:
    """An SQLite database with an admin `root` whose password is PASSWORD."""
    result = run_cli("user", "create", "root", "--role", "admin", "--password-stdin", "--database", sqlite_db, stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    return sqlite_db


@pytest.fixture
def server(admin_db):
    s = Server(admin_db, free_port())
    yield s
    code, _, err = s.stop()
    assert code == 0, f"serve did not stop cleanly on SIGTERM: {code} {err}"


def csrf_token(html: str) -> str:
    match = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


def login(session: requests.Session, base: str, username: str, password: str = PASSWORD) -> requests.Response:
    page = session.get(base + "/login")
    return session.post(
        base + "/login",
        data={"_csrf": csrf_token(page.text), "username": username, "password": password, "next": "/"},
        allow_redirects=True,
    )


class SMTPServer:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.messages = []  # (mail_from, rcpt_tos, content)
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int, seconds: float = 30) -> bool:
        deadline = time.time() + seconds
        while time.time() < deadline and len(self.messages) < count:
            time.sleep(0.2)
        return len(self.messages) >= count


@pytest.fixture
def smtp():
    server = SMTPServer()
    server.controller.start()
    yield server
    server.controller.stop()


def seed_reports(tmp_path, database: str, organisation: dict, analyst: str, reports: dict) -> None:
    """One organisation (with its assets and contacts) imported, an analyst made, and report files
    ingested ({file name: content}) with the command line, as an operator would."""
    constituency = tmp_path / "constituency.json"
    constituency.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": [organisation]}))
    imported = run_cli("constituency", "import", str(constituency), "--database", database)
    assert imported.returncode == 0, imported.stderr
    made = run_cli("user", "create", analyst, "--role", "analyst", "--password-stdin", "--database", database, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    for name, content in reports.items():
        report = tmp_path / name
        report.write_text(content)
        ingested = run_cli("ingest", str(report), "--database", database)
        assert ingested.returncode == 0, ingested.stderr


def constituent_secrets(database: str) -> list:
    """Every name, address and indicator of the demo's constituency and events that must never be in a
    public edition: organisation and contact names, e-mail addresses, prefixes, domains, event addresses."""
    db = sqlite3.connect(database)
    secrets = {row[0] for row in db.execute("SELECT name FROM organisations")}
    for name, email in db.execute("SELECT name, email FROM contacts"):
        secrets.add(email)
        if len(name) >= 5:
            secrets.add(name)
    for kind, value in db.execute("SELECT kind, value FROM assets"):
        if kind == "prefix":
            secrets.add(value.split("/")[0])
        elif kind == "domain":
            secrets.add(value)
    secrets |= {row[0] for row in db.execute("SELECT DISTINCT source_ip FROM events WHERE source_ip IS NOT NULL")}
    db.close()
    return sorted(s for s in secrets if s)
