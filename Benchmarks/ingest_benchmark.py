#!/usr/bin/env python3
"""Times `confianza ingest` end to end on a synthetic Shadowserver scan_dns report.

    python3 Benchmarks/ingest_benchmark.py                     # N = 1,000,000 rows into SQLite
    python3 Benchmarks/ingest_benchmark.py --rows 10000000     # peak memory at N = 10,000,000
    python3 Benchmarks/ingest_benchmark.py --postgres postgres://…/db   # also into PostgreSQL
    python3 Benchmarks/ingest_benchmark.py --rows 1000000 --days 10 --retention-days 3   # then time retention
    python3 Benchmarks/ingest_benchmark.py --rows 200000 --postgres postgres://…/postgres --ingesters 2   # one vs two processes
    python3 Benchmarks/ingest_benchmark.py --rows 10000000 --days 10 --files 10 --pages   # a day per file, then the events pages

The report has N rows, 5 % of them exact repeats of an earlier row, with addresses spread over a
constituency of 100,000 prefixes (imported first, not timed). Prints lines per second and the peak
resident memory of the `confianza ingest` process. The same generator can feed IntelMQ for comparison.

With `--days D` the rows are spread evenly over the D days before today. With `--retention-days K`
(at most D) a tenth of the rows (or `--outside F` of them) fall outside the constituency (no incident
holds them) and, after the ingest, `confianza retention run` is timed with a policy that takes the oldest K days of those away
(events routed to an organisation join incidents, whose evidence retention keeps).

With `--files F` the rows (over `--days`) are written as F files of consecutive days, ingested one after
the other, each timed: the first file's rate against the last one's shows whether ingest slows as the
store grows. With `--pages` the events page is then served (`confianza serve`) and timed with each of
its filters (none, organisation, network, AS, a day, a second page), 30 times each, printing the median
and 95th percentile of the time to the whole answer (needs `requests`).

With `--ingesters K` and `--postgres URL` the rows are split into K files (one per day) and ingested into
fresh databases made on that server (the URL's user must be allowed to create databases): once by one
process reading the K files in turn, then by K processes at once, each its own file. Both print events/s.
"""
import threading
import uuid
from urllib.parse import urlparse, urlunparse
import datetime
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_binary() -> str:
    print("building confianza in release mode (the first time takes several minutes)…", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "confianza", "--scratch-path", ".build-release"], cwd=ROOT, check=True)
    path = subprocess.run(["swift", "build", "-c", "release", "--scratch-path", ".build-release", "--show-bin-path"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "confianza")


def prefixes(count: int):
    """`count` distinct /25 networks in 10.0.0.0/8 (131,072 available)."""
    rng = random.Random(2026)
    chosen = rng.sample(range(131072), count)
    return [(10 << 24) | (n << 7) for n in chosen]


def write_constituency(path: Path, networks):
    organisations = []
    per = 100
    for i in range(0, len(networks), per):
        block = networks[i:i + per]
        organisations.append({
            "name": f"Organisation {i // per:05d}", "sector": "other", "country": "UY", "kind": "private",
            "assets": [{"kind": "prefix", "value": f"{n >> 24}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}/25"} for n in block],
        })
    path.write_text(json.dumps({"format": "confianza-constituency", "version": 1, "organisations": organisations}))


def constituency_file(work: Path, count: int):
    """The benchmark's constituency of `count` prefixes, written to `work`; returns the networks and the file."""
    networks = prefixes(count)
    path = work / "constituency.json"
    write_constituency(path, networks)
    return networks, path


def write_report(path: Path, rows: int, networks, days: int = 1, outside: float = 0.0, first_day=None, seed: int = 130):
    rng = random.Random(seed)
    if first_day is None:
        first_day = datetime.date.today() - datetime.timedelta(days=days) if days > 1 else datetime.date(2024, 5, 1)
    header = '"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","hostname_source","sector","dns_version","min_amplification"\n'
    recent = []
    with path.open("w", buffering=1 << 20) as out:
        out.write(header)
        for i in range(rows):
            if recent and rng.random() < 0.05:
                line = recent[rng.randrange(len(recent))]
            else:
                if outside and rng.random() < outside:
                    n = (198 << 24) | (18 << 16) | rng.randrange(1, 65535)  # 198.18.0.0/15: nobody's in the constituency
                else:
                    n = networks[rng.randrange(len(networks))] | rng.randrange(1, 127)
                ip = f"{n >> 24}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
                second = i % 86400
                day = first_day + datetime.timedelta(days=i * days // rows)
                line = (f'"{day.isoformat()} {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}","medium","{ip}","udp",53,'
                        f'"host-{i}.example.net","openresolver",{64500 + i % 16},"UY","MONTEVIDEO","MONTEVIDEO",517311,"rdns",'
                        f'"Communications, Service Provider, and Hosting Service","dnsmasq-2.{i % 90}","{rng.uniform(1, 60):.4f}"\n')
                if len(recent) < 10000:
                    recent.append(line)
                else:
                    recent[rng.randrange(10000)] = line
            out.write(line)


MEASURE = """
import resource, subprocess, sys, json, time
started = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.perf_counter() - started
print(json.dumps({"code": result.returncode, "out": result.stdout, "err": result.stderr, "seconds": elapsed,
                  "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def run(binary, args, env=None):
    """Runs confianza in a fresh process of its own, so its peak memory is its alone."""
    measured = subprocess.run([sys.executable, "-c", MEASURE, binary, *args], capture_output=True, text=True, env=env, check=True)
    result = json.loads(measured.stdout)
    if result["code"] != 0:
        sys.exit(f"confianza {' '.join(args)} failed: {result['err']}")
    return result["out"], result["seconds"], result["peak_kib"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--prefixes", type=int, default=100_000)
    parser.add_argument("--binary", help="a release build of confianza (default: build one)")
    parser.add_argument("--postgres", help="also ingest into this PostgreSQL database URL")
    parser.add_argument("--days", type=int, default=1, help="spread the rows over this many days before today")
    parser.add_argument("--retention-days", type=int, default=0, help="then time retention taking the oldest K days away")
    parser.add_argument("--ingesters", type=int, default=0, help="with --postgres: compare one ingest process with this many")
    parser.add_argument("--outside", type=float, help="share of rows outside the constituency (default 0.1 with --retention-days, else 0)")
    parser.add_argument("--files", type=int, default=1, help="write the rows as this many files of consecutive days, ingested in turn")
    parser.add_argument("--pages", action="store_true", help="then time the events page and its filters (SQLite)")
    options = parser.parse_args()
    if options.ingesters:
        if not options.postgres or options.ingesters < 2:
            parser.error("--ingesters needs --postgres and a number from 2")
        return compare_ingesters(options)
    if options.retention_days and not 1 <= options.retention_days <= options.days:
        parser.error("--retention-days must be from 1 to --days")
    binary = options.binary or build_binary()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIANZA_")}
    with tempfile.TemporaryDirectory(prefix="confianza-bench-") as work:
        work = Path(work)
        networks, constituency = constituency_file(work, options.prefixes)
        outside = options.outside if options.outside is not None else (0.1 if options.retention_days else 0.0)
        if options.files > 1:
            if options.days < options.files or options.days % options.files:
                parser.error("--days must be a multiple of --files")
            reports = []
            start = datetime.date.today() - datetime.timedelta(days=options.days)
            per_file = options.days // options.files
            for k in range(options.files):
                day = start + datetime.timedelta(days=k * per_file)
                path = work / f"{day.isoformat()}-scan_dns-bench.csv"
                print(f"writing {options.rows // options.files:,} rows to {path.name}…", flush=True)
                write_report(path, options.rows // options.files, networks, days=per_file, outside=outside, first_day=day, seed=130 + k)
                reports.append(path)
        else:
            reports = [work / "2024-05-01-scan_dns-bench.csv"]
            print(f"writing {options.rows:,} rows…", flush=True)
            write_report(reports[0], options.rows, networks, days=options.days, outside=outside)
        size = sum(report.stat().st_size for report in reports)
        targets = [("SQLite", str(work / "bench.db"))]
        if options.postgres:
            targets.append(("PostgreSQL", options.postgres))
        for name, database in targets:
            run(binary, ["constituency", "import", str(constituency), "--replace", "--database", database], env)
            totals = {"read": 0, "stored": 0, "duplicates": 0, "quarantined": 0}
            seconds, peak_kib, rates = 0.0, 0, []
            for report in reports:
                out, took, peak = run(binary, ["ingest", str(report), "--json", "--database", database], env)
                counts = json.loads(out)["counts"]
                for key in totals:
                    totals[key] += counts[key]
                seconds += took
                peak_kib = max(peak_kib, peak)
                rates.append(counts["read"] / took)
                if len(reports) > 1:
                    print(f"  {report.name}: {counts['read']:,} lines in {took:.1f} s, {rates[-1]:,.0f} events/s, peak {peak / 1024:.0f} MB", flush=True)
            counts = totals
            print(f"\n{name}: {options.rows:,} rows ({size / 1e6:.0f} MB), constituency of {options.prefixes:,} prefixes")
            print(f"  {counts['read']:,} lines read = {counts['stored']:,} stored + {counts['duplicates']:,} duplicates + {counts['quarantined']:,} quarantined")
            print(f"  ingest            {seconds:.1f} s")
            print(f"  throughput        {counts['read'] / seconds:,.0f} events/s")
            if len(rates) > 1:
                print(f"  last file / first {rates[-1] / rates[0]:.2f} ({rates[-1]:,.0f} against {rates[0]:,.0f} events/s)")
            print(f"  peak memory       {peak_kib / 1024:.0f} MB")
            if options.pages and name == "SQLite":
                time_event_pages(binary, database, env, work)
            if options.retention_days:
                size_before = os.path.getsize(database) if name == "SQLite" else None
                keep = options.days - options.retention_days
                policy = f"events={keep}d" if keep else "events=1d"
                out, seconds, _ = run(binary, ["retention", "run", "--retention", policy, "--json", "--database", database], env)
                taken = json.loads(out)
                print(f"  retention         {taken['events']:,} events of the oldest {options.retention_days} days taken away in {seconds:.1f} s "
                      f"({taken['events'] / max(seconds, 1e-9):,.0f} events/s); {taken['eventsKeptAsEvidence']:,} kept as incident evidence")
                if size_before is not None:
                    print(f"  database file     {size_before / 1e6:,.0f} MB before, {os.path.getsize(database) / 1e6:,.0f} MB after "
                          f"(SQLite keeps freed pages for new rows)")


def time_event_pages(binary, database, env, work: Path, repeats: int = 30):
    """Serves the database and times the events page with each filter, signed in as an analyst."""
    import sqlite3
    import requests

    with sqlite3.connect(database) as db:
        organisation = db.execute(
            "SELECT organisation_id FROM assets WHERE kind = 'prefix' ORDER BY value LIMIT 1 OFFSET 500").fetchone()[0]
        network = db.execute("SELECT value FROM assets WHERE kind = 'prefix' ORDER BY value LIMIT 1 OFFSET 700").fetchone()[0]
        middle = db.execute("SELECT first_seen FROM events ORDER BY id LIMIT 1 OFFSET 1000").fetchone()[0]
    day = datetime.datetime.fromtimestamp(middle / 1000, datetime.timezone.utc).date()
    password = "pw-" + uuid.uuid4().hex
    subprocess.run([binary, "user", "create", "bench", "--role", "analyst", "--password-stdin", "--database", database],
                   input=password + "\n", text=True, check=True, capture_output=True, env=env)
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(work / "serve.log", "w")
    server = subprocess.Popen([binary, "serve", "--database", database, "--port", str(port), "--log-level", "warning"],
                              stdout=log, stderr=log, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        for _ in range(600):
            try:
                page = session.get(base + "/login", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
        session.post(base + "/login", data={"_csrf": token, "username": "bench", "password": password, "next": "/"}, timeout=30)
        pages = [
            ("newest", "/events"),
            ("organisation", f"/events?organisation={organisation}"),
            ("network", f"/events?ip={network}"),
            ("AS", "/events?asn=64503"),
            ("a day", f"/events?from={day.isoformat()}&to={(day + datetime.timedelta(days=1)).isoformat()}"),
            ("second page", f"/events?organisation={organisation}&offset=100"),
        ]
        print(f"  events page, {repeats} requests each (time to the whole answer):")
        for label, path in pages:
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                answer = session.get(base + path, timeout=60)
                times.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 200 or "/login" in answer.url:
                    sys.exit(f"{path} answered {answer.status_code} at {answer.url}")
            times.sort()
            print(f"    {label:<13} median {times[len(times) // 2]:7.1f} ms   p95 {times[int(len(times) * 0.95) - 1]:7.1f} ms   "
                  f"{len(answer.content) / 1024:.0f} KB", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)


def psql(url, sql):
    parsed = urlparse(url)
    subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", parsed.hostname, "-p", str(parsed.port or 5432), "-U",
                    parsed.username or "postgres", "-d", parsed.path.lstrip("/") or "postgres", "-c", sql], check=True,
                   env={**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})})


def compare_ingesters(options):
    binary = options.binary or build_binary()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIANZA_")}
    with tempfile.TemporaryDirectory(prefix="confianza-bench-") as work:
        work = Path(work)
        networks, constituency = constituency_file(work, options.prefixes)
        per = options.rows // options.ingesters
        files = []
        for k in range(options.ingesters):
            path = work / f"2024-05-{k + 1:02d}-scan_dns-bench.csv"
            write_report(path, per, networks, first_day=datetime.date(2024, 5, k + 1))
            files.append(path)
        print(f"{options.ingesters} files of {per:,} rows, constituency of {options.prefixes:,} prefixes, PostgreSQL")
        results = {}
        for mode in ("one process", f"{options.ingesters} processes"):
            name = "confianza_bench_" + uuid.uuid4().hex[:10]
            psql(options.postgres, f"CREATE DATABASE {name}")
            database = urlunparse(urlparse(options.postgres)._replace(path="/" + name))
            try:
                run(binary, ["constituency", "import", str(constituency), "--replace", "--database", database], env)
                started = time.perf_counter()
                if mode == "one process":
                    run(binary, ["ingest", *map(str, files), "--json", "--database", database], env)
                else:
                    errors = []
                    def one(path):
                        try:
                            run(binary, ["ingest", str(path), "--json", "--database", database], env)
                        except SystemExit as error:
                            errors.append(str(error))
                    threads = [threading.Thread(target=one, args=(path,)) for path in files]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()
                    if errors:
                        sys.exit(errors[0])
                seconds = time.perf_counter() - started
                results[mode] = per * options.ingesters / seconds
                print(f"  {mode:<14} {seconds:.1f} s, {results[mode]:,.0f} events/s")
            finally:
                psql(options.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        one, many = results.values()
        print(f"  gain           {many / one:.2f}x")


if __name__ == "__main__":
    main()
