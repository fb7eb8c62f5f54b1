#!/usr/bin/env python3
"""Reports of scripts/rtl_synth.sh, from Yosys's JSON output.

  rtl_synth_report.py cells STAT.json [--xilinx]
      Cells per module (Yosys `stat -json` of a hierarchical design): instances, cells of one
      instance (own, and with its submodules), all instances' own cells and their share. With
      --xilinx the LUT, FF, CARRY4, MUXF, DSP48E1, BRAM, LUTRAM and SRL counts as well.

  rtl_synth_report.py depth NETLIST.json TOP [--ends N]
      Logic depth of a flattened synth_xilinx netlist (`write_json` after `flatten`): the longest
      register-to-register path counted in LUT levels. Start points are the outputs of flip-flops,
      shift registers, block RAMs, registered DSP48E1s and black boxes (the SRAM macros) and the
      top's inputs; end points are their inputs and the top's outputs (and a LUT-RAM's write data,
      enable and address: its write is clocked, its read output depends on its read address only,
      one level). A LUT is one level; CARRY4,
      MUXF7/MUXF8 and combinational DSP48E1s are counted beside the levels (a carry chain and the
      wide multiplexers sit in the slices of the LUTs that feed them; a DSP48E1 without its
      M or P register is a multiplier of several LUT levels' delay). The deepest path is printed
      per register group: the end point's register name with array indices folded ([3] -> [*]).
      With --ends N, also the N deepest register groups, each with the named nets on its path.
"""
import json
import re
import sys
from collections import defaultdict

SEQ_PREFIXES = ("FD", "SRL", "RAMB", "FIFO")
LUT_RE = re.compile(r"^LUT[1-6]$")
LUTRAM_RE = re.compile(r"^RAM(32|64|128|256)")


def lutram_read_pins(out_port, in_ports):
    """The input pins a LUT-RAM read output depends on: its read address only (DOA <- ADDRA of a
    RAM32M/RAM64M, SPO/O <- A, DPO <- DPRA). The write data, write enable and write address are
    written at the clock edge: they end paths, and no path runs through the memory from them."""
    if out_port.startswith("DO") and len(out_port) == 3:
        prefix = "ADDR" + out_port[2]
    elif out_port == "DPO":
        prefix = "DPRA"
    else:
        prefix = "A"
    return [p for p in in_ports if p == prefix or (p.startswith(prefix) and p[len(prefix):].isdigit())]


def base_name(mod):
    """qsa_pe from '$paramod$abc\\qsa_pe' or '$paramod\\qsa_fifo\\Width=...'."""
    parts = [p for p in mod.split("\\") if p and not p.startswith("$paramod")]
    name = parts[0] if parts else mod
    return name


def cells_report(path, xilinx):
    # Yosys 0.23 writes the hierarchy as text after "modules" in `stat -json`; read that object.
    with open(path) as f:
        text = f.read()
    start = text.index("{", text.index('"modules"'))
    mods, _ = json.JSONDecoder().raw_decode(text[start:])
    by_base = {m: base_name(m) for m in mods}
    # Own cells (excluding submodule instances) and children of each module definition.
    own = {}
    children = {}
    types = {}
    for m, s in mods.items():
        ct = s.get("num_cells_by_type", {})
        kids = {}
        own_types = {}
        for t, n in ct.items():
            key = t if t in mods else ("\\" + t if "\\" + t in mods else None)
            if key is not None:
                kids[key] = kids.get(key, 0) + n
            else:
                own_types[t] = n
        own[m] = sum(own_types.values())
        children[m] = kids
        types[m] = own_types
    # Instances of each module definition, from the top down.
    parents = set().union(*[set(k) for k in children.values()]) if children else set()
    tops = [m for m in mods if m not in parents]
    inst = defaultdict(int)

    def walk(m, k):
        inst[m] += k
        for c, n in children[m].items():
            walk(c, k * n)

    for t in tops:
        walk(t, 1)

    incl_cache = {}

    def incl(m):
        if m not in incl_cache:
            incl_cache[m] = own[m] + sum(n * incl(c) for c, n in children[m].items())
        return incl_cache[m]

    total = sum(own[m] * inst[m] for m in mods)
    rows = defaultdict(lambda: [0, 0, 0, 0, defaultdict(int)])  # inst, own, incl, all_own, types
    for m in mods:
        r = rows[by_base[m]]
        r[0] += inst[m]
        r[1] = max(r[1], own[m])
        r[2] = max(r[2], incl(m))
        r[3] += own[m] * inst[m]
        for t, n in types[m].items():
            r[4][t] += n * inst[m]
    cols = ["LUT", "FF", "CARRY4", "MUXF", "DSP48E1", "BRAM", "LUTRAM", "SRL"]

    def group(t):
        if LUT_RE.match(t):
            return "LUT"
        if t.startswith("FD"):
            return "FF"
        if t.startswith("MUXF"):
            return "MUXF"
        if t.startswith("RAMB"):
            return "BRAM"
        if t.startswith("RAM"):
            return "LUTRAM"
        if t.startswith("SRL"):
            return "SRL"
        return t

    head = f"  {'module':<16}{'inst':>6}{'cells/inst':>12}{'incl. sub':>12}{'all inst.':>12}{'share':>8}"
    if xilinx:
        head += "".join(f"{c:>9}" for c in cols)
    print(head)
    design = defaultdict(int)
    for name, r in sorted(rows.items(), key=lambda kv: -kv[1][3]):
        line = f"  {name:<16}{r[0]:>6}{r[1]:>12,}{r[2]:>12,}{r[3]:>12,}{100.0 * r[3] / max(total, 1):>7.1f}%"
        if xilinx:
            g = defaultdict(int)
            for t, n in r[4].items():
                g[group(t)] += n
            for t, n in g.items():
                design[t] += n
            line += "".join(f"{g.get(c, 0):>9,}" for c in cols)
        print(line)
    print(f"  total: {total:,} cells")
    if total == 0:
        sys.exit("rtl_synth_report: no cells in " + path)
    if xilinx:
        print("  design: " + ", ".join(f"{c} {design.get(c, 0):,}" for c in cols))
        other = {t: n for t, n in design.items() if t not in cols}
        if other:
            print("  other cells: " + ", ".join(f"{t} {n:,}" for t, n in sorted(other.items())))


def is_seq(cell):
    t = cell["type"]
    if t.startswith(SEQ_PREFIXES):
        return True
    if t == "DSP48E1":
        p = cell.get("parameters", {})
        return any(int(str(p.get(k, "0")), 2) != 0 for k in ("MREG", "PREG"))
    return False


def comb_weight(cell):
    """(LUT, CARRY4, MUXF, DSP48E1) levels a combinational cell adds; None for a cell that ends
    and starts paths (flip-flops, shift registers, block RAM, registered DSP48E1, black boxes)."""
    t = cell["type"]
    if LUT_RE.match(t) or LUTRAM_RE.match(t):  # LUTs, LUT RAM reads (see lutram_read_pins)
        return (1, 0, 0, 0)
    if t == "CARRY4":
        return (0, 1, 0, 0)
    if t.startswith("MUXF"):
        return (0, 0, 1, 0)
    if t == "DSP48E1":
        return None if is_seq(cell) else (0, 0, 0, 1)
    if t in ("INV", "BUF", "BUFG", "GND", "VCC"):  # inverters fold into the LUTs they feed
        return (0, 0, 0, 0)
    return None


def depth_report(path, top, n_ends=0):
    with open(path) as f:
        net = json.load(f)
    mods = net["modules"]
    m = mods[top]
    names = {}
    for n, w in m["netnames"].items():
        for b in w["bits"]:
            if isinstance(b, int):
                if b not in names or (names[b].startswith("$") and not n.startswith("$")):
                    names[b] = n + (f"[{w['bits'].index(b)}]" if len(w["bits"]) > 1 else "")
    # Combinational cells: output bit -> (cell weight vector, input bits).
    driver = {}
    ends = []  # (bit, label)
    starts = set()
    for p, port in m["ports"].items():
        for b in port["bits"]:
            if not isinstance(b, int):
                continue
            if port["direction"] == "input":
                starts.add(b)
            else:
                ends.append((b, "output " + p))
    for cname, c in m["cells"].items():
        t = c["type"]
        dirs = c.get("port_directions", {})
        conns = c["connections"]
        ins = [b for p, bits in conns.items() if dirs.get(p) == "input" for b in bits
               if isinstance(b, int)]
        outs = [b for p, bits in conns.items() if dirs.get(p) == "output" for b in bits
                if isinstance(b, int)]
        w = comb_weight(c)
        if w is not None and LUTRAM_RE.match(t):
            # Every input ends a path (the write is clocked); each read output starts after its
            # read address alone.
            inst = re.sub(r"^\$flatten\\", "", cname).replace(".\\", ".").split(".$")[0]
            inst = re.sub(r"(\.\d+)+$", "", re.sub(r"\[\d+\]", "[*]", inst))
            label = (inst if inst and not inst.startswith("$") else "lutram") + f" ({t} write)"
            for b in ins:
                ends.append((b, label))
            in_ports = [p for p in conns if dirs.get(p) == "input"]
            for p, bits in conns.items():
                if dirs.get(p) != "output":
                    continue
                rd = [b for q in lutram_read_pins(p, in_ports) for b in conns[q] if isinstance(b, int)]
                for b in bits:
                    if isinstance(b, int):
                        driver[b] = (w, rd, cname)
            continue
        if w is None:  # a register, a memory or a black box: its outputs start paths
            for b in outs:
                starts.add(b)
            # The end point is named after the register it loads (its Q net).
            if t.startswith("FD"):
                q = conns.get("Q", [None])[0]
                label = names.get(q, cname) if isinstance(q, int) else cname
            else:
                label = names.get(outs[0], cname) if outs else cname
                label = re.sub(r"\[\d+\]$", "", label) + " (" + t + ")"
            for b in ins:
                ends.append((b, label))
            continue
        for b in outs:
            driver[b] = (w, ins, cname)
    sys.setrecursionlimit(100000)
    memo = {}

    def depth(bit):
        # Iterative longest path (LUT levels first, then carry, muxf, dsp) ending at `bit`.
        stack = [bit]
        while stack:
            b = stack[-1]
            if b in memo:
                stack.pop()
                continue
            if b in starts or b not in driver:
                memo[b] = ((0, 0, 0, 0), None)
                stack.pop()
                continue
            w, ins, _ = driver[b]
            pending = [i for i in ins if i not in memo]
            if pending:
                memo_guard = pending[0]
                if memo_guard in stack:  # combinational loop: cut it
                    memo[memo_guard] = ((0, 0, 0, 0), None)
                stack.extend(pending)
                continue
            best = ((0, 0, 0, 0), ins[0] if ins else None)
            for i in ins:
                d = memo[i][0]
                if d > best[0]:
                    best = (d, i)
            memo[b] = (tuple(x + y for x, y in zip(best[0], w)), best[1])
            stack.pop()
        return memo[bit]

    groups = {}
    for b, label in ends:
        d, _ = depth(b)
        key = re.sub(r"\[\d+\]", "[*]", label)
        if key not in groups or d > groups[key][0]:
            groups[key] = (d, b)

    def trace(b):
        path = []
        while b is not None:
            path.append(b)
            b = memo.get(b, (None, None))[1]
        return path

    def start_name(b):
        path = trace(b)
        return names.get(path[-1], f"bit {path[-1]}")

    ranked = sorted(groups.items(), key=lambda kv: kv[1][0], reverse=True)
    if not ranked:
        sys.exit("rtl_synth_report: no register-to-register path in " + path)
    deepest = ranked[0][1][0] if ranked else (0, 0, 0, 0)
    print(f"  deepest register-to-register path: {deepest[0]} LUT levels "
          f"(+{deepest[1]} CARRY4, {deepest[2]} MUXF, {deepest[3]} DSP48E1 on it)")
    # The deepest path ending in each module (register name prefix), then the top end points.
    per_mod = {}
    for key, (d, b) in groups.items():
        mod = key.rsplit(".", 1)[0] if "." in key else "(top)"
        if mod not in per_mod or d > per_mod[mod][0]:
            per_mod[mod] = (d, key, b)
    print("  deepest path into each instance, the 30 deepest (LUT levels, CARRY4, MUXF, DSP48E1;"
          " end point <- start point):")
    for mod, (d, key, b) in sorted(per_mod.items(), key=lambda kv: kv[1][0], reverse=True)[:30]:
        print(f"    {d[0]:>3} {d[1]:>3} {d[2]:>3} {d[3]:>3}  {mod:<48} {key.split('.')[-1]} <- "
              f"{start_name(b)}")
    if n_ends > 0:
        print(f"  the {n_ends} deepest register groups, with the named nets on the path (start first):")
        for key, (d, b) in ranked[:n_ends]:
            steps = []
            for x in reversed(trace(b)):
                n = names.get(x)
                if n is not None and not n.startswith("$"):
                    n = re.sub(r"\[\d+\]$", "", n)
                    if not steps or steps[-1] != n:
                        steps.append(n)
            print(f"    {d[0]:>3} {d[1]:>3} {d[2]:>3} {d[3]:>3}  {key}")
            print("          " + " -> ".join(steps))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "cells":
        cells_report(sys.argv[2], "--xilinx" in sys.argv[3:])
    elif len(sys.argv) in (4, 6) and sys.argv[1] == "depth":
        n_ends = 0
        if len(sys.argv) == 6:
            if sys.argv[4] != "--ends" or not sys.argv[5].isdigit():
                sys.exit("rtl_synth_report: depth NETLIST.json TOP [--ends N]")
            n_ends = int(sys.argv[5])
        depth_report(sys.argv[2], sys.argv[3], n_ends)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
