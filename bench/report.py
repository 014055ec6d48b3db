#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn bench/guest.sh's CSV (scenario,metric,size,run,value) into the
markdown table of issue 4 (ratios to host-to-host and veth-default, the
targets) and gnuplot charts. Called by bench/run.sh."""

import argparse
import csv
import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict

ORDER = ["host-to-host", "veth", "veth-bpf", "netkit", "netkit-bpf", "meta",
         "meta-bpf", "same-veth", "same-netkit", "same-meta",
         "same-meta-shortcut"]
PAIRS = [("meta", "netkit"), ("meta-bpf", "netkit-bpf"),
         ("same-meta", "same-netkit")]
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
# TCP_STREAM with 256 KiB sends, without and with IPv4 BIG TCP (guest.sh's
# BIG_SCEN, kernels 6.3+).
NOBIG = ("TCP_STREAM_NOBIG", "262144")
BIG = ("TCP_STREAM_BIG", "262144")
BIG_TITLE = ("TCP_STREAM with BIG TCP (Mbit/s, 256 KiB sends, 1 flow; "
             "gso/gro_ipv4_max_size 196608 on every device of the path, "
             "against the same without: GSO at most 64 KiB)")
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


def load(path):
    """CSV -> {(scenario, metric, size): {run: value}}."""
    data = defaultdict(dict)
    with open(path) as f:
        for row in csv.DictReader(f):
            data[(row["scenario"], row["metric"], row["size"])][row["run"]] = \
                float(row["value"])
    return data


def mean_of(data, s, m, z):
    d = data.get((s, m, z))
    return sum(d.values()) / len(d) if d else None


def spread(data, keys):
    """Largest (max - min) / mean over the runs of keys, and where."""
    worst = (0.0, None)
    for k in keys:
        d = data.get(k, {})
        if len(d) < 2:
            continue
        v = list(d.values())
        sp = (max(v) - min(v)) / (sum(v) / len(v))
        if sp > worst[0]:
            worst = (sp, k)
    return worst


def gap(data, s, m, z):
    """Share of the veth-default -> host-to-host gap that s closes."""
    h2h, veth, v = (mean_of(data, x, m, z) for x in ("host-to-host", "veth", s))
    if None in (h2h, veth, v) or h2h == veth:
        return None
    return (v - veth) / (h2h - veth)


def sweep_keys(data):
    """(metric, size) of the sweep points measured for both of a pair."""
    return sorted({(k[1], k[2]) for k in data
                   if k[1] in ("TCP_RR", "TCP_STREAM")}, key=lambda x: (x[0], int(x[1])))


def meta_vs_netkit(data):
    """meta / netkit ratio of every row measured for both: main metrics of
    the three pairs and the sweep points. [(ratio, label)]."""
    out = []
    for x, y in PAIRS:
        for m, z in sweep_keys(data) + [("TCP_CRR", "1")]:
            mx, my = mean_of(data, x, m, z), mean_of(data, y, m, z)
            if mx is None or my is None or not my:
                continue
            out.append((mx / my, f"{x}/{y} {m} {z}"))
    return out


def summary(results, path):
    # <kernel>.csv only: other tools keep their own CSVs next to these.
    kernels = sorted((f[:-4] for f in os.listdir(results)
                      if re.fullmatch(r"[0-9]+(\.[0-9]+)*\.csv", f)),
                     key=lambda k: [int(x) for x in k.split(".")], reverse=True)
    datas = {k: load(os.path.join(results, k + ".csv")) for k in kernels}
    out = ["## Summary: every kernel\n",
           "Mean of the runs of each scenario (netperf under QEMU icount, one "
           "boot per kernel); in brackets the ratio to host-to-host. "
           "Per-kernel tables, sweeps and path counters: " +
           ", ".join(f"[{k}.md]({k}.md)" for k in kernels) + ".\n"]
    for m, z, title in MAIN:
        out.append(f"### {title}\n")
        out.append("| scenario | " + " | ".join(kernels) + " |")
        out.append("|---|" + "---:|" * len(kernels))
        for s in ORDER:
            cells = []
            for k in kernels:
                v, h = mean_of(datas[k], s, m, z), mean_of(datas[k], "host-to-host", m, z)
                cells.append("n/a" if v is None else
                             f"{fmt(v)} ({v / h:.3f})" if h else fmt(v))
            out.append(f"| {s} | " + " | ".join(cells) + " |")
        out.append("")
    big = [sc for sc in ORDER if any(mean_of(datas[k], sc, *BIG) is not None
                                     for k in kernels)]
    if big:
        out.append(f"### {BIG_TITLE}\n")
        out.append("In brackets: × the same scenario's 256 KiB TCP_STREAM without "
                   "BIG TCP (same boot).\n")
        out.append("| scenario | " + " | ".join(kernels) + " |")
        out.append("|---|" + "---:|" * len(kernels))
        for sc in big:
            cells = []
            for k in kernels:
                v = mean_of(datas[k], sc, *BIG)
                n = mean_of(datas[k], sc, *NOBIG)
                cells.append("n/a" if v is None else
                             f"{fmt(v)} ({v / n:.3f})" if n else fmt(v))
            out.append(f"| {sc} | " + " | ".join(cells) + " |")
        out.append("")
    out.append("### Targets of issue 4\n")
    out.append("| target | " + " | ".join(kernels) + " |")
    out.append("|---|" + "---|" * len(kernels))
    row = []
    for k in kernels:
        # Every row: the main metrics and the sweep points alike.
        r = meta_vs_netkit(datas[k])
        if not r:
            row.append("n/a (no netkit)")
            continue
        lo = min(r)
        met = sum(1 for x in r if x[0] >= 0.98)
        row.append(f"{'met' if met == len(r) else 'NOT met'}: {met} of {len(r)} "
                   f"rows (main and sweep) ≥ 0.98; lowest {lo[0]:.3f} ({lo[1]})")
    out.append("| meta ≥ 0.98 × netkit, every row | " + " | ".join(row) + " |")
    for m, z in (("TCP_RR", "1"), ("TCP_STREAM", "16384")):
        row = []
        for k in kernels:
            g = {s: gap(datas[k], s, m, z) for s in ("meta-bpf", "netkit-bpf", "veth-bpf")}
            if g["meta-bpf"] is None:
                row.append("n/a")
                continue
            others = ", ".join(f"{s} {100 * v:.0f} %" for s, v in g.items()
                               if s != "meta-bpf" and v is not None)
            row.append(f"{100 * g['meta-bpf']:.0f} % "
                       f"({'met' if g['meta-bpf'] >= 0.9 else 'NOT met'}; {others})")
        out.append(f"| {m}: meta-bpf closes ≥ 90 % of the veth → host-to-host gap | " +
                   " | ".join(row) + " |")
    for m, z in (("TCP_RR", "1"), ("TCP_STREAM", "16384")):
        row = []
        for k in kernels:
            x = mean_of(datas[k], "same-meta-shortcut", m, z)
            y = mean_of(datas[k], "same-netkit", m, z)
            v = mean_of(datas[k], "same-veth", m, z)
            if x is None:
                row.append("n/a")
            elif y is None:
                row.append(f"n/a (no netkit); {x / v:.3f} × same-veth" if v else "n/a")
            else:
                row.append(f"{x / y:.3f} ({'met' if x > y else 'NOT met'})")
        out.append(f"| {m}: same node, meta + shortcut > netkit | " + " | ".join(row) + " |")
    row = []
    for k in kernels:
        keys = [(s, m, z) for s in ORDER for m, z, _ in MAIN]
        sp, where = spread(datas[k], keys)
        row.append(f"{100 * sp:.2f} % ({where[0]} {where[1]})" if where else "n/a")
    out.append("| run-to-run spread, largest of the main rows | " + " | ".join(row) + " |")
    out.append("")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel")
    ap.add_argument("--kver", default="")
    ap.add_argument("--csv")
    ap.add_argument("--md")
    ap.add_argument("--notes", default="")
    ap.add_argument("--png-prefix", default="")
    ap.add_argument("--summary", help="write the all-kernel summary here")
    ap.add_argument("--results", help="directory of the <kernel>.csv files")
    a = ap.parse_args()
    if a.summary:
        if not a.results:
            ap.error("--summary needs --results")
        summary(a.results, a.summary)
        return
    if not (a.kernel and a.csv and a.md):
        ap.error("--kernel, --csv and --md are required")

    data = load(a.csv)
    runs = sorted({r for d in data.values() for r in d}, key=int)
    scen = [s for s in ORDER if any(k[0] == s for k in data)]
    scen += sorted({k[0] for k in data} - set(scen))
    na, big_na = [], []
    if a.notes and os.path.exists(a.notes):
        for line in open(a.notes):
            if line.startswith("# NA-BIG "):
                sc, why = line[9:].split(":", 1)
                big_na.append((sc.strip(), why.strip()))
            elif line.startswith("# NA "):
                s = line[5:].split(":")[0]
                if s not in scen:
                    na.append((s, line[5:].split(":", 1)[1].strip()))

    def mean(s, m, z):
        return mean_of(data, s, m, z)

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

    # BIG TCP: the same TCP_STREAM with IPv4 BIG TCP, against the one
    # without it in the same boot.
    big = [x for x in ORDER if (x, *BIG) in data] + \
        [x for x in scen if x not in ORDER and (x, *BIG) in data]
    if big or big_na:
        out.append(f"### {BIG_TITLE}\n")
        out.append("| scenario | " + " | ".join(f"run {r}" for r in runs) +
                   " | mean | without BIG TCP | × without |")
        out.append("|---|" + "---:|" * (len(runs) + 3))
        for x in big:
            d = data.get((x, *BIG), {})
            mv, nv = mean(x, *BIG), mean(x, *NOBIG)
            out.append(f"| {DESC.get(x, x)} | " +
                       " | ".join(fmt(d.get(r)) for r in runs) +
                       f" | {fmt(mv)} | {fmt(nv)} | {ratio(mv, nv)} |")
        for x, why in big_na:
            if x not in big:
                out.append(f"| {DESC.get(x, x)} | " + " | ".join("n/a" for _ in runs) +
                           f" | n/a | {fmt(mean(x, *NOBIG))} | n/a |")
        out.append("")
        for why in sorted({w for x, w in big_na if x not in big}):
            out.append(f"- n/a: {why}")
        if big_na:
            out.append("")

    # Targets.
    out.append("### Targets\n")
    for m, z, title in MAIN:
        for x, y in PAIRS:
            mx, my = mean(x, m, z), mean(y, m, z)
            if mx is None or my is None:
                continue
            r = mx / my
            out.append(f"- {m}: {x} / {y} = {r:.3f} "
                       f"({'met' if r >= 0.98 else 'NOT met'}: ≥ 0.98)")
    if not meta_vs_netkit(data):
        out.append("- meta / netkit: n/a (no netkit figures" +
                   ("; the kernel has no netkit)" if na else ")"))
    sw = [x for x in meta_vs_netkit(data) if x[1].split()[1:] not in
          (["TCP_RR", "1"], ["TCP_CRR", "1"], ["TCP_STREAM", "16384"])]
    if sw:
        low = sorted(x for x in sw if x[0] < 0.98)
        out.append(f"- sweep: meta / netkit ≥ 0.98 on {len(sw) - len(low)} of "
                   f"{len(sw)} points" + (": below, " + ", ".join(
                       f"{l} {r:.3f}" for r, l in low) if low else ""))
    mx, my = mean("meta-bpf", *BIG), mean("netkit-bpf", *BIG)
    if mx is not None and my:
        out.append(f"- TCP_STREAM with BIG TCP: meta-bpf / netkit-bpf = {mx / my:.3f}")
    mx, my = mean("meta-bpf", *NOBIG), mean("netkit-bpf", *NOBIG)
    if mx is not None and my:
        out.append(f"- TCP_STREAM, 256 KiB sends, no BIG TCP: meta-bpf / netkit-bpf = {mx / my:.3f}")
    for m, z, _ in MAIN:
        if m == "TCP_CRR":
            continue
        for s in ("veth-bpf", "meta-bpf", "netkit-bpf"):
            g = gap(data, s, m, z)
            if g is None:
                continue
            tgt = f" ({'met' if g >= 0.9 else 'NOT met'}: ≥ 90%)" if s == "meta-bpf" else ""
            out.append(f"- {m}: {s} closes {100 * g:.0f}% of the veth-default → "
                       f"host-to-host gap{tgt}")
        x, y = mean("same-meta-shortcut", m, z), mean("same-netkit", m, z)
        if x is not None and y is not None:
            out.append(f"- {m}: same-node meta + shortcut / netkit = {x / y:.3f} "
                       f"({'met' if x > y else 'NOT met'}: > 1)")
    sp, where = spread(data, [(s, m, z) for s in scen for m, z, _ in MAIN])
    if where:
        out.append(f"- run-to-run spread of the main rows: at most {100 * sp:.2f}% "
                   f"({where[0]} {where[1]})")
    out.append("")

    # Sweep.
    sizes = sorted({int(k[2]) for k in data if k[1] in ("TCP_RR", "TCP_STREAM")})
    # Scenarios with a sweep: more sizes than the main rows' two.
    swscen = [s for s in scen if len({k[2] for k in data if k[0] == s and
                                      k[1] in ("TCP_RR", "TCP_STREAM")}) > 2]
    if len(sizes) > 2:
        for m, title, conv in (("TCP_RR", "TCP latency (µs per round trip = 1e6 / TCP_RR, request = response = size)",
                                lambda v: 1e6 / v),
                               ("TCP_STREAM", "TCP bandwidth (Mbit/s, send size)", lambda v: v)):
            out.append(f"### Sweep: {title}\n")
            out.append("| scenario | " + " | ".join(str(z) for z in sizes) + " |")
            out.append("|---|" + "---:|" * len(sizes))
            for s in swscen:
                cells = []
                for z in sizes:
                    v = mean(s, m, str(z))
                    cells.append(fmt(conv(v)) if v else "n/a")
                out.append(f"| {s} | " + " | ".join(cells) + " |")
            out.append("")

    # Evidence / failures.
    if a.notes and os.path.exists(a.notes):
        ev = [l.rstrip() for l in open(a.notes)
              if not l.startswith(("# NA ", "# NA-BIG "))]
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
                for i, s in enumerate(swscen):
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
