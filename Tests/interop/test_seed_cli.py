"""`confianza seed`: a national-style dataset in an empty database, at a size the test can afford; a
database that already holds data is refused and left as it was."""
import sqlite3

from conftest import run_cli


def test_seed_fills_an_empty_database_and_refuses_a_full_one(tmp_path):
    database = str(tmp_path / "seeded.db")
    made = run_cli("seed", "--organisations", "60", "--incidents", "400", "--events", "900", "--days", "5", "--database", database, timeout=300)
    assert made.returncode == 0, made.stderr
    assert "60 organisations" in made.stdout and "400 incidents" in made.stdout, made.stdout
    db = sqlite3.connect(database)
    assert db.execute("SELECT COUNT(*) FROM organisations").fetchone()[0] == 60
    assert db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 120
    assert db.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] == 400
    assert db.execute("SELECT COUNT(DISTINCT status) FROM incidents").fetchone()[0] == 6
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'sent'").fetchone()[0] > 50
    events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert 800 <= events <= 900, events
    assert db.execute("SELECT COUNT(*) FROM events WHERE organisations <> ''").fetchone()[0] > events // 2, "most events are routed"
    db.close()
    again = run_cli("seed", "--organisations", "5", "--incidents", "5", "--events", "0", "--database", database)
    assert again.returncode != 0 and "already holds" in again.stderr
    assert sqlite3.connect(database).execute("SELECT COUNT(*) FROM organisations").fetchone()[0] == 60
    bad = run_cli("seed", "--scale", "galactic", "--database", str(tmp_path / "other.db"))
    assert bad.returncode != 0 and "--scale" in bad.stderr
