"""Benchmark of bzra-cds against a bare FastAPI baseline, in one run: `bench/run` or `python -m bench`.

Writes bench/results/latest.md and latest.json, and (full runs only) bench/RESULTS.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from bench import report
from bench.scenarios import BENCH, Options, run_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description="bzra-cds latency and throughput benchmark")
    parser.add_argument("--quick", action="store_true", help="about 1 minute: shorter runs, fewer calls (does not write bench/RESULTS.md)")
    parser.add_argument("--measure", type=int, help="seconds measured per load run (default 10; quick 3)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up load before each run (default 2; quick 1)")
    parser.add_argument("--calls", type=int, help="calls per size in scenario 4 (default 50; quick 15)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for throughput runs (default 16)")
    parser.add_argument("--s2-connections", type=int, default=4, help="wrk connections for scenario 2 (default 4)")
    parser.add_argument("--patients", type=int, default=400,
                        help="distinct patients of the traffic scenarios (default 400; as many again for select-then-sign)")
    parser.add_argument("--seed", type=int, default=20, help="the generated population's seed (default 20)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers to CPU 0 and load generators to CPU 1")
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="directory for latest.md/latest.json and logs")
    parser.add_argument("--no-results-md", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument("--rerender", action="store_true",
                        help="only write the Markdown again from the last run's latest.json (no measuring)")
    args = parser.parse_args(argv)

    if args.rerender:
        results = json.loads((args.out / "latest.json").read_text())
        results["targets"] = report.targets(results)
        return write(results, args.out, results_md=not results.get("quick") and not args.no_results_md)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)", file=sys.stderr)
        return 2
    quick = args.quick
    options = Options(
        measure_s=args.measure or (3 if quick else 10),
        warmup_s=args.warmup if args.warmup is not None else (1 if quick else 2),
        connections=args.connections,
        s2_connections=args.s2_connections,
        sequential_calls=args.calls or (15 if quick else 50),
        grace_s=2.0 if quick else 5.0,
        quiet_wait_s=10.0 if quick else 60.0,
        pin=not args.no_pin,
        patients=args.patients,
        seed=args.seed,
        check_sample=50 if quick else None,
        sign_rounds=1 if quick else 2,
        retry_disturbed=not quick,  # a smoke test stays short on a busy machine
        out_dir=args.out,
        log=lambda message: print(message, flush=True),
    )
    started = time.monotonic()
    machine = report.machine()  # before the driver pins itself to one CPU
    results = run_all(options)
    results["machine"] = machine
    results["quick"] = quick
    results["targets"] = report.targets(results)
    results["linearity"] = report.linearity(results["service"])
    results["wall_s"] = round(time.monotonic() - started, 1)
    return write(results, options.out_dir, results_md=not quick and not args.no_results_md)


def write(results: dict[str, object], out_dir: Path, results_md: bool) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n")  # first: --rerender
    text = report.markdown(results) + f"\nThe whole benchmark took {results['wall_s']:.0f} s.\n"
    (out_dir / "latest.md").write_text(text)
    written = [out_dir / "latest.md", out_dir / "latest.json"]
    if results_md:
        (BENCH / "RESULTS.md").write_text(text)
        written.append(BENCH / "RESULTS.md")
    print()
    print(text)
    print("written: " + ", ".join(str(path) for path in written))
    targets = results["targets"]
    assert isinstance(targets, list)
    failed = [t["target"] for t in targets if not t["pass"]]
    print(f"targets: {len(targets) - len(failed)} pass, {len(failed)} fail")
    return 0


if __name__ == "__main__":
    sys.exit(main())
