#!/usr/bin/env python3
"""Summarizes a Verilator coverage file (merged by scripts/rtl_coverage.sh) for rtl/.

    rtl_coverage_report.py MERGED.dat --rtl RTL_DIR [--min-line PCT] [--require-cover]

Prints, per source file under RTL_DIR: line coverage (Verilator's line and branch points: a
block, an if/else arm or a case item, covered when it ran at least once) and toggle coverage
(one point per signal bit, covered when the bit changed at least twice, i.e. rose and fell);
then the uncovered line points (file, lines and kind) and every cover point (cover property)
with its count. Points of the same source location in several instances or configurations are
one point, covered when one of them is. Exit status 1 when line coverage of all files is below
--min-line or, with --require-cover, when a cover point was never hit; 2 on bad input.
"""

import argparse
import collections
import os
import re
import sys

LINE_RE = re.compile(r"^C '(.*)' (\d+)$")


def parse_key(key):
    """Verilator's point key: fields \\x01<name>\\x02<value>."""
    fields = {}
    for part in key.split("\x01"):
        if "\x02" in part:
            name, value = part.split("\x02", 1)
            fields[name] = value
    return fields


def read_points(path):
    points = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            m = LINE_RE.match(line)
            if not m:
                raise ValueError(f"{path}:{n}: not a coverage line")
            points.append((parse_key(m.group(1)), int(m.group(2))))
    return points


def kind_of(fields):
    page = fields.get("page", "")
    return page.split("/", 1)[0] if "/" in page else fields.get("t", "")


def percent(hit, total):
    return 100.0 * hit / total if total else 100.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dat")
    ap.add_argument("--rtl", required=True, help="the rtl/ folder")
    ap.add_argument("--min-line", type=float, default=None)
    ap.add_argument("--require-cover", action="store_true")
    args = ap.parse_args()
    try:
        points = read_points(args.dat)
    except (OSError, ValueError) as e:
        print(f"rtl_coverage_report: {e}", file=sys.stderr)
        return 2
    rtl = os.path.realpath(args.rtl)

    # One point per source location: Verilator keys a point by module (with its parameters) and
    # instance too, so the same line in two configurations, or in two instances of a generate
    # loop, is one point here, covered when any of them covered it (the highest count).
    merged = {}  # (file, kind, line, column, comment) -> (count, span)
    for fields, count in points:
        path = os.path.realpath(fields.get("f", ""))
        if not path.startswith(rtl + os.sep):
            continue
        where = (os.path.relpath(path, rtl), kind_of(fields), int(fields.get("l", "0")),
                 fields.get("n", ""), fields.get("o", ""))
        old = merged.get(where, (0, ""))
        merged[where] = (max(old[0], count), old[1] or fields.get("S", ""))

    line = collections.defaultdict(lambda: [0, 0])  # file -> [hit, total]
    toggle = collections.defaultdict(lambda: [0, 0])
    uncovered = collections.defaultdict(list)  # file -> [(line, kind, span)]
    covers = []  # (file, line, name, count)
    for (rel, kind, ln, _, comment), (count, span) in merged.items():
        if kind in ("v_line", "v_branch"):
            line[rel][1] += 1
            if count > 0:
                line[rel][0] += 1
            else:
                uncovered[rel].append((ln, comment, span))
        elif kind == "v_toggle":
            toggle[rel][1] += 1
            if count >= 2:
                toggle[rel][0] += 1
        elif kind == "v_user":
            covers.append((rel, ln, comment, count))

    files = sorted(set(line) | set(toggle))
    if not files:
        print(f"rtl_coverage_report: no points of {rtl} in {args.dat}", file=sys.stderr)
        return 2
    print(f"{'file':32} {'line %':>7} {'lines':>11} {'toggle %':>9} {'bits':>13}")
    for f in files:
        lh, lt = line[f]
        th, tt = toggle[f]
        print(f"{f:32} {percent(lh, lt):7.1f} {lh:>5}/{lt:<5} {percent(th, tt):9.1f} "
              f"{th:>6}/{tt:<6}")
    lh = sum(v[0] for v in line.values())
    lt = sum(v[1] for v in line.values())
    th = sum(v[0] for v in toggle.values())
    tt = sum(v[1] for v in toggle.values())
    line_pct = percent(lh, lt)
    print(f"{'all of rtl/':32} {line_pct:7.1f} {lh:>5}/{lt:<5} {percent(th, tt):9.1f} "
          f"{th:>6}/{tt:<6}")

    print("\nuncovered line points (file:line [lines spanned] kind):")
    if not uncovered:
        print("  none")
    for f in sorted(uncovered):
        for ln, kind, span in sorted(set(uncovered[f])):
            span_text = f" [{span}]" if span and span != str(ln) else ""
            print(f"  {f}:{ln}{span_text} {kind}")

    hit = sum(1 for c in covers if c[3] > 0)
    print(f"\ncover points: {hit} of {len(covers)} hit")
    for f, ln, name, count in sorted(covers):
        print(f"  {'hit ' if count > 0 else 'MISS'} {count:>9}  {name} ({f}:{ln})")

    status = 0
    if args.min_line is not None and line_pct < args.min_line:
        print(f"rtl_coverage_report: line coverage {line_pct:.1f} % is below {args.min_line} %",
              file=sys.stderr)
        status = 1
    if args.require_cover and (hit < len(covers) or not covers):
        print(f"rtl_coverage_report: {len(covers) - hit} cover point(s) never hit",
              file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
