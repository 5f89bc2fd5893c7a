"""Writes the README's benchmark table from the JSON of a run.py run (and of a fresh.py run).

    python benchmarks/run.py --json run.json
    python benchmarks/fresh.py --json fresh.json
    python benchmarks/readme_table.py run.json [fresh.json] [--readme README.md]

Replaces the text between `<!-- bench:begin -->` and `<!-- bench:end -->` with the table: per
case the median time of each engine, metarun's median over TensorFlow's and over onnxruntime's,
and the target the case carries (met or missed); a header names the commands, the date and the
machine's load. Without --readme the block is printed.
"""

import argparse
import json
import re
import statistics

ENGINES = ("metarun", "tensorflow", "onnxruntime", "numpy")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _time(seconds):
    if seconds is None:
        return "–"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return "%.3g %s" % (seconds / scale, unit)
    return "%.3g ns" % (seconds / 1e-9)


def _median(case, engine):
    res = case["engines"].get(engine, {})
    return res.get("median") if res.get("status") == "ok" else None


def _target(case):
    parts = []
    for engine, r in case.get("ratios", {}).items():
        if r.get("goal") is not None:
            name = {"tensorflow": "TF", "onnxruntime": "ORT"}.get(engine, engine)
            parts.append("≤ %gx %s: %s" % (r["goal"], name, "met" if r["met"] else "**missed**"))
    if case.get("limit"):
        met = (_median(case, "metarun") or float("inf")) <= case["limit"]
        parts.append("≤ %s: %s" % (_time(case["limit"]), "met" if met else "**missed**"))
    return "; ".join(parts) or "reported"


def _ratio(case, engine):
    r = case.get("ratios", {}).get(engine)
    return "%.2fx" % r["ratio"] if r and r.get("ratio") is not None else "–"


def run_rows(data):
    rows = ["| case | metarun | TensorFlow | onnxruntime | numpy | metarun/TF | metarun/ORT | target |",
            "|---|---|---|---|---|---|---|---|"]
    for name, case in data["cases"].items():
        times = [_time(_median(case, e)) for e in ENGINES]
        rows.append("| `%s` | %s | %s | %s |" % (name, " | ".join(times), " | ".join(
            (_ratio(case, "tensorflow"), _ratio(case, "onnxruntime"))), _target(case)))
    return rows


def fresh_rows(data):
    """fresh.py's samples: per case and engine a list of runs ('total' for the seed example,
    'restore' and 'rss_growth' for the checkpoint restore)."""
    rows = ["| case | metarun | TensorFlow | metarun/TF | notes |", "|---|---|---|---|---|"]
    names = {"seed": ("seed.fresh", "total"), "restore": ("restore.400mb", "restore")}
    for key, engines in data.get("results", {}).items():
        name, field = names.get(key, (key, "total"))
        med = {e: statistics.median(s[field] for s in samples) for e, samples in engines.items() if samples}
        mr, tf = med.get("metarun"), med.get("tensorflow")
        note = ""
        if key == "restore":
            growth = {e: statistics.median(s["rss_growth"] for s in samples) / data["checkpoint_bytes"]
                      for e, samples in engines.items() if samples}
            note = "RSS growth %.3fx of the checkpoint's bytes (TF %.3fx)" % (growth.get("metarun", float("nan")),
                                                                              growth.get("tensorflow", float("nan")))
        ratio = "%.2fx" % (mr / tf) if mr and tf else "–"
        rows.append("| `%s` | %s | %s | %s | %s |" % (name, _time(mr), _time(tf), ratio, note))
    return rows


def block(run, fresh=None):
    m = run["machine"]
    lines = [BEGIN,
             "Last run: `python benchmarks/run.py --json run.json`%s, then `python benchmarks/readme_table.py "
             "run.json%s --readme README.md`, in an environment that also has tensorflow-cpu 2.21, onnxruntime "
             "and tf2onnx; %s, %d cores, load average %s at the start; medians of %s rounds (min and max in the "
             "JSON); every engine's outputs matched metarun's unless the table says otherwise."
             % (" and `python benchmarks/fresh.py --json fresh.json`" if fresh else "",
                " fresh.json" if fresh else "", m["when"], m["cores"], m["loadavg"],
                5 if run.get("quick") else 7),
             ""]
    lines += run_rows(run)
    if fresh:
        lines += ["", "Fresh processes (`benchmarks/fresh.py`: a new interpreter per sample, engines alternating):",
                  ""] + fresh_rows(fresh)
    lines.append(END)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_json")
    ap.add_argument("fresh_json", nargs="?")
    ap.add_argument("--readme")
    args = ap.parse_args()
    with open(args.run_json) as f:
        run = json.load(f)
    fresh = None
    if args.fresh_json:
        with open(args.fresh_json) as f:
            fresh = json.load(f)
    text = block(run, fresh)
    if not args.readme:
        print(text)
        return
    with open(args.readme) as f:
        readme = f.read()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit("%s has no %s ... %s block" % (args.readme, BEGIN, END))
    with open(args.readme, "w") as f:
        f.write(pattern.sub(lambda _: text, readme, count=1))


if __name__ == "__main__":
    main()
