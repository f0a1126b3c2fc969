"""Every benchmark in turn, each in a process of its own, and how long each took.

``python -m bench all`` (what ``make bench`` runs). Each prints its own figures beside its
baseline and target, as when run alone; the end gives each one's time and exit status and
the total (issue 18 asks for all of them in ≤ 15 minutes). ``--skip a,b`` leaves some out.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

# The default shape of each; the variants (--hot, --replicas 2, --slow-venue) are run by hand.
ORDER = ["outbox", "retention", "catalogue", "distribution", "auctions", "http", "register", "stats", "relevance"]
BUDGET_S = 15 * 60


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench all", description=__doc__.splitlines()[0])
    ap.add_argument("--skip", default="", help="comma-separated benchmarks to leave out")
    args = ap.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    took: list[tuple[str, float, int]] = []
    t0 = time.monotonic()
    for name in ORDER:
        if name in skip:
            continue
        print(f"\n=== python -m bench {name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", "bench", name])
        took.append((name, time.monotonic() - started, code))
    total = time.monotonic() - t0
    print("\n=== all benchmarks ===")
    for name, seconds, code in took:
        print(f"  {name:<13} {seconds:6.0f} s   exit {code}{'' if code == 0 else ' (a target missed, or it failed)'}")
    print(f"  {'total':<13} {total:6.0f} s   [target ≤ {BUDGET_S // 60} min: {'met' if total <= BUDGET_S else 'MISSED'}]")
    return max((code for _, _, code in took), default=0)
