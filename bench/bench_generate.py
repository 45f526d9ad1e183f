"""Time the world generator on a big company and print what it made.

The issue-3 bar: a 500-engineer world with a year of activity generates in
under a minute.  Measures generation, the write of the file (``write_world``: serialised
straight to bytes) and its re-read, with the process's peak memory, and checks determinism on the same seed by
hashing two dumps when ``--check-determinism`` is given (doubles the time).

    python -m bench.bench_generate [--engineers 500] [--months 12] [--seed 1] [--check-determinism]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from sandbox.describe import describe_world
from sandbox.generate import generate_world
from sandbox.world import read_world, write_world


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def run(engineers: int, months: int, seed: int, check_determinism: bool) -> dict:
    """Generate, write and re-read one world; return timings (seconds), sizes, counts and peak memory.

    The world is written by ``write_world`` (serialised straight to bytes) and dropped before the re-read, so
    the peak is the bigger of the world plus its file text and the re-read world."""
    started, cpu = time.perf_counter(), time.process_time()
    world = generate_world(engineers=engineers, months=months, seed=seed)
    generated, generated_cpu = time.perf_counter(), time.process_time()
    counts = {k: v for k, v in describe_world(world).items() if isinstance(v, (int, dict)) and k != "seed"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "world.json"
        before_write = time.perf_counter()
        write_world(world, path)
        written = time.perf_counter()
        del world
        gc.collect()
        read_world(path)
        read = time.perf_counter()
        out = {
            "engineers": engineers,
            "months": months,
            "seed": seed,
            "generate_s": round(generated - started, 2),
            "generate_cpu_s": round(generated_cpu - cpu, 2),  # wall time includes other processes' load
            "write_s": round(written - before_write, 2),
            "generate_and_write_s": round(written - started, 2),
            "read_s": round(read - written, 2),
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "sha256": _sha256(path),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "counts": counts,
        }
        if check_determinism:
            again = Path(tmp) / "again.json"
            write_world(generate_world(engineers=engineers, months=months, seed=seed), again)
            out["same_seed_identical"] = _sha256(again) == out["sha256"] and again.read_bytes() == path.read_bytes()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engineers", type=int, default=500)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check-determinism", action="store_true")
    args = parser.parse_args()
    result = run(args.engineers, args.months, args.seed, args.check_determinism)
    print(json.dumps(result, indent=1))
    verdict = "OK" if result["generate_and_write_s"] < 60 else "TOO SLOW"
    print(
        f"{verdict}: {args.engineers} engineers x {args.months} months generated and written in "
        f"{result['generate_and_write_s']} s wall, generated in {result['generate_cpu_s']} s CPU (bar: 60 s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
