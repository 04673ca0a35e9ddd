"""Time vs number of tables on log axes, one line per measure: bench/scaling.svg.

    python plot.py OUT.svg < series.json

series.json: {key: {"label": str, "points": [[N, seconds], ...], "ours": bool}}.
Run by the peers' interpreter (matplotlib is not a project dependency).
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

out = sys.argv[1]
series = json.load(sys.stdin)
plt.rcParams["svg.hashsalt"] = "schema-studio-bench"  # stable ids between runs
fig, ax = plt.subplots(figsize=(11, 7))
for s in series.values():
    xs = [p[0] for p in s["points"]]
    ys = [p[1] for p in s["points"]]
    style = "-" if s["ours"] else "--"
    ax.plot(xs, ys, style, marker="o", linewidth=2.2 if s["ours"] else 1.2, label=s["label"][:80])
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("tables (N)")
ax.set_ylabel("seconds (median)")
ax.set_title("schema-studio (solid) and the peers (dashed): time vs number of tables")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.tight_layout()
fig.savefig(out, metadata={"Date": None})
