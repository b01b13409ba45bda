#!/usr/bin/env python3
"""CPU of `magpie fetch` and curl, run by turns against the same loopback server.

`../shared/bench/run_download.sh` runs each peer's five runs one after the other. On an ext4
without a journal (these VMs) creating a file scans past every inode freed in the last ~30 s, so
a peer's CPU depends on how many files the runs before it just deleted: whichever runs later in
the sequence pays more. Here the two commands alternate, each after deleting the other's files,
so both meet the same file system; CPU is the child's user + system time (getrusage, as
hyperfine counts it).

usage: benches/cpu_vs_curl.py [--app target/release/magpie] [-j 64] [--runs 8] [--latency 50]
needs: curl, python3, ../shared/bench (server.py, make_corpus.py)
"""

import argparse
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
SHARED = pathlib.Path(os.environ.get("SHARED", HERE.parent.parent / "shared" / "bench"))


def run(cmd, out):
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    files = sum(1 for _ in out.iterdir())
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, files


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", default=str(HERE.parent / "target/release/magpie"))
    p.add_argument("-j", type=int, default=64)
    p.add_argument("--runs", type=int, default=8)
    p.add_argument("--latency", type=int, default=50)
    p.add_argument("-n", type=int, default=500)
    p.add_argument("--corpus", default="/tmp/corpus")
    p.add_argument("--out", default="/tmp/cpu-vs-curl")
    p.add_argument("--port", type=int, default=8766)
    a = p.parse_args()

    corpus = pathlib.Path(a.corpus)
    if not (corpus / "MANIFEST.tsv").exists():
        subprocess.run([sys.executable, SHARED / "make_corpus.py", corpus], check=True)
    work = pathlib.Path(a.out)
    work.mkdir(parents=True, exist_ok=True)
    urls, ready = work / "urls.txt", work / "ready"
    ready.unlink(missing_ok=True)
    server = subprocess.Popen(
        [sys.executable, SHARED / "server.py", "--root", corpus, "--port", str(a.port),
         "--latency-ms", str(a.latency), "--subdir", "jpeg", "--limit", str(a.n),
         "--urls-out", urls, "--ready-file", ready, "--max-seconds", "900"],
        stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if ready.exists() and ready.stat().st_size:
                break
            time.sleep(0.1)
        curl_cfg = work / "urls.curl"
        curl_cfg.write_text("".join(f'url = "{u.strip()}"\n' for u in open(urls)))
        dl = work / "dl"
        peers = {
            "curl": ["curl", "-s", "-Z", "--parallel-max", str(a.j), "--parallel-immediate",
                     "--remote-name-all", "--output-dir", str(dl), "-K", str(curl_cfg)],
            "magpie": [a.app, "fetch", "--out", str(dl), "--concurrency", str(a.j),
                       "--per-host", str(a.j), str(urls)],
        }
        results = {name: [] for name in peers}
        for name, cmd in peers.items():  # one warm-up each
            run(cmd, dl)
        for _ in range(a.runs):
            for name, cmd in peers.items():
                results[name].append(run(cmd, dl))
    finally:
        server.kill()

    print(f"{a.n} JPEGs, {a.latency} ms latency, -j {a.j}, {a.runs} alternating runs, medians")
    print("| peer | wall s | user s | system s | CPU s | files |")
    print("|---|---|---|---|---|---|")
    cpu = {}
    for name, rs in results.items():
        wall, user, sys_ = (statistics.median(r[i] for r in rs) for i in range(3))
        cpu[name] = statistics.median(r[1] + r[2] for r in rs)
        files = min(r[3] for r in rs)
        print(f"| {name} | {wall:.3f} | {user:.3f} | {sys_:.3f} | {cpu[name]:.3f} | {files} |")
    print(f"magpie CPU / curl CPU: {cpu['magpie'] / cpu['curl']:.2f}x")


if __name__ == "__main__":
    main()
