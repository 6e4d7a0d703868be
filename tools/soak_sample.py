#!/usr/bin/env python3
"""Samples a running kvstore daemon every --interval seconds into a CSV, or (--plot) draws that CSV as an SVG.

Per sample: heap used (jstat), JVM direct buffer pool, RSS and open files (/proc), blocks, evictions, and the
p50/p99/p999 of GET, PUT and LOOKUP over the interval, from the server's kvstore_request_duration_seconds
histogram (bucket upper bounds: a percentile is the bound of the bucket it falls in). Standard library only.
"""
import argparse, csv, os, re, subprocess, sys, time, urllib.request

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)')
OPS = ("GET", "PUT", "LOOKUP")
QS = (0.5, 0.99, 0.999)


def scrape(admin):
    out = []
    with urllib.request.urlopen(admin + "/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            m = LINE.match(line)
            if m and not line.startswith("#"):
                labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
                out.append((m.group(1), labels, float(m.group(4))))
    return out


def total(samples, name, **want):
    return sum(v for n, l, v in samples if n == name and all(l.get(k) == x for k, x in want.items()))


def buckets(samples, op):
    b = {}
    for n, l, v in samples:
        if n == "kvstore_request_duration_seconds_bucket" and l.get("opcode") == op:
            b[float(l["le"])] = b.get(float(l["le"]), 0) + v
    return b


def quantile(prev, cur, q):
    les = sorted(cur)
    delta = [(le, cur[le] - prev.get(le, 0)) for le in les]
    n = delta[-1][1] if delta else 0
    if n <= 0:
        return ""
    for le, c in delta:
        if c >= q * n:
            return "%.6f" % (le * 1000) if le != float("inf") else "inf"
    return ""


def proc(pid):
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    return rss, len(os.listdir("/proc/%d/fd" % pid))


def heap(pid):
    try:
        out = subprocess.run(["jstat", "-gc", str(pid)], capture_output=True, text=True, timeout=20).stdout.split("\n")
        h = dict(zip(out[0].split(), out[1].split()))
        return int(sum(float(h[k]) for k in ("S0U", "S1U", "EU", "OU")) * 1024)
    except Exception:
        return -1


def sample(a):
    fields = ["t_s", "heap_bytes", "jvm_direct_bytes", "rss_bytes", "open_files", "blocks", "evictions", "requests"]
    fields += ["%s_p%s_ms" % (op.lower(), str(q * 100).rstrip("0").rstrip(".").replace(".", "")) for op in OPS for q in QS]
    start = time.time()
    prev = {op: {} for op in OPS}
    with open(a.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields)
        while time.time() - start < a.seconds:
            time.sleep(a.interval)
            try:
                s = scrape(a.admin)
                rss, fds = proc(a.pid)
            except Exception as e:
                print("sample failed:", e, file=sys.stderr)
                break
            row = [round(time.time() - start), heap(a.pid), int(total(s, "kvstore_direct_memory_used_bytes", pool="direct")),
                   rss, fds, int(total(s, "kvstore_tier_blocks")), int(total(s, "kvstore_evictions_total")),
                   int(total(s, "kvstore_requests_total"))]
            for op in OPS:
                cur = buckets(s, op)
                row += [quantile(prev[op], cur, q) for q in QS]
                prev[op] = cur
            w.writerow(row)
            f.flush()


def plot(a):
    rows = list(csv.DictReader(open(a.csv)))
    if not rows:
        sys.exit("no samples in " + a.csv)
    W, H, L, P = 900, 230, 70, 30
    panels = [("memory (MiB)", [("rss_bytes", "RSS", "#d62728"), ("heap_bytes", "heap used", "#1f77b4"),
                                 ("jvm_direct_bytes", "JVM direct", "#2ca02c")], 1 / 2**20),
              ("GET latency (ms, server, per 10 s)", [("get_p50_ms", "p50", "#1f77b4"), ("get_p99_ms", "p99", "#d62728"),
                                                      ("get_p999_ms", "p99.9", "#9467bd")], 1),
              ("open files / blocks (thousands)", [("open_files", "open files", "#8c564b"),
                                                   ("blocks", "blocks/1000", "#17becf")], 1)]
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">'
           % (W, P + len(panels) * (H + P)), '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14">%s</text>' % (L, a.title)]
    tmax = max(float(r["t_s"]) for r in rows) or 1
    for i, (title, series, scale) in enumerate(panels):
        y0 = P + i * (H + P) + 10
        vals = []
        for key, _, _ in series:
            for r in rows:
                v = r.get(key, "")
                if v not in ("", "inf", "-1"):
                    vals.append(float(v) * (scale if key != "blocks" else 1 / 1000))
        vmax = max(vals) * 1.1 if vals else 1
        svg.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (L, y0, W - L - 20, H - 30))
        svg.append('<text x="%d" y="%d">%s</text>' % (L + 5, y0 + 14, title))
        for k in range(5):
            yv = vmax * k / 4
            yy = y0 + (H - 30) * (1 - k / 4)
            svg.append('<text x="%d" y="%d" text-anchor="end">%.3g</text>' % (L - 5, yy + 4, yv))
        for j, (key, label, color) in enumerate(series):
            pts = []
            for r in rows:
                v = r.get(key, "")
                if v in ("", "inf", "-1"):
                    continue
                v = float(v) * (scale if key != "blocks" else 1 / 1000)
                x = L + (W - L - 20) * float(r["t_s"]) / tmax
                y = y0 + (H - 30) * (1 - v / vmax)
                pts.append("%.1f,%.1f" % (x, y))
            svg.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (color, " ".join(pts)))
            svg.append('<text x="%d" y="%d" fill="%s">%s</text>' % (W - 200 + 0, y0 + 14 + 14 * j, color, label))
        svg.append('<text x="%d" y="%d" text-anchor="middle">time (s), 0 .. %d</text>' % (L + (W - L) / 2, y0 + H - 12, tmax))
    svg.append("</svg>")
    open(a.svg, "w").write("\n".join(svg))
    print("wrote", a.svg)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int)
    p.add_argument("--admin")
    p.add_argument("--seconds", type=float, default=1800)
    p.add_argument("--interval", type=float, default=10)
    p.add_argument("--csv", required=True)
    p.add_argument("--plot", action="store_true")
    p.add_argument("--svg")
    p.add_argument("--title", default="kvstore soak")
    a = p.parse_args()
    plot(a) if a.plot else sample(a)
