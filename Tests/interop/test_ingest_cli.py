"""`confianza ingest` as an operator runs it: real-shaped Shadowserver files of every listed type,
accounting for every line, nothing new the second time, and kill -9 in the middle of a run."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from conftest import binary, run_cli

REPORTS = {
    "scan_dns": ('"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","hostname_source","sector","dns_version","min_amplification"',
                 '"2024-05-01 00:14:{s:02d}","medium","198.51.100.{n}","udp",53,"host-{n}.example.net","openresolver",64500,"UY","MONTEVIDEO","MONTEVIDEO",517311,"rdns","Communications, Service Provider, and Hosting Service","dnsmasq-2.66","4.6190"'),
    "scan_ssl": ('"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","hostname_source","sector","handshake","cipher_suite","ssl_poodle","set_cookie"',
                 '"2024-05-01 01:00:{s:02d}","info","198.51.100.{n}","tcp",443,,"ssl-freak",64500,"UY",,,,,,"TLSv1.0","TLS_RSA_WITH_RC4_128_SHA","Y","a=1, b=""2"""'),
    "scan_ntp": ('"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city","version","clock","error","frequency","peer","refid","reftime","stability","stratum","system","sector"',
                 '"2024-05-01 02:00:{s:02d}","198.51.100.{n}","udp",123,,"ntpversion",64500,"UY",,,4,,,,,,,,2,"UNIX",'),
    "scan_snmp": ('"timestamp","ip","protocol","port","hostname","sysdesc","sysname","asn","geo","region","city","version","naics","sector"',
                  '"2024-05-01 03:00:{s:02d}","198.51.100.{n}","udp",161,,"Linux router 4.4","gw",64500,"UY",,,"2c",,'),
    "event4_sinkhole": ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector","device_vendor","device_type","device_model","severity","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection","family","tag","application","version","event_id","ssl_cipher","ssl_servername"',
                        '"2024-05-01 03:00:{s:02d}","tcp","198.51.100.{n}",49152,64501,"UY",,,,,,,,,"critical","203.0.113.10",80,64510,"US","CALIFORNIA","FREMONT",,518210,,,"andromeda","andromeda",,,,,,'),
    "event4_sinkhole_http": ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector","device_vendor","device_type","device_model","severity","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection","family","tag","application","version","event_id","http_url","http_host","http_agent","forwarded_by","ssl_cipher","http_referer","ssl_servername","machine_name"',
                             '"2024-05-01 04:00:{s:02d}","tcp","198.51.100.{n}",50000,64500,"UY",,,,,,,,,"critical","203.0.113.20",80,64510,"US",,,,,,,"necurs","necurs",,"http",,,"/gate.php","cnc.example","Mozilla/4.0",,,,,'),
    "event4_honeypot_brute_force": ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector","device_vendor","device_type","device_model","severity","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection","family","tag","application","version","event_id","service","start_time","end_time","client_version","username","password"',
                                    '"2024-05-01 05:00:{s:02d}","tcp","198.51.100.{n}",40000,64500,"UY",,,,,,,,,"critical","203.0.113.30",22,64510,"US",,,,,,,,,,,,,"ssh","2024-05-01 04:59:00","2024-05-01 05:00:00","SSH-2.0-libssh","root","123456"'),
    "blocklist": ('"timestamp","ip","asn","geo","region","city","naics","sector","source","reason"',
                  '"2024-05-01 06:00:{s:02d}","198.51.100.{n}",64500,"UY",,,,,"example-list","spam source"'),
    "device_id": ('"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","sector","device_vendor","device_type","device_model","device_version"',
                  '"2024-05-01 07:00:{s:02d}","info","198.51.100.{n}","tcp",8291,,"mikrotik",64500,"UY",,,,,"MikroTik","router","RB750",'),
    "scan6_dns": ('"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","hostname_source","sector","dns_version","min_amplification"',
                  '"2024-05-01 08:00:{s:02d}","medium","2001:db8::{n:x}","udp",53,,"openresolver",64500,"UY",,,,,,,"2.1"'),
}


def write(path, header, rows):
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode())


def ingest(database, *files, extra=()):
    result = run_cli("ingest", *map(str, files), "--json", "--database", database, *extra)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_every_listed_report_type_is_ingested_and_accounted(tmp_path, sqlite_db):
    files = []
    for report, (header, row) in REPORTS.items():
        rows = [row.format(s=i, n=i + 1) for i in range(10)] + [row.format(s=0, n=1)]  # one exact repeat
        rows.append(row.format(s=1, n=2).replace("198.51.100.2", "198.51.100.999").replace("2001:db8::2", "2001:db8::zz"))
        path = tmp_path / f"2024-05-01-{report}-uy-sample.csv"
        write(path, header, rows)
        files.append(path)
    summaries = ingest(sqlite_db, *files)
    assert len(summaries) == len(REPORTS)
    for summary in summaries:
        counts = summary["counts"]
        assert counts == {"read": 12, "stored": 10, "duplicates": 1, "quarantined": 1}, summary
    with sqlite3.connect(sqlite_db) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 10 * len(REPORTS)
        kinds = dict(db.execute("SELECT feed, type FROM events GROUP BY feed"))
        assert kinds["Sinkhole-Events IPv4"] == "infected-system" and kinds["Honeypot-Brute-Force-Events"] == "brute-force"
        reasons = [r for (r,) in db.execute("SELECT reason FROM quarantine")]
        assert all("not an IP address" in r for r in reasons), reasons

    again = ingest(sqlite_db, *files)
    assert all(s["alreadyIngested"] for s in again)


def test_an_unknown_report_is_quarantined_whole(tmp_path, sqlite_db):
    path = tmp_path / "2024-05-01-brand_new_report-uy.csv"
    write(path, '"timestamp","ip"', ['"2024-05-01 00:00:00","198.51.100.1"', '"2024-05-01 00:00:01","198.51.100.2"'])
    [summary] = ingest(sqlite_db, path)
    assert summary["counts"] == {"read": 2, "stored": 0, "duplicates": 0, "quarantined": 2}


def big_report(path, rows):
    header, row = REPORTS["scan_dns"]
    rng = random.Random(7)
    lines = []
    for i in range(rows):
        if i and rng.random() < 0.05:
            lines.append(lines[rng.randrange(len(lines))])
        else:
            lines.append(row.format(s=i % 60, n=i % 250 + 1).replace("host-", f"h{i}-"))
    write(path, header, lines)


def state(database):
    with sqlite3.connect(database) as db:
        run = db.execute("SELECT lines_read, events_stored, duplicates, quarantined, finished_at IS NOT NULL FROM ingest_runs").fetchall()
        events = db.execute("SELECT COUNT(*), SUM(count) FROM events").fetchone()
    return run, events


def test_kill_9_in_the_middle_then_restart_ends_as_an_uninterrupted_run(tmp_path):
    report = tmp_path / "2024-05-01-scan_dns-big.csv"
    big_report(report, 30000)
    whole = str(tmp_path / "whole.db")
    ingest(whole, report, extra=("--batch-size", "200"))

    killed = str(tmp_path / "killed.db")
    assert run_cli("migrate", "--database", killed).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIANZA_")}
    process = subprocess.Popen([binary(), "ingest", str(report), "--database", killed, "--batch-size", "200"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    # Kill it once some batches are stored, before it finishes.
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.02)
        try:
            with sqlite3.connect(killed, timeout=1) as db:
                row = db.execute("SELECT lines_read FROM ingest_runs").fetchone()
        except sqlite3.OperationalError:
            continue
        if row and row[0] >= 1000:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    interrupted = state(killed)
    assert interrupted[0][0][4] == 0, "the run was cut short before it finished"

    [resumed] = ingest(killed, report, extra=("--batch-size", "200"))
    assert resumed["resumedAfterLine"] > 0
    assert state(killed) == state(whole)


def test_serve_with_an_inbox_ingests_dropped_files_and_moves_them(admin_db, tmp_path):
    from conftest import Server, free_port
    inbox = tmp_path / "inbox"
    server = Server(admin_db, free_port(), extra=("--inbox", str(inbox)))
    try:
        header, row = REPORTS["scan_dns"]
        partial = inbox / ".2024-05-01-scan_dns-uy.csv.tmp"  # as rsync writes it, then renames
        write(partial, header, [row.format(s=i, n=i + 1) for i in range(5)])
        partial.rename(inbox / "2024-05-01-scan_dns-uy.csv")
        (inbox / "notes.txt").write_text("not a report\n")
        deadline = time.time() + 30
        while time.time() < deadline and not (inbox / "done" / "2024-05-01-scan_dns-uy.csv").exists():
            time.sleep(0.2)
        assert (inbox / "done" / "2024-05-01-scan_dns-uy.csv").exists()
        assert not (inbox / "2024-05-01-scan_dns-uy.csv").exists()
        while time.time() < deadline and not (inbox / "done" / "notes.txt").exists():
            time.sleep(0.2)
        with sqlite3.connect(admin_db) as db:
            runs = dict(db.execute("SELECT file_name, events_stored FROM ingest_runs"))
        assert runs["2024-05-01-scan_dns-uy.csv"] == 5
        assert runs["notes.txt"] == 0, "a file that is no report is accounted (quarantined), not lost"
    finally:
        code, _, err = server.stop()
    assert code == 0, err


FIXTURES = Path(__file__).resolve().parent.parent / "ConfianzaFeedsTests" / "Fixtures"


def test_abuse_reports_by_mail_and_xarf_json_are_recognised_routed_and_accounted(tmp_path, sqlite_db):
    """ARF, X-ARF 0.2 and XARF v4 files as a mail filter drops them: no --format, guessed per file."""
    constituency = tmp_path / "constituency.json"
    constituency.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": [
        {"name": "Example ISP", "sector": "telecom", "country": "UY", "kind": "private",
         "assets": [{"kind": "prefix", "value": "192.0.2.0/24"}, {"kind": "domain", "value": "example.org"}]}]}))
    assert run_cli("constituency", "import", str(constituency), "--database", sqlite_db).returncode == 0
    expected = {
        "xarf-0.2-login-attack.eml": {"read": 1, "stored": 1, "duplicates": 0, "quarantined": 0},
        "arf-rfc5965-abuse.eml": {"read": 1, "stored": 1, "duplicates": 0, "quarantined": 0},
        "arf-rfc6591-auth-failure.eml": {"read": 1, "stored": 1, "duplicates": 0, "quarantined": 0},
        "xarf-v4-phishing.eml": {"read": 1, "stored": 1, "duplicates": 0, "quarantined": 0},
        "xarf-v4-login-attack.json": {"read": 1, "stored": 1, "duplicates": 0, "quarantined": 0},
        # The same X-ARF and ARF reports again (duplicates) and a message that is no report.
        "abuse-reports.mbox": {"read": 3, "stored": 0, "duplicates": 2, "quarantined": 1},
    }
    summaries = ingest(sqlite_db, *(FIXTURES / name for name in expected))
    assert {Path(s["file"]).name: s["counts"] for s in summaries} == expected
    assert {Path(s["file"]).name: s["format"] for s in summaries}["xarf-v4-login-attack.json"] == "xarf"
    with sqlite3.connect(sqlite_db) as db:
        rows = db.execute("SELECT type, source_ip, organisations != '' FROM events ORDER BY type, source_ip").fetchall()
        reasons = [r for (r,) in db.execute("SELECT reason FROM quarantine")]
    assert rows == [("brute-force", "192.0.2.55", 1), ("brute-force", "198.51.100.77", 0), ("masquerade", "192.0.2.200", 1),
                    ("phishing", None, 1), ("spam", "192.0.2.1", 1)]
    assert reasons == ["not an abuse report: no message/feedback-report part (ARF), no report.txt (X-ARF 0.2) and no XARF v4 JSON"]


def test_quarantined_rows_are_read_again_once_a_site_mapping_knows_the_report(tmp_path, sqlite_db):
    path = tmp_path / "2024-05-01-brand_new_report-uy.csv"
    write(path, '"timestamp","ip","port"', ['"2024-05-01 00:00:00","198.51.100.1",22', '"2024-05-01 00:00:01","198.51.100.2",23',
                                            '"2024-05-01 00:00:00","198.51.100.1",22', '"2024-05-01 00:00:02","nope",1'])
    [summary] = ingest(sqlite_db, path)
    assert summary["counts"] == {"read": 4, "stored": 0, "duplicates": 0, "quarantined": 4}

    shown = run_cli("quarantine", "show", path.name, "--json", "--database", sqlite_db)
    assert shown.returncode == 0, shown.stderr
    records = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [r["line"] for r in records] == [2, 3, 4, 5]
    assert "unknown Shadowserver report type 'brand_new_report'" in records[0]["reason"]

    mapping = tmp_path / "site-mapping.json"
    mapping.write_text(json.dumps({"reports": {"brand_new_report": {
        "feed": "Brand-New", "constant": {"classification.type": "vulnerable-system"},
        "required": {"timestamp": "time.source", "ip": "source.ip"}, "optional": {"port": "source.port"}, "severity": "low"}}}))
    result = run_cli("quarantine", "reprocess", summary["run"], "--json", "--shadowserver-mapping", str(mapping), "--database", sqlite_db)
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    assert (done["examined"], done["resolved"], done["stillQuarantined"]) == (4, 3, 1)
    assert done["counts"] == {"read": 4, "stored": 2, "duplicates": 1, "quarantined": 1}
    with sqlite3.connect(sqlite_db) as db:
        assert db.execute("SELECT COUNT(*), SUM(count) FROM events WHERE feed = 'Brand-New'").fetchone() == (2, 3)
        assert db.execute("SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone() == ("quarantine.reprocessed",)

    bad = run_cli("quarantine", "reprocess", "no-such-file.csv", "--database", sqlite_db)
    assert bad.returncode != 0 and "no ingest run of a file named no-such-file.csv" in bad.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"reports": {"x": {"feed": "X", "constant": {}, "required": {"ip": "source.nope"}, "optional": {}, "severity": "low"}}}')
    refused = run_cli("quarantine", "reprocess", summary["run"], "--shadowserver-mapping", str(broken), "--database", sqlite_db)
    assert refused.returncode != 0 and "'source.nope' is not a harmonization key" in refused.stderr


def test_events_export_writes_a_whole_search_for_scripts(tmp_path, sqlite_db):
    """`confianza events export`: the API export's filters and formats from the command line, streamed
    a page of the database at a time (issue 13's bridge into IntelMQ and n6; built on issue 12's
    streaming export)."""
    report = tmp_path / "2024-05-01-scan_dns-uy.csv"
    big_report(report, 4500)
    ingest(sqlite_db, report)
    with sqlite3.connect(sqlite_db) as db:
        stored = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    lines = run_cli("events", "export", "--database", sqlite_db)
    assert lines.returncode == 0, lines.stderr
    events = [json.loads(line) for line in lines.stdout.splitlines()]
    assert len(events) == stored and len(set(lines.stdout.splitlines())) == stored, "every event once"
    assert all(e["classification.type"] == "vulnerable-system" and "extra.confianza_count" in e for e in events)
    out = tmp_path / "some.csv"
    some = run_cli("events", "export", "--format", "csv", "--ip", "198.51.100.0/28", "--limit", "20", "--out", str(out), "--database", sqlite_db)
    assert some.returncode == 0 and "events written to" in some.stdout, some.stderr
    rows = out.read_text().splitlines()
    assert rows[0].startswith("time.source,feed.name") and 1 < len(rows) <= 21
    assert all("198.51.100." in row for row in rows[1:])
    stix = run_cli("events", "export", "--format", "stix", "--limit", "5", "--ceiling", "TLP:GREEN", "--database", sqlite_db)
    assert stix.returncode == 0 and json.loads(stix.stdout)["type"] == "bundle"
    for args, message in ((["--ip", "not-an-ip"], "--ip: ip must be an address or a network"), (["--type", "nonsense"], "--type: type 'nonsense'"),
                          (["--from", "2024-13-01"], "--from: from must be a day")):
        bad = run_cli("events", "export", *args, "--database", sqlite_db)
        assert bad.returncode != 0 and message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
