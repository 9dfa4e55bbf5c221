#!/usr/bin/env python3
"""TAXII 2.1 read speed: Confianza against medallion, with wrk (Debian) on loopback.

    python3 Benchmarks/taxii_benchmark.py                          # 100,000 then 1,000,000 objects
    python3 Benchmarks/taxii_benchmark.py --sizes 100000 --medallion-sizes 1000,10000

For each size: a fresh SQLite database, one TLP:GREEN collection, one peer with read access. The
objects (indicators, TLP:GREEN) are loaded through the server's own POST endpoint in envelopes of
1,000 (timed: objects per second added). Then:
  * wrk, one thread, four connections, for --duration seconds, on GET …/objects/?limit=100, each
    answer's `next` followed by the connection's next request (back to the start when `more` is
    false): pages per second and latency percentiles (p50, p99);
  * a full sequential crawl with one keep-alive connection, limit=1000, following `next` to the end:
    objects per second.
medallion 3.0.0 (memory backend, from PyPI) serves the same kind of objects at --medallion-sizes and
is measured the same way (limit=100 pages; crawl at its max_page_size of 1,000).
"""
import argparse
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "interop"))
sys.path.insert(0, str(ROOT / "Benchmarks"))

from ingest_benchmark import build_binary  # noqa: E402 (one way to build the release binary)

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TAXII = "application/taxii+json;version=2.1"

LUA = r"""
local base = os.getenv("TAXII_PATH")
local auth = os.getenv("TAXII_AUTH")
local nextpath = nil
request = function()
  local path = base
  if nextpath then path = base .. "&next=" .. nextpath end
  return wrk.format("GET", path, {["Authorization"] = auth, ["Accept"] = "application/taxii+json;version=2.1"})
end
response = function(status, headers, body)
  if status ~= 200 then nextpath = nil return end
  local n = string.match(body, '"next"%s*:%s*"([^"]+)"')
  if string.find(body, '"more"%s*:%s*true') and n then nextpath = n else nextpath = nil end
end
"""


def objects(count: int, start: int = 0):
    for i in range(start, start + count):
        yield {
            "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.UUID(int=(0x4000 << 64) | i | (1 << 63))}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "name": f"Scanner {i}",
            "pattern": f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [GREEN],
        }


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(binary, db, *args):
    result = subprocess.run([binary, *args, "--database", db], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr + result.stdout)
    return result.stdout


def wrk(url_path: str, host: str, auth: str, duration: int):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    env = dict(os.environ, TAXII_PATH=url_path, TAXII_AUTH=auth)
    out = subprocess.run(["wrk", "-t1", "-c4", f"-d{duration}s", "--latency", "-s", script.name, host], capture_output=True, text=True, env=env).stdout
    os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if rate == 0:
        return 0.0, float("nan"), float("nan"), 0
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def percentile(p):
        match = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return rate, percentile(50), percentile(99), int(errors.group(1)) if errors else 0


def crawl(base_url: str, path: str, auth: str, limit: int):
    """Follows `next` from the first page to the last on one connection; returns (objects, seconds)."""
    parsed = urlparse(base_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)
    headers = {"Authorization": auth, "Accept": TAXII}
    count, token, started = 0, None, time.perf_counter()
    while True:
        query = f"?limit={limit}" + (f"&next={token}" if token else "")
        connection.request("GET", path + query, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"crawl: HTTP {response.status}: {body[:300]!r}")
        count += body.count(b'"spec_version"')
        more = re.search(rb'"more"\s*:\s*true', body)
        match = re.search(rb'"next"\s*:\s*"([^"]+)"', body)
        if not (more and match):
            break
        token = match.group(1).decode()
    return count, time.perf_counter() - started


def peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def confianza(binary: str, size: int, duration: int, folder: Path):
    db = str(folder / f"taxii-{size}.db")
    cli(binary, db, "migrate")
    cli(binary, db, "taxii", "add-collection", "--title", "Bench", "--tlp", "TLP:GREEN", "--alias", "bench")
    cli(binary, db, "taxii", "add-peer", "--name", "Bench peer", "--country", "UY", "--contact", "b@bench.example", "--ceiling", "TLP:AMBER")
    cli(binary, db, "taxii", "grant", "--collection", "bench", "--peer", "Bench peer", "--read", "--write")
    token = cli(binary, db, "taxii", "token", "--peer", "Bench peer").strip()
    auth = "Basic " + base64.b64encode(f"bench:{token}".encode()).decode()
    port = free_port()
    log = open(folder / f"serve-{size}.log", "w")
    server = subprocess.Popen([binary, "serve", "--database", db, "--port", str(port), "--log-level", "warning"], stdout=log, stderr=log)
    try:
        time.sleep(1.5)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        path = "/taxii2/root/collections/bench/objects/"
        started = time.perf_counter()
        batch = []
        for obj in objects(size):
            batch.append(obj)
            if len(batch) == 1000:
                connection.request("POST", path, body=json.dumps({"objects": batch}), headers={"Authorization": auth, "Content-Type": TAXII})
                response = connection.getresponse()
                body = response.read()
                if response.status != 202 or b'"failure_count":0' not in body:
                    raise SystemExit(f"load: HTTP {response.status}: {body[:300]!r}")
                batch = []
        load = time.perf_counter() - started
        print(f"  loaded {size:,} objects through POST in {load:.1f} s ({size / load:,.0f} objects/s)", flush=True)
        rate, p50, p99, errors = wrk(path + "?limit=100", f"http://127.0.0.1:{port}", auth, duration)
        print(f"  wrk GET objects/?limit=100 following next: {rate:,.0f} pages/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, non-2xx {errors}", flush=True)
        # The same HTTP stack with no database: the ratio of the two travels between machines.
        discovery, _, _, _ = wrk("/taxii2/", f"http://127.0.0.1:{port}", auth, duration)
        print(f"  wrk GET /taxii2/ (discovery, no database): {discovery:,.0f} requests/s; pages are {rate / discovery:.0%} of it", flush=True)
        count, seconds = crawl(f"http://127.0.0.1:{port}", path, auth, 1000)
        print(f"  full crawl, limit=1000: {count:,} objects in {seconds:.1f} s = {count / seconds:,.0f} objects/s", flush=True)
        print(f"  server peak memory: {peak_rss_kb(server.pid) / 1024:.0f} MB", flush=True)
        return rate, p99, count / seconds
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def medallion(size: int, duration: int):
    from medallion_support import COLLECTION, PASSWORD, USER, Medallion
    started = time.perf_counter()
    server = Medallion(list(objects(size)), page_size=1000, start_timeout=600)
    print(f"  medallion started with {size:,} objects in {time.perf_counter() - started:.1f} s", flush=True)
    auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    path = f"/trustgroup1/collections/{COLLECTION}/objects/"
    try:
        rate, p50, p99, errors = wrk(path + "?limit=100", server.url, auth, duration)
        if rate == 0:
            print(f"  wrk GET objects/?limit=100: no page answered within {duration} s", flush=True)
        else:
            print(f"  wrk GET objects/?limit=100 following next: {rate:,.1f} pages/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, non-2xx {errors}", flush=True)
        count, seconds = crawl(server.url, path, auth, 1000)
        print(f"  full crawl, limit=1000: {count:,} objects in {seconds:.1f} s = {count / seconds:,.0f} objects/s", flush=True)
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--medallion-sizes", default="1000,10000")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per measurement")
    parser.add_argument("--binary", help="a release build of confianza (default: build one)")
    args = parser.parse_args()
    binary = args.binary or build_binary()
    with tempfile.TemporaryDirectory(prefix="taxii-bench-") as folder:
        for size in [int(s) for s in args.sizes.split(",") if s]:
            print(f"Confianza, {size:,} objects (SQLite):", flush=True)
            confianza(binary, size, args.duration, Path(folder))
        for size in [int(s) for s in args.medallion_sizes.split(",") if s]:
            print(f"medallion 3.0.0, {size:,} objects (memory backend):", flush=True)
            medallion(size, args.duration)
    print("targets at 1,000,000 objects: >= 10,000 pages/s with p99 < 10 ms; full crawl >= 200,000 objects/s")


if __name__ == "__main__":
    main()
