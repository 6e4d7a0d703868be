#!/usr/bin/env python3
"""TTFT per turn of the reference engine on an agent session shaped like a WEKA Claude Code trace, measured:
cold prefill (no kvstore), the session as it runs (each turn hits what the previous turn saved), all hits (the
whole prompt's pages cached: the same prompt again) and 50% hits (the second half of the prompt's pages deleted
from kvstore before the turn). Every cached turn's first-token logits are checked equal to the session turn's.

The session's shape comes from a trace (`traces/weka-claude-code/trace_NNNN.json.gz`, fetched as docs/traces.md
says): each request's prefix-chained `hash_ids` (64-token blocks) become `--tokens-per-hash` tokens each (a hash
id always gives the same tokens), so contexts keep the trace's growth and sharing at a size this CPU model can prefill. Starts its own
daemon (shared-memory DRAM arena) and writes a CSV, a Markdown table and an SVG.

    /usr/bin/python3 clients/python/examples/reference_engine/measure_ttft.py \\
        --trace traces/weka-claude-code/trace_0019.json.gz --out docs/reference-engine
"""
import argparse
import gzip
import json
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))                       # examples/
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))      # clients/python

import torch  # noqa: E402

from kvstore_client import connect  # noqa: E402
from reference_engine.engine import ReferenceEngine, namespace_for  # noqa: E402
from reference_engine.model import ModelConfig, TinyDecoder  # noqa: E402
from tests import daemon  # noqa: E402

MODES = ["cold", "session", "all hits", "50% hits"]


def session_prompts(path, tokens_per_hash, vocab, max_turns):
    with gzip.open(path, "rt") as f:
        trace = json.load(f)
    prompts = []
    for r in trace["requests"]:
        if "hash_ids" not in r or not r["hash_ids"]:
            continue
        toks = []
        for h in r["hash_ids"]:
            g = random.Random(h * 7919 + 17)
            toks.extend(g.randrange(vocab) for _ in range(tokens_per_hash))
        prompts.append(toks)
    return trace.get("id", os.path.basename(path)), prompts[:max_turns]


def svg(rows, path, title):
    w, h, ml, mb, mt, mr = 760, 380, 60, 50, 30, 150
    xs = [r["context"] for r in rows]
    ymax = max(r[m] for r in rows for m in MODES) * 1.1
    xmin, xmax = min(xs), max(xs)
    colours = {"cold": "#d62728", "session": "#1f77b4", "all hits": "#2ca02c", "50% hits": "#ff7f0e"}

    def px(x):
        return ml + (x - xmin) / max(1, xmax - xmin) * (w - ml - mr)

    def py(y):
        return h - mb - y / ymax * (h - mb - mt)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">'
           % (w, h), '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" font-size="14">%s</text>' % (ml, title),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, h - mb, w - mr, h - mb),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, mt, ml, h - mb)]
    for i in range(6):
        y = ymax * i / 5
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (ml - 5, py(y) + 4, y))
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (ml, py(y), w - mr, py(y)))
    for i in range(6):
        x = xmin + (xmax - xmin) * i / 5
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (px(x), h - mb + 16, x))
    out.append('<text x="%d" y="%d" text-anchor="middle">prompt tokens</text>' % ((ml + w - mr) // 2, h - 12))
    out.append('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">TTFT (s)</text>'
               % ((mt + h - mb) // 2, (mt + h - mb) // 2))
    for k, m in enumerate(MODES):
        pts = " ".join("%.1f,%.1f" % (px(r["context"]), py(r[m])) for r in rows)
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (colours[m], pts))
        out.append('<text x="%d" y="%d" fill="%s">%s</text>' % (w - mr + 10, mt + 20 + 18 * k, colours[m], m))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trace", required=True)
    ap.add_argument("--tokens-per-hash", type=int, default=16)
    ap.add_argument("--max-turns", type=int, default=24)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="reference-engine")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = ModelConfig(dtype=getattr(torch, a.dtype))
    trace_id, prompts = session_prompts(a.trace, a.tokens_per_hash, cfg.vocab, a.max_turns)
    d = daemon.SharedMemoryDaemon().start()
    rows = []
    try:
        model = TinyDecoder(cfg)
        ns = namespace_for(cfg, "ttft/" + os.urandom(4).hex())
        cold = ReferenceEngine(model)
        cached = ReferenceEngine(model, lambda: connect(d.host, d.port, ns, timeout=60, verify_checksums=True))
        print("model: %d parameters, %s, %d layers, %d KV heads x %d, %d B of KV per token, %d-token pages; "
              "shared memory: %s" % (cfg.parameters, a.dtype, cfg.layers, cfg.heads, cfg.head_dim,
                                     cfg.kv_bytes_per_token, cfg.page_tokens, cached.kv.uses_shared_memory))
        for i, p in enumerate(prompts):
            row = {"turn": i + 1, "context": len(p)}
            r = cold.run_turn(p)
            row["cold"] = r.ttft_seconds
            r = cached.run_turn(p)  # the session as it runs: hits what the previous turn saved
            row["session"], row["session_hit"] = r.ttft_seconds, r.hit_tokens
            r2 = cached.run_turn(p)  # now the whole prompt is cached
            row["all hits"], row["all_hit"], row["all_load"] = r2.ttft_seconds, r2.hit_tokens, r2.load_seconds
            assert torch.equal(r2.first_logits, r.first_logits)
            pages = (len(p) - 1) // cfg.page_tokens
            cached.kv.delete(cached.kv.block_keys(p)[pages // 2:])  # drop the second half of the prompt's pages
            r3 = cached.run_turn(p)  # loads the first half, prefills and saves the rest
            assert torch.equal(r3.first_logits, r.first_logits)
            row["50% hits"], row["half_hit"] = r3.ttft_seconds, r3.hit_tokens
            rows.append(row)
            print("turn %2d  %6d tokens  cold %6.2f s  session %6.2f s (hit %5d)  all hits %5.2f s (hit %5d, "
                  "load %.3f s)  50%% %6.2f s (hit %5d)" % (
                      i + 1, len(p), row["cold"], row["session"], row["session_hit"], row["all hits"],
                      row["all_hit"], row["all_load"], row["50% hits"], row["half_hit"]), flush=True)
        cached.close()
    finally:
        d.stop()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out + ".csv", "w") as f:
        f.write("turn,prompt_tokens,cold_s,session_s,session_hit_tokens,all_hits_s,all_hit_tokens,all_hits_load_s,"
                "half_hits_s,half_hit_tokens\n")
        for r in rows:
            f.write("%d,%d,%.4f,%.4f,%d,%.4f,%d,%.4f,%.4f,%d\n" % (
                r["turn"], r["context"], r["cold"], r["session"], r["session_hit"], r["all hits"], r["all_hit"],
                r["all_load"], r["50% hits"], r["half_hit"]))
    big = [r for r in rows if r["context"] >= 8192]
    with open(a.out + ".md", "w") as f:
        f.write("| turn | prompt tokens | cold (s) | session (s) | all hits (s) | 50% hits (s) | all hits / cold |\n")
        f.write("|---|---|---|---|---|---|---|\n")
        for r in rows:
            f.write("| %d | %d | %.2f | %.2f | %.2f | %.2f | %.3f |\n" % (
                r["turn"], r["context"], r["cold"], r["session"], r["all hits"], r["50% hits"],
                r["all hits"] / r["cold"]))
        if big:
            f.write("\nTurns of 8k tokens and more (%d): median all hits / cold %.3f, max %.3f; median session / "
                    "cold %.3f; median 50%% hits / cold %.3f.\n" % (
                        len(big), statistics.median(r["all hits"] / r["cold"] for r in big),
                        max(r["all hits"] / r["cold"] for r in big),
                        statistics.median(r["session"] / r["cold"] for r in big),
                        statistics.median(r["50% hits"] / r["cold"] for r in big)))
    svg(rows, a.out + ".svg", "Reference engine TTFT per turn, %s shape (%s)" % (trace_id, a.dtype))
    print("wrote %s.csv, %s.md, %s.svg" % (a.out, a.out, a.out))


if __name__ == "__main__":
    main()
