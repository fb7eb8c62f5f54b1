#!/usr/bin/env python3
"""scripts/rtl_synth_report.py depth on a small hand-made netlist: a LUT-RAM's write ends a path
and its read output follows its read address only."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, "..", "..", "scripts", "rtl_synth_report.py")


def ff(d, q):
    return {"type": "FDRE", "parameters": {},
            "port_directions": {"C": "input", "CE": "input", "R": "input", "D": "input",
                                "Q": "output"},
            "connections": {"C": [1], "CE": ["1"], "R": ["0"], "D": [d], "Q": [q]}}


def lut(i, o):
    return {"type": "LUT1", "parameters": {},
            "port_directions": {"I0": "input", "O": "output"},
            "connections": {"I0": [i], "O": [o]}}


def main():
    # w_q -> 2 LUTs -> the RAM's write data (2 levels, ending at the RAM);
    # a_q -> 1 LUT -> the RAM's read address -> read (1) -> 1 LUT -> r_q: 3 levels.
    # Counted through the write data, the path into r_q would be 4 levels.
    ram_ports = {p: "input" for p in ("ADDRA", "ADDRB", "ADDRC", "ADDRD", "DIA", "DIB", "DIC",
                                      "DID", "WCLK", "WE")}
    ram_ports.update({p: "output" for p in ("DOA", "DOB", "DOC", "DOD")})
    ram_conn = {"ADDRA": [21] * 5, "ADDRB": ["0"] * 5, "ADDRC": ["0"] * 5, "ADDRD": ["0"] * 5,
                "DIA": [12, 12], "DIB": ["0", "0"], "DIC": ["0", "0"], "DID": ["0", "0"],
                "WCLK": [1], "WE": [12], "DOA": [30, 30], "DOB": [40, 41], "DOC": [42, 43],
                "DOD": [44, 45]}
    net = {"modules": {"top": {
        "ports": {"clk": {"direction": "input", "bits": [1]}},
        "cells": {
            "w_ff": ff(50, 10), "l1": lut(10, 11), "l2": lut(11, 12),
            "a_ff": ff(51, 20), "l3": lut(20, 21),
            "mem": {"type": "RAM32M", "parameters": {}, "port_directions": ram_ports,
                    "connections": ram_conn},
            "l4": lut(30, 32), "r_ff": ff(32, 33), "w2_ff": ff(12, 34),
        },
        "netnames": {"w_q": {"bits": [10]}, "a_q": {"bits": [20]}, "r_q": {"bits": [33]},
                     "w2_q": {"bits": [34]}, "rd": {"bits": [30]}},
    }}}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "net.json")
        with open(path, "w") as f:
            json.dump(net, f)
        out = subprocess.run([sys.executable, REPORT, "depth", path, "top", "--ends", "4"],
                             check=True, capture_output=True, text=True).stdout
    print(out)
    ok = True
    if "deepest register-to-register path: 3 LUT levels" not in out:
        print("FAIL: the deepest path should be 3 LUT levels (a_q -> read address -> r_q)")
        ok = False
    if "a_q -> rd" not in out:
        print("FAIL: the path into r_q should start at a_q and pass the read data")
        ok = False
    if not any("(RAM32M write)" in line and line.split()[0] == "2" for line in out.splitlines()):
        print("FAIL: the RAM's write should end a 2-level path")
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
