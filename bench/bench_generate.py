"""Time the world generator on a big company and print what it made.

The issue-3 bar: a 500-engineer world with a year of activity generates in
under a minute.  Measures generation, serialisation (``dump_world``) and the
write + re-read of the file, and checks determinism on the same seed by
hashing two dumps when ``--check-determinism`` is given (doubles the time).

    python -m bench.bench_generate [--engineers 500] [--months 12] [--seed 1] [--check-determinism]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from sandbox.describe import describe_world
from sandbox.generate import generate_world
from sandbox.world import dump_world, read_world


def run(engineers: int, months: int, seed: int, check_determinism: bool) -> dict:
    """Generate, dump, write and re-read one world; return timings (seconds), sizes and counts."""
    started, cpu = time.perf_counter(), time.process_time()
    world = generate_world(engineers=engineers, months=months, seed=seed)
    generated, generated_cpu = time.perf_counter(), time.process_time()
    text = dump_world(world)
    dumped = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "world.json"
        path.write_text(text, encoding="utf-8")
        written = time.perf_counter()
        read_world(path)
        read = time.perf_counter()
    out = {
        "engineers": engineers,
        "months": months,
        "seed": seed,
        "generate_s": round(generated - started, 2),
        "generate_cpu_s": round(generated_cpu - cpu, 2),  # wall time includes other processes' load
        "dump_s": round(dumped - generated, 2),
        "write_s": round(written - dumped, 2),
        "generate_and_write_s": round(written - started, 2),
        "read_s": round(read - written, 2),
        "file_mb": round(len(text.encode("utf-8")) / 1e6, 1),
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        "counts": {k: v for k, v in describe_world(world).items() if isinstance(v, (int, dict)) and k != "seed"},
    }
    if check_determinism:
        again = dump_world(generate_world(engineers=engineers, months=months, seed=seed))
        out["same_seed_identical"] = again == text
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
