"""Times `confianza events export` on a database of synthetic Shadowserver events: events written per
second as JSON lines and as CSV, and the process's peak memory (it should not grow with the count).

    swift build -c release --product confianza --scratch-path .build-release
    python3 Benchmarks/export_benchmark.py --events 200000 --binary .build-release/release/confianza
"""
import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

HEADER = '"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city"'


def run(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])}: {result.stderr.strip()}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--binary", required=True, help="a release build of confianza")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    db = str(folder / "export.db")
    report = folder / "2024-05-01-scan_dns-uy.csv"
    with report.open("w") as out:
        out.write(HEADER + "\n")
        for i in range(args.events):
            out.write(f'"2024-05-01 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}","medium","10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",'
                      f'"udp",53,"h{i}.example","openresolver",64500,"UY",,\n')
    started = time.perf_counter()
    run(args.binary, "ingest", str(report), "--database", db)
    print(f"ingested {args.events:,} events in {time.perf_counter() - started:.1f} s", flush=True)
    for fmt in ("jsonl", "csv"):
        target = folder / f"events.{fmt}"
        started = time.perf_counter()
        process = subprocess.Popen([args.binary, "events", "export", "--format", fmt, "--out", str(target), "--database", db],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
        seconds = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"export {fmt} failed: {process.stderr.read().decode().strip()}")
        lines = sum(1 for _ in target.open()) - (1 if fmt == "csv" else 0)
        print(f"export {fmt}: {lines:,} events in {seconds:.2f} s = {lines / seconds:,.0f} events/s, "
              f"{target.stat().st_size / 1e6:.0f} MB written, peak memory {usage.ru_maxrss / 1024:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
