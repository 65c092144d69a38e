"""Merge the annotators' raw files into labeled/paragraphs.jsonl and measure agreement.

    python scripts/build_labeled.py            # writes labeled/paragraphs.jsonl,
                                               # labeled/agreement.json and the
                                               # agreement section of labeled/README.md
    python scripts/build_labeled.py --disagreements labeled/batches/adj01.tsv

Inputs (all written by people reading the paragraphs, see labeled/GUIDE.md):
  labeled/raw/bNN.<annotator>.jsonl   primary labels, one batch each
  labeled/raw/d01.<annotator>.jsonl   independent second labels of a ~10 % sample
  labeled/raw/adj01.<annotator>.jsonl adjudicated labels for the disagreements

Split: by document, fixed: national reports sorted by year and provincial
reports sorted by province, every fifth document (positions 2, 7, 12, …) goes
to dev; NPC resolutions stay in train.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from policytag import THEMES
from policytag.corpus import read_shared_corpora
from policytag.datasets import paragraph_hash, resolve_paragraph_indices
from policytag.paragraphs import paragraphs

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "labeled" / "raw"
OUT = ROOT / "labeled" / "paragraphs.jsonl"
AGREEMENT = ROOT / "labeled" / "agreement.json"
README = ROOT / "labeled" / "README.md"
BEGIN, END = "<!-- agreement:begin -->", "<!-- agreement:end -->"


def dev_documents(docs) -> set[str]:
    national = sorted((d for d in docs if d.meta["kind"] == "report" and d.meta["level"] == "national"),
                      key=lambda d: d.meta["year"])
    provincial = sorted((d for d in docs if d.meta["level"] == "provincial"), key=lambda d: d.id)
    return {d.id for group in (national, provincial) for i, d in enumerate(group) if i % 5 == 2}


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(bool), b.astype(bool)
    po = float((a == b).mean())
    pa, pb = a.mean(), b.mean()
    pe = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if pe == 1 else (po - pe) / (1 - pe)


def f1(ref: np.ndarray, other: np.ndarray) -> float:
    tp = int((ref & other).sum())
    fp = int((~ref & other).sum())
    fn = int((ref & ~other).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _read(path: Path) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
    return out


def _vec(labels) -> np.ndarray:  # noqa: ANN001
    return np.array([t in labels for t in THEMES], dtype=bool)


def main(argv=None) -> int:  # noqa: ANN001
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=None)
    ap.add_argument("--disagreements", help="write the double-labelled disagreements to this batch file")
    args = ap.parse_args(argv)

    docs = list(read_shared_corpora(args.corpus))
    by_id = {d.id: d for d in docs}
    paras = {d.id: paragraphs(d.text) for d in docs}
    hashes = {d: [paragraph_hash(p.text) for p in ps] for d, ps in paras.items()}
    dev = dev_documents(docs)

    keys = [(r["doc"], r["para"], r["hash"]) for f in sorted(RAW.glob("*.jsonl")) for r in _read(f)]
    where = resolve_paragraph_indices(keys, hashes)  # as load_labeled resolves them

    def resolve(r: dict):  # -> current paragraph index or None
        return where.get((r["doc"], r["para"], r["hash"]))

    primary: dict[tuple, dict] = {}
    lost = []
    for f in sorted(RAW.glob("b*.jsonl")):
        for r in _read(f):
            idx = resolve(r)
            if idx is None:
                lost.append((r["doc"], r["para"]))
                continue
            key = (r["doc"], idx)
            if key in primary:
                raise SystemExit(f"{f}: paragraph {key} labelled twice as primary")
            primary[key] = {**r, "para": idx}
    second: dict[tuple, dict] = {}
    for f in sorted(RAW.glob("d*.jsonl")):
        for r in _read(f):
            if (idx := resolve(r)) is not None:
                second[(r["doc"], idx)] = r
    adjudicated: dict[tuple, dict] = {}
    for f in sorted(RAW.glob("adj*.jsonl")):
        for r in _read(f):
            if (idx := resolve(r)) is not None:
                adjudicated[(r["doc"], idx)] = r

    double = sorted(k for k in second if k in primary)
    disagreements = [k for k in double if set(primary[k]["labels"]) != set(second[k]["labels"])]
    if args.disagreements:
        with open(args.disagreements, "w", encoding="utf-8") as fh:
            fh.write("doc\tpara\thash\n")
            for k in disagreements:
                fh.write(f"{k[0]}\t{k[1]}\t{primary[k]['hash']}\n")
        print(f"{len(disagreements)} disagreements written to {args.disagreements}")

    records = []
    for key in sorted(primary):
        r = primary[key]
        rec = {
            "doc": r["doc"], "para": r["para"], "hash": r["hash"], "labels": [t for t in THEMES if t in r["labels"]],
            "programs": r.get("programs", []), "annotators": [r["annotator"]], "batch": r["batch"],
            "split": "dev" if r["doc"] in dev else "train",
        }
        if key in second:
            s = second[key]
            rec["annotators"].append(s["annotator"])
            rec["raw_labels"] = {r["annotator"]: [t for t in THEMES if t in r["labels"]],
                                 s["annotator"]: [t for t in THEMES if t in s["labels"]]}
            rec["raw_programs"] = {r["annotator"]: r.get("programs", []), s["annotator"]: s.get("programs", [])}
            if key in disagreements:
                if key in adjudicated:
                    a = adjudicated[key]
                    rec["labels"] = [t for t in THEMES if t in a["labels"]]
                    rec["adjudicated_by"] = a["annotator"]
                else:
                    rec["adjudicated_by"] = None  # pending: primary labels kept
        records.append(rec)

    with open(OUT, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

    # agreement on the double-labelled sample
    A = np.array([_vec(primary[k]["labels"]) for k in double])
    B = np.array([_vec(second[k]["labels"]) for k in double])
    agreement = {
        "n_double": len(double),
        "n_disagreements": len(disagreements),
        "n_adjudicated": sum(1 for k in disagreements if k in adjudicated),
        "exact_match": float(np.mean([(a == b).all() for a, b in zip(A, B)])) if double else 0.0,
        "kappa": {t: round(cohen_kappa(A[:, j], B[:, j]), 4) for j, t in enumerate(THEMES)} if double else {},
        "f1": {t: round(f1(A[:, j], B[:, j]), 4) for j, t in enumerate(THEMES)} if double else {},
    }
    if double:
        agreement["macro_f1"] = round(float(np.mean(list(agreement["f1"].values()))), 4)
        agreement["mean_kappa"] = round(float(np.mean(list(agreement["kappa"].values()))), 4)
    AGREEMENT.write_text(json.dumps(agreement, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    # summary for the README
    n = len(records)
    counts = Counter(t for r in records for t in r["labels"])
    none = sum(1 for r in records if not r["labels"])
    split_n = Counter(r["split"] for r in records)
    per_doc_kind = Counter()
    decades = Counter()
    for r in records:
        m = by_id[r["doc"]].meta
        per_doc_kind[m["level"]] += 1
        if m["year"] and m["level"] == "national":
            decades[f"{m['year'] // 10 * 10}s"] += 1
    annot = Counter(a for r in records for a in r["annotators"])
    lines = [
        BEGIN,
        "Generated by `python scripts/build_labeled.py` from `labeled/raw/`.",
        "",
        f"- paragraphs: **{n}** ({split_n['train']} train, {split_n['dev']} dev); "
        f"national {per_doc_kind['national']}, provincial {per_doc_kind['provincial']}",
        "- national paragraphs by decade: " + ", ".join(f"{k} {v}" for k, v in sorted(decades.items())),
        "- positives per theme: " + ", ".join(f"{t} {counts[t]}" for t in THEMES) + f"; no theme {none}",
        f"- paragraphs with at least one program recorded: {sum(1 for r in records if r['programs'])}",
        "- annotators (paragraphs): " + ", ".join(f"{a} {c}" for a, c in sorted(annot.items())),
        f"- records dropped because the paragraph no longer exists after a splitter fix: {len(lost)} "
        + (f"({', '.join(f'{d}#{p}' for d, p in lost)})" if lost else ""),
        "",
        f"Agreement on the {len(double)} double-labelled paragraphs "
        f"({len(double) / max(n, 1):.1%} of all), primary annotator vs. independent second annotator:",
        "",
        "| theme | Cohen's kappa | F1 between annotators |",
        "|---|---|---|",
    ]
    for t in THEMES:
        lines.append(f"| {t} | {agreement['kappa'].get(t, 0):.3f} | {agreement['f1'].get(t, 0):.3f} |")
    lines += [
        f"| **macro** | {agreement.get('mean_kappa', 0):.3f} (mean) | {agreement.get('macro_f1', 0):.3f} |",
        "",
        f"Exact label-set agreement: {agreement['exact_match']:.1%}. Disagreements: "
        f"{len(disagreements)}, adjudicated: {agreement['n_adjudicated']}.",
        END,
    ]
    text = README.read_text(encoding="utf-8") if README.exists() else f"# labeled/\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    README.write_text(head + "\n".join(lines) + tail, encoding="utf-8")
    print("\n".join(lines[2:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
