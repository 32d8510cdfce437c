#!/usr/bin/env python3
"""Score a commitments register against devset/plans/truth.jsonl.

    python devset/plans/score.py devset/plans/truth.jsonl /tmp/plans-commitments.json [--seed N] [--sample K]

The commitments file is what `assistant commitments --json` prints: a JSON array of
objects (JSON Lines, one object per line, is accepted too). Field names read from each
extracted row, as observed in that output:

    source     file name of the document (compared by basename with truth "plan")
    action     the action text (falls back to "text", the verbatim span, if action is empty)
    lead       the lead as extracted (null when none)
    timescale  the timescale as extracted (null when none)
    due        the normalised due month, "YYYY-MM" (null when undated or recurring)

Other fields (plan, priority, measure, lead_normalised, recurrence, kind, ...) are ignored.
If a field is absent the script falls back to the alternatives listed in FIELDS below.

Per plan it prints:
  truth     truth rows for the plan
  found     truth rows whose action fragment occurs, whitespace-normalised and
            case-insensitive, inside the action text of at least one extracted row of
            the same document
  lead_ok   found rows where some matching extracted row has a lead containing the
            truth lead fragment (same normalisation), or both leads are null
  time_ok   found rows where some matching extracted row has a timescale containing the
            truth timescale (same normalisation), or both are null
  due_ok    found rows where some matching extracted row's due equals the truth
            timescale_norm (compared on the first 7 or 4 characters), or both are null
  all_ok    found rows where one matching extracted row has both the lead and the timescale right
  dated     truth rows with a timescale_norm, and of those, found with the right due
  extracted extracted rows for the document
then overall totals, and K random extracted rows per document (fixed seed) for a person
to judge how many are not commitments at all: the script itself makes no such judgement.

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import PurePath

FIELDS = {
    "source": ("source", "file", "document", "path"),
    "action": ("action", "text"),
    # A plan that names only partners ("Partners and Timeframe") names its "who" there: the register's
    # `partners` stands in for the lead when it has none.
    "lead": ("lead", "lead_normalised", "owner", "partners"),
    "timescale": ("timescale", "timeframe", "deadline"),
    "due": ("due", "due_month"),
}


def norm(value: object) -> str:
    if value is None:
        return ""
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def get(row: dict, key: str) -> object:
    for name in FIELDS[key]:
        value = row.get(name)
        if value not in (None, ""):
            return value
    return None


def load_commitments(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        data = fh.read()
    stripped = data.lstrip()
    if stripped.startswith("["):
        rows = json.loads(stripped)
    else:
        rows = [json.loads(line) for line in data.splitlines() if line.strip()]
    if isinstance(rows, dict):  # {"commitments": [...]} or similar
        rows = next((v for v in rows.values() if isinstance(v, list)), [])
    return [r for r in rows if isinstance(r, dict)]


def load_truth(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def due_matches(truth_norm: str | None, due: object) -> bool:
    if not truth_norm:
        return due in (None, "")
    if due in (None, ""):
        return False
    return str(due)[: len(truth_norm)] == truth_norm


def short(value: object, width: int) -> str:
    text = re.sub(r"\s+", " ", str(value)) if value is not None else "—"
    return text if len(text) <= width else text[: width - 1] + "…"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("truth")
    ap.add_argument("commitments")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=10, help="random extracted rows shown per document")
    args = ap.parse_args()

    truth = load_truth(args.truth)
    extracted = load_commitments(args.commitments)

    by_doc: dict[str, list[dict]] = defaultdict(list)
    for row in extracted:
        source = get(row, "source")
        by_doc[PurePath(str(source)).name if source else "(no source)"].append(row)

    plans = sorted({t["plan"] for t in truth} | set(by_doc))
    header = (f"{'plan':42} {'truth':>5} {'found':>5} {'lead_ok':>7} {'time_ok':>7} {'due_ok':>6} {'all_ok':>6} "
              f"{'dated':>5} {'dated_ok':>8} {'extracted':>9}")
    print(header)
    print("-" * len(header))
    totals = defaultdict(int)
    misses: dict[str, list[dict]] = defaultdict(list)
    for plan in plans:
        rows = [t for t in truth if t["plan"] == plan]
        candidates = by_doc.get(plan, [])
        counts = defaultdict(int)
        for t in rows:
            frag = norm(t["action"])
            matches = [c for c in candidates if frag and frag in norm(get(c, "action"))]
            if not matches:
                misses[plan].append(t)
                continue
            counts["found"] += 1
            tlead, ttime = norm(t.get("lead")), norm(t.get("timescale"))
            if any((not tlead and not norm(get(c, "lead"))) or (tlead and tlead in norm(get(c, "lead"))) for c in matches):
                counts["lead"] += 1
            if any((not ttime and not norm(get(c, "timescale"))) or (ttime and ttime in norm(get(c, "timescale"))) for c in matches):
                counts["time"] += 1
            if any(due_matches(t.get("timescale_norm"), get(c, "due")) for c in matches):
                counts["due"] += 1
                counts["dated_ok"] += bool(t.get("timescale_norm"))

            def lead_ok(c: dict) -> bool:
                return (not tlead and not norm(get(c, "lead"))) or bool(tlead and tlead in norm(get(c, "lead")))

            def time_ok(c: dict) -> bool:
                return (not ttime and not norm(get(c, "timescale"))) or bool(ttime and ttime in norm(get(c, "timescale")))

            counts["all"] += any(lead_ok(c) and time_ok(c) for c in matches)
        counts["dated"] = sum(1 for t in rows if t.get("timescale_norm"))
        print(f"{plan:42} {len(rows):5} {counts['found']:5} {counts['lead']:7} {counts['time']:7} {counts['due']:6} "
              f"{counts['all']:6} {counts['dated']:5} {counts['dated_ok']:8} {len(candidates):9}")
        totals["truth"] += len(rows)
        totals["extracted"] += len(candidates)
        for key in ("found", "lead", "time", "due", "all", "dated", "dated_ok"):
            totals[key] += counts[key]
    print("-" * len(header))
    print(f"{'ALL':42} {totals['truth']:5} {totals['found']:5} {totals['lead']:7} {totals['time']:7} {totals['due']:6} "
          f"{totals['all']:6} {totals['dated']:5} {totals['dated_ok']:8} {totals['extracted']:9}")
    if totals["truth"]:
        t = totals["truth"]
        print(f"\nrecall: found {totals['found'] / t:.1%}, with correct lead {totals['lead'] / t:.1%}, "
              f"with correct timescale {totals['time'] / t:.1%}, with correct due {totals['due'] / t:.1%}, "
              f"with action, lead and timescale all right {totals['all'] / t:.1%} "
              f"({totals['truth']} truth rows, {totals['extracted']} extracted rows)")
        if totals["dated"]:
            print(f"dated truth rows normalised right: {totals['dated_ok']}/{totals['dated']} "
                  f"({totals['dated_ok'] / totals['dated']:.1%})")

    print("\nTruth rows not found (action fragment in no extracted action of the document):")
    for plan in plans:
        if misses.get(plan):
            print(f"  {plan}: {len(misses[plan])}")
            for t in misses[plan][:5]:
                print(f"      - {short(t['action'], 70)}")
            if len(misses[plan]) > 5:
                print(f"      ... and {len(misses[plan]) - 5} more")

    rng = random.Random(args.seed)
    print(f"\nRandom extracted rows for manual judgement (up to {args.sample} per document, seed {args.seed}).")
    print("Mark each: C = a real commitment/action, N = not a commitment (header, prose, fragment, duplicate).")
    for plan in plans:
        candidates = by_doc.get(plan, [])
        if not candidates:
            continue
        sample = rng.sample(candidates, min(args.sample, len(candidates)))
        print(f"\n== {plan} ({len(candidates)} extracted)")
        for i, c in enumerate(sample, 1):
            print(f"  {i:2}. [ ] action: {short(get(c, 'action'), 110)}")
            print(f"         lead: {short(get(c, 'lead'), 50)} | timescale: {short(get(c, 'timescale'), 40)} | due: {short(get(c, 'due'), 10)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
