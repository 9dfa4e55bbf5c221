"""The command line as an operator meets it: first start, user management, clear one-line failures,
graceful shutdown, and the demo's printed login."""
import re
import sqlite3
import time

import requests

from conftest import PASSWORD, Server, free_port, login, run_cli


def one_clear_line(result):
    """A failure is one line on standard error, with no stack trace."""
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for noise in ("Backtrace", "Fatal error", "Stack dump", "at /", "PSQLError"):
        assert noise not in result.stderr, result.stderr
    return lines[0]


def test_unreachable_postgres_is_one_line_and_fails_fast():
    started = time.time()
    result = run_cli("serve", "--port", str(free_port()), "--database", "postgres://confianza@127.0.0.1:1/confianza?sslmode=disable",
                     "--connect-timeout", "5")
    line = one_clear_line(result)
    assert "cannot reach postgres://confianza@127.0.0.1:1/confianza" in line
    assert time.time() - started < 30


def test_database_file_that_cannot_be_created_is_one_line(tmp_path):
    line = one_clear_line(run_cli("serve", "--database", str(tmp_path / "missing" / "c.db")))
    assert "folder" in line and "does not exist" in line
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("plain text, not a database\n" * 100)
    assert "notes.db" in one_clear_line(run_cli("migrate", "--database", str(not_a_db)))


def test_a_database_from_a_newer_program_is_refused(sqlite_db):
    assert run_cli("migrate", "--database", sqlite_db).returncode == 0
    with sqlite3.connect(sqlite_db) as db:
        db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)")
    line = one_clear_line(run_cli("serve", "--database", sqlite_db, "--port", str(free_port())))
    assert "schema version 999" in line and "newer Confianza" in line


def test_bad_settings_are_named(sqlite_db, tmp_path):
    assert "port must be a port number" in one_clear_line(run_cli("serve", "--port", "http", "--database", sqlite_db))
    config = tmp_path / "confianza.json"
    config.write_text('{"databse": "x.db"}')
    assert "unknown setting 'databse'" in one_clear_line(run_cli("serve", "--config", str(config)))
    assert "CONFIANZA_PORT" in one_clear_line(run_cli("serve", "--database", sqlite_db, env_extra={"CONFIANZA_PORT": "0"}))


def test_first_start_without_users_keeps_the_web_ui_closed(sqlite_db):
    s = Server(sqlite_db, free_port())
    try:
        page = requests.get(s.url + "/", timeout=10)
        assert page.status_code == 503
        assert "confianza user create admin --role admin" in page.text
        assert requests.get(s.url + "/login", timeout=10).status_code == 503
    finally:
        code, _, err = s.stop()
    assert code == 0
    assert "no user exists yet" in err and "confianza user create admin --role admin" in err


def test_user_commands(sqlite_db):
    created = run_cli("user", "create", "admin", "--role", "admin", "--database", sqlite_db)
    assert created.returncode == 0, created.stderr
    password = re.search(r"Password: (\S+)", created.stdout).group(1)
    assert run_cli("user", "create", "ana", "--role", "analyst", "--display-name", "Ana García", "--password-stdin",
                   "--database", sqlite_db, stdin=PASSWORD + "\n").returncode == 0
    assert "already taken" in one_clear_line(run_cli("user", "create", "ana", "--role", "viewer", "--database", sqlite_db))
    assert "not acceptable" in one_clear_line(run_cli("user", "create", "bob", "--role", "viewer", "--password-stdin",
                                                      "--database", sqlite_db, stdin="short\n"))
    assert "last active admin" in one_clear_line(run_cli("user", "disable", "admin", "--database", sqlite_db))
    assert "no user named 'ghost'" in one_clear_line(run_cli("user", "disable", "ghost", "--database", sqlite_db))
    assert run_cli("user", "disable", "ana", "--database", sqlite_db).returncode == 0
    listing = run_cli("user", "list", "--database", sqlite_db).stdout
    assert re.search(r"ana\s+analyst\s+disabled\s+Ana García", listing), listing
    reset = run_cli("user", "reset-password", "admin", "--database", sqlite_db)
    new_password = re.search(r"Password: (\S+)", reset.stdout).group(1)
    assert new_password != password

    s = Server(sqlite_db, free_port())
    try:
        session = requests.Session()
        assert "Welcome" not in login(session, s.url, "admin", password).text
        assert "Welcome" in login(session, s.url, "admin", new_password).text
        assert "Welcome" not in login(requests.Session(), s.url, "ana").text, "disabled users cannot sign in"
    finally:
        assert s.stop()[0] == 0


def test_demo_serves_and_its_printed_login_works(tmp_path):
    port = free_port()
    demo = Server(str(tmp_path / "confianza-demo.db"), port, command="demo")
    try:
        username, password = demo.demo_login()
        assert f"http://127.0.0.1:{port}" in demo.output()
        session = requests.Session()
        home = login(session, demo.url, username, password)
        assert home.status_code == 200 and "Demo administrator" in home.text
        users = session.get(demo.url + "/admin/users").text
        for name in ("ana.garcia", "kwame.mensah", "former.analyst"):
            assert name in users
        audit = session.get(demo.url + "/admin/audit").text
        assert "login.failed" in audit and "user.disabled" in audit
    finally:
        assert demo.stop()[0] == 0


def test_demo_never_overwrites_a_database_it_did_not_make(admin_db):
    line = one_clear_line(run_cli("demo", "--database", admin_db, "--port", str(free_port())))
    assert "was not made by the demo" in line
    listing = run_cli("user", "list", "--database", admin_db).stdout.splitlines()
    assert [line.split()[0] for line in listing[1:]] == ["root"], "the database is untouched"
