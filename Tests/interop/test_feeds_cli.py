"""`confianza feeds` with the real binary: a newer Shadowserver schema loaded without a release, feeds
fetched from a real HTTPS server with their failures explained and nothing half-ingested, secrets never
printed, and `feeds health` naming a silent feed."""
import json
import sqlite3
import time
import uuid

from conftest import ROOT, run_cli
from feed_servers import CA_FILE, REPORT, FeedServer

SCHEMA = ROOT / "Sources" / "ConfianzaFeeds" / "Resources" / "Feeds" / "shadowserver-schema.json"


def runs(database):
    with sqlite3.connect(database) as db:
        return db.execute("SELECT feed, format, lines_read, events_stored FROM ingest_runs ORDER BY started_at").fetchall()


def test_a_newer_shadowserver_schema_is_loaded_without_a_release(tmp_path, sqlite_db):
    report = tmp_path / "2026-06-01-scan_future-uruguay-geo.csv"
    report.write_bytes(REPORT)
    before = run_cli("ingest", str(report), "--database", sqlite_db)
    assert before.returncode == 0 and "1 quarantined" not in before.stdout
    assert "unknown Shadowserver report type 'scan_future'" in run_cli("quarantine", "show", report.name, "--database", sqlite_db).stdout

    schema = json.loads(SCHEMA.read_text())
    future = dict(schema["scan_dns"], feed_name="Accessible-Future", file_name="scan_future")
    schema["scan_future"] = future
    schema["_meta"] = {"date_created": "2030-01-01T00:00:00Z", "change_log": ["Added scan_future."]}
    newer = tmp_path / "intelmq.json"
    newer.write_text(json.dumps(schema))

    checked = run_cli("feeds", "shadowserver-schema", str(newer), "--check", "--database", sqlite_db)
    assert checked.returncode == 0, checked.stderr
    assert "Shadowserver schema 2030-01-01T00:00:00Z, 171 report types" in checked.stdout
    assert "1 new" in checked.stdout and "new: scan_future" in checked.stdout

    for bad, reason in [("<html><body>502 Bad Gateway</body></html>", "is not JSON"), ("[1, 2, 3]", "must be a JSON object of report types"),
                        ("", "is empty"), ('{"x": {"feed_name": "X"}}', "file_name must be a non-empty string")]:
        broken = tmp_path / "broken.json"
        broken.write_text(bad)
        refused = run_cli("feeds", "shadowserver-schema", str(broken), "--database", sqlite_db)
        assert refused.returncode != 0
        assert "broken.json" in refused.stderr and reason in refused.stderr, refused.stderr

    loaded = run_cli("feeds", "shadowserver-schema", str(newer), "--database", sqlite_db)
    assert loaded.returncode == 0, loaded.stderr
    again = run_cli("quarantine", "reprocess", report.name, "--database", sqlite_db)
    assert again.returncode == 0, again.stderr
    assert ("Accessible-Future", "shadowserver:scan_future") in [(f, fmt) for f, fmt, _, _ in runs(sqlite_db)] or \
        any(fmt == "shadowserver:scan_future" for _, fmt, _, _ in runs(sqlite_db))
    exported = run_cli("events", "export", "--database", sqlite_db)
    events = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(events) == 2 and all(e["classification.identifier"] == "dns-open-resolver" for e in events)


def test_feeds_are_fetched_and_their_failures_explained(tmp_path, sqlite_db):
    server = FeedServer({
        "/drop/2024-05-01-scan_dns-uruguay-geo.csv": REPORT,
        "/loop": (302, {"Location": "/loop2"}, b""),
        "/loop2": (302, {"Location": "/loop"}, b""),
        "/login": (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>Sign in</body></html>"),
        "/huge.csv": (200, {"Content-Type": "text/csv"}, b"x" * (2 * 1024 * 1024)),
    })
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t-token\n")
    try:
        def add(name, path, *extra):
            result = run_cli("feeds", "add", "--name", name, "--kind", "http", "--url", server.base + path, "--every", "1h", *extra,
                             "--database", sqlite_db)
            assert result.returncode == 0, result.stderr

        add("Scan", "/drop/2024-05-01-scan_dns-uruguay-geo.csv", "--secret-file", str(secret))
        add("Loop", "/loop")
        add("Login page", "/login")
        add("Huge", "/huge.csv", "--max-mb", "1")

        untrusted = run_cli("feeds", "run", "Scan", "--database", sqlite_db)
        assert untrusted.returncode == 1 and "TLS" in untrusted.stdout, untrusted.stdout + untrusted.stderr
        fetched = run_cli("feeds", "run", "Scan", "--ca-file", CA_FILE, "--database", sqlite_db)
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        assert "Scan: delivered, 1 runs" in fetched.stdout
        assert server.requests[-1][1].get("Authorization") == "Bearer s3cr3t-token"
        unchanged = run_cli("feeds", "run", "Scan", "--ca-file", CA_FILE, "--database", sqlite_db)
        assert "Scan: unchanged" in unchanged.stdout
        for name, reason in [("Loop", "redirects"), ("Login page", "answered an HTML page, not a feed"),
                             ("Huge", "larger than the feed's limit of 1048576 bytes")]:
            failed = run_cli("feeds", "run", name, "--ca-file", CA_FILE, "--database", sqlite_db)
            assert failed.returncode == 1, failed.stdout
            assert f"{name}: failed" in failed.stdout and reason in failed.stdout, failed.stdout
        assert runs(sqlite_db) == [("Scan", "shadowserver:scan_dns", 2, 2)], "nothing half-ingested from a failed fetch"

        listed = run_cli("feeds", "list", "--json", "--database", sqlite_db)
        feeds = {feed["name"]: feed for feed in json.loads(listed.stdout)}
        assert feeds["Scan"]["hasSecret"] is True and "s3cr3t" not in listed.stdout
        assert "redirects" in feeds["Loop"]["lastError"]
        missing = run_cli("feeds", "run", "Nope", "--database", sqlite_db)
        assert missing.returncode != 0 and "no feed named 'Nope'" in missing.stderr
        bad = run_cli("feeds", "add", "--name", "X", "--kind", "http", "--url", "file:///etc/passwd", "--database", sqlite_db)
        assert bad.returncode != 0 and "http:// or https://" in bad.stderr
        assert run_cli("feeds", "remove", "Loop", "--database", sqlite_db).returncode == 0
        assert "Loop" not in run_cli("feeds", "list", "--database", sqlite_db).stdout
    finally:
        server.stop()


def test_feeds_health_names_a_silent_feed(sqlite_db):
    assert run_cli("migrate", "--database", sqlite_db).returncode == 0
    now_ms = int(time.time() * 1000)
    with sqlite3.connect(sqlite_db) as db:
        for feed, days in [("Quiet", range(4, 9)), ("Busy", range(0, 4))]:
            for back in days:
                started = now_ms - back * 86_400_000
                db.execute(
                    "INSERT INTO ingest_runs (id, file_name, file_hash, format, feed, started_at, finished_at, lines_read, events_stored,"
                    " duplicates, quarantined, checkpoint_line, source) VALUES (?, ?, ?, 'intelmq', ?, ?, ?, 10, 10, 0, 0, 10, 'cli')",
                    (str(uuid.uuid4()).upper(), f"{feed}-{back}", uuid.uuid4().hex, feed, started, started + 1000))
    health = run_cli("feeds", "health", "--database", sqlite_db)
    assert health.returncode == 2, health.stdout + health.stderr
    lines = health.stdout.splitlines()
    assert any(line.startswith("SILENT Quiet:") for line in lines), health.stdout
    assert any(line.startswith("Busy:") and "40 events" in line for line in lines), health.stdout


def test_a_public_list_is_fetched_by_name_and_read_with_its_mapping(tmp_path, sqlite_db):
    drop = (ROOT / "Tests" / "ConfianzaFeedsTests" / "Fixtures" / "public" / "spamhaus-drop.txt").read_bytes()
    server = FeedServer({"/drop/drop.txt": (200, {"Content-Type": "text/plain"}, drop)})
    try:
        added = run_cli("feeds", "add", "--name", "DROP", "--kind", "http", "--url", server.base + "/drop/drop.txt",
                        "--format", "public:spamhaus-drop", "--database", sqlite_db)
        assert added.returncode == 0, added.stderr
        fetched = run_cli("feeds", "run", "DROP", "--ca-file", str(CA_FILE), "--database", sqlite_db)
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        events = [json.loads(line) for line in run_cli("events", "export", "--database", sqlite_db).stdout.splitlines()]
        assert sorted(e["source.network"] for e in events) == ["1.10.16.0/20", "2.56.192.0/22", "5.42.92.0/24"]
        assert {e["tlp"] for e in events} == {"TLP:CLEAR"} and {e["classification.type"] for e in events} == {"spam"}
        assert runs(sqlite_db)[-1][1] == "public:spamhaus-drop"
    finally:
        server.stop()

    # With no address, a public list's own is taken; an unknown list is refused naming the known ones.
    added = run_cli("feeds", "add", "--name", "OpenPhish", "--kind", "http", "--format", "public:openphish", "--database", sqlite_db)
    assert added.returncode == 0, added.stderr
    assert "https://openphish.com/feed.txt" in run_cli("feeds", "list", "--database", sqlite_db).stdout
    unknown = run_cli("feeds", "add", "--name", "X", "--kind", "http", "--url", "https://example.org/feed.txt", "--format", "public:openphishing",
                  "--database", sqlite_db)
    assert unknown.returncode != 0 and "public:openphishing" in unknown.stderr + unknown.stdout
