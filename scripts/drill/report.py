"""Figures of an operations drill from traffic.py's output.

    python3 scripts/drill/report.py traffic.json --fault-at EPOCH [--stored ids.txt] [--duplicates N]

Prints: requests and failures (by status), the failed window relative to the fault, how long after the
fault the first request succeeded again (writes and reads), whether every acknowledged registration is
stored (--stored: one id per line, read from the database afterwards), and the workflow's outcome.
Exits 1 when an acknowledged write is missing, the workflow did not end Success, or an effect was
carried out twice (--duplicates: how many provider effects have more than one row).
"""

import argparse
import collections
import json
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("traffic")
    p.add_argument("--fault-at", type=float, help="epoch seconds of the fault (the kill, the first SIGTERM)")
    p.add_argument("--stored")
    p.add_argument("--duplicates", type=int, default=0)
    args = p.parse_args()
    data = json.load(open(args.traffic))
    records = data["records"]
    failed = [r for r in records if not r["ok"]]
    print(f"requests: {len(records)} ({sum(r['op'] == 'register' for r in records)} writes), "
          f"failed: {len(failed)} {dict(collections.Counter(str(r['status']) for r in failed))}")
    good = True
    if args.fault_at:
        fault = args.fault_at
        if failed:
            print(f"failed requests began {min(r['start'] for r in failed) - fault:+.1f} s and ended "
                  f"{max(r['end'] for r in failed) - fault:+.1f} s from the fault")
        for op in ("register", "show"):
            after = sorted(r["end"] for r in records if r["op"] == op and r["ok"] and r["start"] >= fault)
            first_failed = [r for r in failed if r["op"] == op and r["end"] >= fault]
            if first_failed and after:
                back = [t for t in after if t > max(r["end"] for r in first_failed)] or after
                print(f"{op}: served again {back[0] - fault:.1f} s after the fault")
            elif after:
                print(f"{op}: no request failed; the first after the fault ended {after[0] - fault:.2f} s after it")
            else:
                print(f"{op}: nothing succeeded after the fault")
                good = False
    acked = set(data["acked"])
    print(f"acknowledged writes: {len(acked)}")
    if args.stored:
        stored = {line.strip() for line in open(args.stored) if line.strip()}
        missing = acked - stored
        print(f"acknowledged writes missing afterwards: {len(missing)}")
        good &= not missing
    wf = data.get("workflow")
    if wf:
        asked = f" ({wf['enabled_at'] - args.fault_at:+.1f} s from the fault)" if args.fault_at else ""
        print(f"workflow (federation enable of fleet {wf['fleet']}, {len(wf['members'])} members, asked for"
              f"{asked}): {wf.get('phase')}; "
              f"steps {wf.get('sub_jobs')}")
        good &= wf.get("phase") == "Success"
    print(f"provider effects carried out more than once: {args.duplicates}")
    good &= args.duplicates == 0
    print("RESULT:", "PASS" if good else "FAIL")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
