#!/usr/bin/env python3
"""Times every page a user reaches from the navigation, on a national-size dataset.

    python3 Benchmarks/pages_benchmark.py                                  # seed --scale national into SQLite, then time
    python3 Benchmarks/pages_benchmark.py --scale tenth                    # a tenth of it (quicker)
    python3 Benchmarks/pages_benchmark.py --postgres postgres://…/postgres # seed a fresh PostgreSQL database instead
    python3 Benchmarks/pages_benchmark.py --database seeded.db             # time a database seeded before (`confianza seed`)
    python3 Benchmarks/pages_benchmark.py --demo                           # the small demo (`confianza demo`)

Signs in as an admin, then requests each page (the navigation's pages, their second page, a search, a
filter, one incident, one organisation) `--repeats` times after one warm-up request, and prints the
median and 95th percentile of the server's own time (its `Server-Timing` header: the time to make the
answer, without the network) and the size of the answer. `--json FILE` writes the figures too. Without
`--binary` it builds a release binary first (in `.build-release`).
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import requests

ROOT = Path(__file__).resolve().parent.parent
UUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"


def build_binary() -> str:
    print("building confianza in release mode (the first time takes several minutes)…", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "confianza", "--scratch-path", ".build-release"], cwd=ROOT, check=True)
    path = subprocess.run(["swift", "build", "-c", "release", "--scratch-path", ".build-release", "--show-bin-path"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout.strip()
    return path + "/confianza"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def psql(url, sql):
    parsed = urlparse(url)
    subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", parsed.hostname, "-p", str(parsed.port or 5432), "-U",
                    parsed.username or "postgres", "-d", parsed.path.lstrip("/") or "postgres", "-c", sql], check=True,
                   env={**os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {})})


def serve(binary, database, env, work: Path, command="serve"):
    port = free_port()
    log = open(work / f"{command}-{port}.log", "w")
    process = subprocess.Popen([binary, command, "--database", database, "--port", str(port), "--log-level", "warning"],
                               stdout=log, stderr=log, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        if process.poll() is not None:
            sys.exit(f"the server stopped: see {log.name}")
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return process, base, log.name
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    process.terminate()
    sys.exit("the server did not answer /healthz within two minutes")


def sign_in(base, username, password) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login", timeout=30)
    token = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    answer = session.post(base + "/login", data={"_csrf": token, "username": username, "password": password, "next": "/"}, timeout=30)
    if "/login" in answer.url:
        sys.exit(f"could not sign in as {username}")
    return session


def first(pattern, text):
    found = re.search(pattern, text)
    return found.group(1).replace("&amp;", "&") if found else None


def pages(session, base):
    """The pages to time: the navigation's, and from them a second page, a search, a filter, an incident, an organisation."""
    listed = [
        ("overview", "/"), ("constituency", "/constituency"), ("constituency search", "/constituency?q=banco"),
        ("feeds", "/feeds"), ("feed health", "/feeds/health"), ("collected feeds", "/feeds/sources"), ("events", "/events"),
        ("incidents", "/incidents"), ("incidents, all", "/incidents?status=all"), ("incidents by due date", "/incidents?order=due"),
        ("incidents, one type", "/incidents?status=all&type=phishing"), ("incident dashboard", "/incidents/dashboard"),
        ("sharing", "/sharing"), ("indicators", "/indicators"), ("assessment", "/assessment"), ("risk", "/risk"), ("SME results", "/risk/sme"),
        ("knowledge", "/knowledge"), ("agreements network", "/knowledge/network"), ("reports", "/reports"), ("account", "/account"),
        ("users", "/admin/users"), ("audit log", "/admin/audit"), ("retention", "/admin/retention"),
    ]
    out = []
    for label, path in listed:
        answer = session.get(base + path, timeout=120)
        if answer.status_code != 200:
            print(f"  (skipped {path}: {answer.status_code})")
            continue
        out.append((label, path))
        text = answer.text
        if label in ("constituency", "incidents, all", "events", "audit log"):
            # The link to the next (or older) page: to the same page, with a paging parameter.
            following = first(r'<a href="(' + re.escape(path.split("?")[0]) + r'\?[^"]*(?:offset|after|page|before|cursor)=[^"]+)"', text)
            if following:
                out.append((label + ", next page", following))
        if label == "constituency":
            organisation = first(r'href="(/constituency/' + UUID + r')"', text)
            if organisation:
                out.append(("an organisation", organisation))
        if label == "incidents, all":
            incident = first(r'href="(/incidents/[0-9]+)"', text)
            if incident:
                out.append(("an incident", incident))
    return out


def time_pages(session, base, repeats):
    results = []
    print(f"  {'page':<32} {'median':>9} {'p95':>9} {'size':>9}   (server time, {repeats} requests each)")
    for label, path in pages(session, base):
        session.get(base + path, timeout=120)
        times = []
        size = 0
        for _ in range(repeats):
            answer = session.get(base + path, timeout=120)
            timing = answer.headers.get("Server-Timing", "")
            found = re.search(r"dur=([0-9.]+)", timing)
            if answer.status_code != 200 or not found:
                sys.exit(f"{path} answered {answer.status_code} ({timing!r})")
            times.append(float(found.group(1)))
            size = len(answer.content)
        times.sort()
        median = times[len(times) // 2]
        p95 = times[max(0, int(round(len(times) * 0.95)) - 1)]
        results.append({"page": label, "path": path, "median_ms": median, "p95_ms": p95, "bytes": size})
        print(f"  {label:<32} {median:7.1f} ms {p95:7.1f} ms {size / 1024:7.0f} KB", flush=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", help="a release build of confianza (default: build one)")
    parser.add_argument("--scale", default="national", help="national (default) or tenth, for `confianza seed`")
    parser.add_argument("--database", help="time this database, seeded before, instead of seeding one")
    parser.add_argument("--postgres", help="seed a fresh database on this PostgreSQL server (the URL's user may create databases)")
    parser.add_argument("--demo", action="store_true", help="time the small demo (`confianza demo`) instead")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()
    binary = options.binary or build_binary()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIANZA_")}
    env["CONFIANZA_BCRYPT_COST"] = "4"
    with tempfile.TemporaryDirectory(prefix="confianza-pages-") as work:
        work = Path(work)
        created = None
        if options.demo:
            database = str(work / "demo.db")
        elif options.database:
            database = options.database
        else:
            if options.postgres:
                name = "confianza_pages_" + uuid.uuid4().hex[:10]
                psql(options.postgres, f"CREATE DATABASE {name}")
                created = name
                database = urlunparse(urlparse(options.postgres)._replace(path="/" + name))
            else:
                database = str(work / "national.db")
            print(f"seeding ({options.scale}) into {'PostgreSQL' if options.postgres else 'SQLite'}…", flush=True)
            started = time.perf_counter()
            subprocess.run([binary, "seed", "--scale", options.scale, "--database", database], check=True, env=env)
            print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
        try:
            if options.demo:
                process, base, _ = serve(binary, database, env, work, command="demo")
                process.terminate()
                process.wait(timeout=60)
            password = "pw-" + uuid.uuid4().hex
            subprocess.run([binary, "user", "create", "bench-" + password[3:11], "--role", "admin", "--password-stdin", "--database", database],
                           input=password + "\n", text=True, check=True, capture_output=True, env=env)
            process, base, log = serve(binary, database, env, work)
            try:
                session = sign_in(base, "bench-" + password[3:11], password)
                results = time_pages(session, base, options.repeats)
            finally:
                process.terminate()
                process.wait(timeout=60)
            if options.json:
                Path(options.json).write_text(json.dumps({"database": "postgres" if database.startswith("postgres") else "sqlite",
                                                          "results": results}, indent=2))
        finally:
            if created:
                psql(options.postgres, f"DROP DATABASE {created}")


if __name__ == "__main__":
    main()
