"""Two `confianza serve` processes on one PostgreSQL share logins: a session made on one is valid on the
other, and signing out on either ends it on both."""
import os
import subprocess
import uuid
from urllib.parse import urlparse, urlunparse

import pytest
import requests

from conftest import PASSWORD, Server, csrf_token, free_port, login, run_cli

POSTGRES = os.environ.get("CONFIANZA_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES, reason="CONFIANZA_TEST_POSTGRES_URL is not set")


@pytest.fixture
def postgres_db():
    name = "confianza_i_" + uuid.uuid4().hex[:12]
    admin = urlparse(POSTGRES)
    psql = ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", admin.hostname, "-p", str(admin.port), "-U", admin.username or "postgres",
            "-d", admin.path.lstrip("/") or "postgres"]
    subprocess.run([*psql, "-c", f"CREATE DATABASE {name}"], check=True)
    yield urlunparse(admin._replace(path="/" + name))
    subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)


def test_a_session_made_on_one_server_is_valid_on_the_other(postgres_db):
    created = run_cli("user", "create", "ana", "--role", "analyst", "--password-stdin", "--database", postgres_db, stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    first = Server(postgres_db, free_port())
    second = Server(postgres_db, free_port())
    try:
        assert requests.get(first.url + "/healthz", timeout=10).json()["database"] == "postgres"
        on_first = requests.Session()
        assert "Welcome" in login(on_first, first.url, "ana").text

        on_second = requests.Session()
        on_second.cookies.set("confianza_session", on_first.cookies["confianza_session"])
        home = on_second.get(second.url + "/", allow_redirects=False)
        assert home.status_code == 200 and "Welcome, ana." in home.text

        out = on_second.post(second.url + "/logout", data={"_csrf": csrf_token(home.text)}, allow_redirects=False)
        assert out.status_code == 303
        assert on_first.get(first.url + "/", allow_redirects=False).status_code == 303
    finally:
        codes = [first.stop()[0], second.stop()[0]]
    assert codes == [0, 0]
