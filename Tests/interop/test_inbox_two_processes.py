"""Two `confianza serve --inbox` processes on one PostgreSQL share one inbox: each file is ingested exactly
once, and when the process reading a file is killed (`kill -9`) the other one goes on from the run's
checkpoint, ending as one uninterrupted ingest would."""
import os
import signal
import sqlite3
import subprocess
import time
import uuid
from urllib.parse import urlparse, urlunparse

import pytest

from conftest import Server, free_port, run_cli
from test_ingest_cli import REPORTS, big_report, ingest, write

POSTGRES = os.environ.get("CONFIANZA_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES, reason="CONFIANZA_TEST_POSTGRES_URL is not set")


def psql_args(url):
    parsed = urlparse(url)
    return ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-At", "-F", "|", "-h", parsed.hostname, "-p", str(parsed.port),
            "-U", parsed.username or "postgres", "-d", parsed.path.lstrip("/") or "postgres"]


def query(url, sql):
    result = subprocess.run([*psql_args(url), "-c", sql], check=True, capture_output=True, text=True)
    return [line.split("|") for line in result.stdout.splitlines() if line]


@pytest.fixture
def postgres_db():
    name = "confianza_inbox_" + uuid.uuid4().hex[:12]
    subprocess.run([*psql_args(POSTGRES), "-c", f"CREATE DATABASE {name}"], check=True)
    yield urlunparse(urlparse(POSTGRES)._replace(path="/" + name))
    subprocess.run([*psql_args(POSTGRES), "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)


def drop(inbox, name, header, rows):
    """Writes a file as rsync does: under a temporary name, then renamed into the inbox."""
    partial = inbox / f".{name}.tmp"
    write(partial, header, rows)
    partial.rename(inbox / name)


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s")


def test_two_servers_share_an_inbox_and_one_finishes_what_the_other_was_reading(postgres_db, tmp_path):
    assert run_cli("migrate", "--database", postgres_db).returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # The reports are from 2024: retention (first look a minute after start) would take them away
    # while the test reads them, so these servers keep events.
    servers = [Server(postgres_db, free_port(), extra=("--inbox", str(inbox), "--retention", "events=keep")) for _ in range(2)]
    try:
        # Eight small files dropped at once: each ingested exactly once, by one of the two.
        header, row = REPORTS["scan_dns"]
        for f in range(8):
            drop(inbox, f"2024-05-0{f + 1}-scan_dns-uy.csv", header, [row.format(s=i, n=f * 20 + i + 1) for i in range(20)])
        wait_for(lambda: len(list((inbox / "done").glob("*.csv"))) == 8, 90, "eight files in done/")
        runs = query(postgres_db, "SELECT file_name, lines_read, events_stored, duplicates, quarantined, finished_at IS NOT NULL, takeovers "
                                  "FROM ingest_runs ORDER BY file_name")
        assert len(runs) == 8
        assert all(r[1:] == ["20", "20", "0", "0", "t", "0"] for r in runs), runs
        assert query(postgres_db, "SELECT COUNT(*), SUM(count) FROM events") == [["160", "160"]]
        assert not list((inbox / "failed").iterdir())

        # A big file: whoever reads it is killed in the middle; the other goes on with it.
        report = tmp_path / "2024-05-10-scan_dns-big.csv"
        big_report(report, 60000)
        reference = str(tmp_path / "reference.db")
        [whole] = ingest(reference, report)
        partial = inbox / f".{report.name}.tmp"
        partial.write_bytes(report.read_bytes())
        partial.rename(inbox / report.name)

        def reading():
            rows = query(postgres_db, f"SELECT lease_owner, lines_read FROM ingest_runs WHERE file_name = '{report.name}' AND finished_at IS NULL")
            return rows[0] if rows and rows[0][0] and int(rows[0][1]) >= 5000 else None
        wait_for(lambda: reading() is not None, 90, "a server reading the big file")
        owner, read_so_far = reading()
        pid = int(owner.split("/")[1])
        victim = next(s for s in servers if s.process.pid == pid)
        survivor = next(s for s in servers if s is not victim)
        os.kill(pid, signal.SIGKILL)
        victim.process.wait()
        assert int(read_so_far) < 60000, "killed in the middle"

        wait_for(lambda: (inbox / "done" / report.name).exists(), 120, "the big file finished by the other server")
        [[read, stored, duplicates, quarantined, finished, takeovers, lease]] = query(
            postgres_db, "SELECT lines_read, events_stored, duplicates, quarantined, finished_at IS NOT NULL, takeovers, "
                         f"COALESCE(lease_owner, '') FROM ingest_runs WHERE file_name = '{report.name}'")
        counts = whole["counts"]
        assert [int(read), int(stored), int(duplicates), int(quarantined)] == \
            [counts["read"], counts["stored"], counts["duplicates"], counts["quarantined"]]
        assert finished == "t" and takeovers == "1" and lease == ""
        with sqlite3.connect(reference) as db:
            expected_events = db.execute("SELECT COUNT(*), SUM(count) FROM events").fetchone()
        assert query(postgres_db, "SELECT COUNT(*), SUM(count) FROM events") == \
            [[str(expected_events[0] + 160), str(expected_events[1] + 160)]]
        assert not list((inbox / "processing").iterdir()) and not list((inbox / "failed").iterdir())
        assert "inbox file failed" not in survivor.errors() + survivor.output()
    finally:
        codes = [server.stop()[0] for server in servers]
    assert codes.count(0) == 1, codes
