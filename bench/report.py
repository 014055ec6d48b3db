#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn bench/guest.sh's CSV (scenario,metric,size,run,value) into the
markdown table of issue 4 (ratios to host-to-host and veth-default, the
targets) and gnuplot charts. Called by bench/run.sh."""

import argparse
import csv
import os
import shutil
import subprocess
import tempfile
from collections import defaultdict

ORDER = ["host-to-host", "veth", "veth-bpf", "netkit", "netkit-bpf", "meta",
         "meta-bpf", "same-veth", "same-netkit", "same-meta",
         "same-meta-shortcut"]
DESC = {
    "host-to-host": "host-to-host (node to node, no pod)",
    "veth": "veth, default (node stack routes)",
    "veth-bpf": "veth + BPF host routing (tc)",
    "netkit": "netkit, default",
    "netkit-bpf": "netkit + BPF host routing",
    "meta": "meta, default",
    "meta-bpf": "meta + BPF host routing",
    "same-veth": "same node: veth",
    "same-netkit": "same node: netkit",
    "same-meta": "same node: meta",
    "same-meta-shortcut": "same node: meta + peer shortcut",
}
MAIN = [("TCP_RR", "1", "TCP_RR (trans/s, 1 B)"),
        ("TCP_CRR", "1", "TCP_CRR (conn/s, 1 B)"),
        ("TCP_STREAM", "16384", "TCP_STREAM (Mbit/s, 16 KiB sends, 1 flow)")]


def fmt(v):
    if v is None:
        return "n/a"
    return f"{v:.0f}" if v >= 100 else f"{v:.2f}"


def ratio(a, b):
    if a is None or not b:
        return "n/a"
    return f"{a / b:.3f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--kver", default="")
    ap.add_argument("--csv", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--notes", default="")
    ap.add_argument("--png-prefix", default="")
    a = ap.parse_args()

    data = defaultdict(dict)        # (scen, metric, size) -> {run: value}
    with open(a.csv) as f:
        for row in csv.DictReader(f):
            data[(row["scenario"], row["metric"], row["size"])][row["run"]] = \
                float(row["value"])
    runs = sorted({r for d in data.values() for r in d}, key=int)
    scen = [s for s in ORDER if any(k[0] == s for k in data)]
    scen += sorted({k[0] for k in data} - set(scen))
    na = []
    if a.notes and os.path.exists(a.notes):
        for line in open(a.notes):
            if line.startswith("# NA "):
                s = line[5:].split(":")[0]
                if s not in scen:
                    na.append((s, line[5:].split(":", 1)[1].strip()))

    def mean(s, m, z):
        d = data.get((s, m, z))
        return sum(d.values()) / len(d) if d else None

    out = []
    out.append(f"## Kernel {a.kernel} ({a.kver})\n")
    out.append("netperf under QEMU icount (figures count guest instructions); "
               f"runs per scenario: {len(runs)}. "
               "Ratios use the mean of the runs.\n")
    for m, z, title in MAIN:
        if not any(k[1] == m and k[2] == z for k in data):
            continue
        h2h, veth = mean("host-to-host", m, z), mean("veth", m, z)
        out.append(f"### {title}\n")
        out.append("| scenario | " + " | ".join(f"run {r}" for r in runs) +
                   " | mean | × host-to-host | × veth default |")
        out.append("|---|" + "---:|" * (len(runs) + 3))
        nas = {n for n, _ in na}
        for s in [x for x in ORDER if x in scen or x in nas] + \
                [x for x in scen if x not in ORDER]:
            d = data.get((s, m, z), {})
            mv = mean(s, m, z)
            out.append(f"| {DESC.get(s, s)} | " +
                       " | ".join(fmt(d.get(r)) for r in runs) +
                       f" | {fmt(mv)} | {ratio(mv, h2h)} | {ratio(mv, veth)} |")
        out.append("")
    for s, why in na:
        out.append(f"- {DESC.get(s, s)}: n/a — {why}")
    if na:
        out.append("")

    # Targets.
    out.append("### Targets\n")
    for m, z, title in MAIN:
        pairs = [("meta", "netkit"), ("meta-bpf", "netkit-bpf"),
                 ("same-meta", "same-netkit")]
        for x, y in pairs:
            mx, my = mean(x, m, z), mean(y, m, z)
            if mx is None or my is None:
                continue
            r = mx / my
            out.append(f"- {m}: {x} / {y} = {r:.3f} "
                       f"({'met' if r >= 0.98 else 'NOT met'}: ≥ 0.98)")
    for m, z, _ in MAIN:
        if m == "TCP_CRR":
            continue
        h2h, veth = mean("host-to-host", m, z), mean("veth", m, z)
        for s in ("veth-bpf", "meta-bpf", "netkit-bpf"):
            v = mean(s, m, z)
            if None in (h2h, veth, v) or h2h == veth:
                continue
            g = (v - veth) / (h2h - veth)
            tgt = f" ({'met' if g >= 0.9 else 'NOT met'}: ≥ 90%)" if s == "meta-bpf" else ""
            out.append(f"- {m}: {s} closes {100 * g:.0f}% of the veth-default → "
                       f"host-to-host gap{tgt}")
        x, y = mean("same-meta-shortcut", m, z), mean("same-netkit", m, z)
        if x is not None and y is not None:
            out.append(f"- {m}: same-node meta + shortcut / netkit = {x / y:.3f} "
                       f"({'met' if x > y else 'NOT met'}: > 1)")
    out.append("")

    # Sweep.
    sizes = sorted({int(k[2]) for k in data if k[1] in ("TCP_RR", "TCP_STREAM")})
    if len(sizes) > 2:
        for m, title, conv in (("TCP_RR", "TCP latency (µs per round trip = 1e6 / TCP_RR, request = response = size)",
                                lambda v: 1e6 / v),
                               ("TCP_STREAM", "TCP bandwidth (Mbit/s, send size)", lambda v: v)):
            out.append(f"### Sweep: {title}\n")
            out.append("| scenario | " + " | ".join(str(z) for z in sizes) + " |")
            out.append("|---|" + "---:|" * len(sizes))
            for s in scen:
                cells = []
                for z in sizes:
                    v = mean(s, m, str(z))
                    cells.append(fmt(conv(v)) if v else "n/a")
                out.append(f"| {s} | " + " | ".join(cells) + " |")
            out.append("")

    # Evidence / failures.
    if a.notes and os.path.exists(a.notes):
        ev = [l.rstrip() for l in open(a.notes) if not l.startswith("# NA ")]
        if ev:
            out.append("<details><summary>guest notes (path evidence, failures)</summary>\n")
            out.append("```")
            out += ev
            out.append("```\n</details>\n")

    # Charts.
    charts = []
    if a.png_prefix and shutil.which("gnuplot"):
        tmp = tempfile.mkdtemp()
        base = os.path.basename(a.png_prefix)
        # Bars: main metrics relative to host-to-host.
        main_rows = []
        for s in scen:
            vals = []
            for m, z, _ in MAIN:
                v, h = mean(s, m, z), mean("host-to-host", m, z)
                vals.append(f"{v / h:.4f}" if v and h else "NaN")
            main_rows.append(f"\"{s}\" " + " ".join(vals))
        with open(f"{tmp}/main.dat", "w") as f:
            f.write("\n".join(main_rows) + "\n")
        gp = f"""set terminal pngcairo size 1000,500 noenhanced
set output '{a.png_prefix}-main.png'
set title 'kernel {a.kernel}: relative to host-to-host (icount)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:1.2]
set xtics rotate by -30
set key top center horizontal
set grid ytics
plot '{tmp}/main.dat' using 2:xtic(1) title 'TCP_RR', '' using 3 title 'TCP_CRR', '' using 4 title 'TCP_STREAM'
"""
        charts.append((f"{base}-main.png", gp))
        if len(sizes) > 2:
            for m, name, ylabel, conv in (("TCP_RR", "latency", "µs per round trip", lambda v: 1e6 / v),
                                          ("TCP_STREAM", "bandwidth", "Mbit/s", lambda v: v)):
                plots = []
                for i, s in enumerate(scen):
                    fn = f"{tmp}/{name}-{i}.dat"
                    with open(fn, "w") as f:
                        for z in sizes:
                            v = mean(s, m, str(z))
                            if v:
                                f.write(f"{z} {conv(v):.3f}\n")
                    plots.append(f"'{fn}' using 1:2 with linespoints title '{s}'")
                gp = f"""set terminal pngcairo size 1000,600 noenhanced
set output '{a.png_prefix}-{name}.png'
set title 'kernel {a.kernel}: TCP {name} by message size (icount)'
set logscale x 2
set xlabel 'message size (bytes)'
set ylabel '{ylabel}'
set key outside right
set grid
plot {', '.join(plots)}
"""
                charts.append((f"{base}-{name}.png", gp))
        made = []
        for png, gp in charts:
            r = subprocess.run(["gnuplot"], input=gp, text=True,
                               capture_output=True)
            if r.returncode == 0:
                made.append(png)
            else:
                print(f"gnuplot failed for {png}: {r.stderr.strip()}")
        shutil.rmtree(tmp)
        if made:
            out.append("### Charts\n")
            out += [f"![{p}]({p})" for p in made]
            out.append("")

    with open(a.md, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
