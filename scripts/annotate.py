"""Annotation tooling for labeled/ (sampling, showing batches, checking files).

  python scripts/annotate.py sample            # (once) draw the batches
  python scripts/annotate.py sample-programs pg03 --double pg04   # program gold
  python scripts/annotate.py show b01 [--from K --to K]
  python scripts/annotate.py check labeled/raw/b01.A1.jsonl

Batches list paragraphs by document id, paragraph index and text hash only;
`show` resolves them against ../shared/corpora so that no text is stored here.
Labels are written by annotators who read each paragraph against
../shared/CODEBOOK.md and labeled/GUIDE.md; nothing here proposes a label.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from policytag.corpus import iter_json_lines, read_shared_corpora
from policytag.datasets import paragraph_hash
from policytag.paragraphs import paragraphs

ROOT = Path(__file__).resolve().parent.parent
BATCHES = ROOT / "labeled" / "batches"
THEMES = ("innovation", "openness", "ecology", "governance", "livelihood")


def _all_paragraphs(corpus_root=None):
    out = {}
    for doc in read_shared_corpora(corpus_root):
        out[doc.id] = (doc, paragraphs(doc.text))
    return out


def _find(docs, doc_id, idx, h):
    """The paragraph with hash h (by index if it still matches, else by hash)."""
    paras = docs[doc_id][1]
    if idx < len(paras) and paragraph_hash(paras[idx].text) == h:
        return paras[idx]
    for p in paras:
        if paragraph_hash(p.text) == h:
            return p
    return None


def cmd_sample(args):
    rng = random.Random(20261122)
    docs = _all_paragraphs(args.corpus)
    picked = []
    for doc_id, (doc, paras) in docs.items():
        m = doc.meta
        if m["kind"] == "resolution":
            k = 2
        elif m["level"] == "provincial":
            k = 50
        elif m["year"] >= 1978:
            k = 36
        else:
            k = 20
        idx = sorted(rng.sample(range(len(paras)), min(k, len(paras))))
        picked += [(doc_id, i, paragraph_hash(paras[i].text)) for i in idx]
    rng.shuffle(picked)
    n_batches = args.batches
    size = -(-len(picked) // n_batches)
    BATCHES.mkdir(parents=True, exist_ok=True)
    for b in range(n_batches):
        _write_batch(f"b{b + 1:02d}", picked[b * size:(b + 1) * size])
    # double-labelling sample: ~10.5 % spread over every primary batch
    double = []
    for b in range(n_batches):
        rows = sorted(picked[b * size:(b + 1) * size])
        double += rng.sample(rows, max(1, round(len(rows) * 0.105)))
    _write_batch("d01", double)
    print(f"{len(picked)} paragraphs in {n_batches} batches of <= {size}; {len(double)} double-labelled")


def _write_batch(name, rows):
    with open(BATCHES / f"{name}.tsv", "w", encoding="utf-8") as fh:
        fh.write("doc\tpara\thash\n")
        for r in sorted(rows):
            fh.write("\t".join(map(str, r)) + "\n")


def cmd_sample_programs(args):
    """A fresh program gold batch: paragraphs of one split not in any earlier pg batch.

    Drawn at random (seeded) from the labelled ``--split`` (dev by default; the
    matcher learns nothing from the theme split, so train paragraphs serve as
    well once dev is used up), or with ``--split unlabelled`` from the corpus
    paragraphs that carry no theme label, without looking at the text; split into two
    halves for two annotators, and every ``--every``-th paragraph also goes to
    a double-reading batch.
    """
    rng = random.Random(args.seed)
    taken = set()
    for f in BATCHES.glob("pg*.tsv"):
        taken |= {(d, p) for d, p, _ in _read_batch(f.stem)}
    labelled = [r for _, r in iter_json_lines(ROOT / "labeled" / "paragraphs.jsonl")]
    if args.split == "unlabelled":
        known = {(r["doc"], r["para"]) for r in labelled} | taken
        docs = set(args.docs.split(",")) if args.docs else None
        dev = [(doc_id, i, paragraph_hash(p.text)) for doc_id, (_, paras) in _all_paragraphs(args.corpus).items()
               if docs is None or doc_id in docs for i, p in enumerate(paras) if (doc_id, i) not in known]
    else:
        dev = [(r["doc"], r["para"], r["hash"]) for r in labelled
               if r["split"] == args.split and (r["doc"], r["para"]) not in taken]
    picked = sorted(rng.sample(sorted(dev), min(args.n, len(dev))))
    order = picked[:]
    rng.shuffle(order)
    half = len(order) // 2
    _write_batch(f"{args.name}a", order[:half])
    _write_batch(f"{args.name}b", order[half:])
    double = picked[::args.every]
    _write_batch(args.double, double)
    print(f"{len(picked)} of {len(dev)} untaken {args.split} paragraphs -> {args.name}a ({half}), "
          f"{args.name}b ({len(order) - half}); {len(double)} in {args.double}")


def _read_batch(name):
    path = BATCHES / f"{name}.tsv"
    rows = []
    with open(path, encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            d, p, h = line.rstrip("\n").split("\t")
            rows.append((d, int(p), h))
    return rows


def cmd_show(args):
    rows = _read_batch(args.batch)
    docs = _all_paragraphs(args.corpus)
    lo = args.start or 0
    hi = args.end if args.end is not None else len(rows)
    for k in range(lo, min(hi, len(rows))):
        d, p, h = rows[k]
        para = _find(docs, d, p, h)
        if para is None:
            print(f"#{k}\t{d}\t{p}\t[SKIP: paragraph no longer in the corpus; label it with an empty list]\n")
            continue
        head = "[HEADING] " if para.is_heading else ""
        print(f"#{k}\t{d}\t{p}\t{head}{para.text}\n")


def cmd_check(args):
    path = Path(args.file)
    batch = path.name.split(".")[0]
    rows = _read_batch(batch)
    want = {(d, p): h for d, p, h in rows}
    docs = _all_paragraphs(args.corpus)
    seen = set()
    errors = 0
    # program gold standard and its adjudication (adjNN with adjNN.programs.jsonl): no theme labels
    program_batch = batch.startswith("pg") or (BATCHES / f"{batch}.programs.jsonl").exists()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as exc:
                print(f"{path}:{lineno}: bad JSON: {exc}")
                errors += 1
                continue
            if not isinstance(r, dict):  # (not policytag.corpus.iter_json_lines: report every line, go on)
                print(f"{path}:{lineno}: a record must be a JSON object, got {type(r).__name__}")
                errors += 1
                continue
            key = (r.get("doc"), r.get("para"))
            if key not in want:
                print(f"{path}:{lineno}: {key} is not in batch {batch}")
                errors += 1
                continue
            if r.get("hash") != want[key]:
                print(f"{path}:{lineno}: hash mismatch for {key}")
                errors += 1
            bad = [t for t in r.get("labels", []) if t not in THEMES]
            if not program_batch and (bad or not isinstance(r.get("labels"), list)):
                print(f"{path}:{lineno}: labels must be a list of {THEMES}, got {r.get('labels')}")
                errors += 1
            found = _find(docs, key[0], key[1], want[key])
            text = found.text if found is not None else ""
            if program_batch and not isinstance(r.get("programs"), list):
                print(f"{path}:{lineno}: programs must be a list of exact substrings")
                errors += 1
            for prog in r.get("programs", []):
                if prog not in text:
                    print(f"{path}:{lineno}: program {prog!r} is not a substring of paragraph {key}")
                    errors += 1
            for f in ("annotator", "batch"):
                if not r.get(f):
                    print(f"{path}:{lineno}: missing {f}")
                    errors += 1
            if key in seen:
                print(f"{path}:{lineno}: duplicate record for {key}")
                errors += 1
            seen.add(key)
    missing = set(want) - seen
    print(f"{len(seen)}/{len(want)} paragraphs labelled, {len(missing)} missing, {errors} errors")
    return 1 if errors or missing else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=None, help="../shared/corpora")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--batches", type=int, default=10)
    s = sub.add_parser("sample-programs", help="draw a fresh program gold batch (from dev, or --split train)")
    s.add_argument("name", help="batch name, e.g. pg03 (writes pg03a, pg03b)")
    s.add_argument("--n", type=int, default=300)
    s.add_argument("--double", required=True, help="name of the double-reading batch, e.g. pg04")
    s.add_argument("--every", type=int, default=5)
    s.add_argument("--seed", type=int, default=20261123)
    s.add_argument("--split", choices=("dev", "train", "unlabelled"), default="dev",
                   help="labelled split to draw from, or the paragraphs with no theme label")
    s.add_argument("--docs", help="with --split unlabelled: only these documents (comma-separated ids), e.g. "
                                  "reports kept out of a curator's reading")
    s = sub.add_parser("show")
    s.add_argument("batch")
    s.add_argument("--from", dest="start", type=int)
    s.add_argument("--to", dest="end", type=int)
    s = sub.add_parser("check")
    s.add_argument("file")
    args = ap.parse_args(argv)
    return {"sample": cmd_sample, "sample-programs": cmd_sample_programs, "show": cmd_show, "check": cmd_check}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
