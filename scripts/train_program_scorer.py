"""Train the program matcher's scorer (policytag/data/program_scorer.json).

    python scripts/train_program_scorer.py            # cross-validate, fit, write
    python scripts/train_program_scorer.py --cv-only  # cross-validate and report

The scorer is a logistic model over string features.  It decides which names
ending in a program word ("粮食节约行动", "民营银行试点") are names, and which
quoted numbered templates the gazetteer does not know are kept (see
``policytag.programs``).  Its examples are the candidates the matcher itself
generates on the paragraphs of the *studied* program gold sets (pg01, the
adjudicated pg03, since the fifth session pg06 and pg08, since the sixth the
adjudicated pg10, since the seventh the adjudicated pg12, pg14, pg16, pg18 and
pg20, since the eighth the adjudicated pg22, pg24, pg26 and pg28, since the ninth the adjudicated
pg30, since the eleventh pg32 and pg34, since the thirteenth pg36, pg38, pg40, pg42, pg44 and pg46, each held out until then;
see labeled/README.md).  A span candidate is positive when it
equals an annotated mention (``--label exact``), a quoted template when it and
an annotated mention contain one another, the matching of
``policytag.evaluate.program_report``.  Every set read so far is studied: the
next held-out set must be drawn (and kept out of this list) before any change
that is to be measured on it.

The thresholds are chosen by 5-fold cross-validation grouped by document:
the most recall whose cross-validated precision is not below that of the matcher
without the scorer, both as ``program_report`` counts it (a found name and an
annotated one contain one another) and for exact names (equal surface forms).
The figures printed are end-to-end precision and recall of the matcher, on
paragraphs of documents the fold's model never saw.  The template threshold is
fixed (``--pattern-threshold``, 0.9 since the eighth session): cross-validation
only chooses the span threshold, see the option's help for why.
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policytag.corpus import iter_json_lines, read_shared_corpora  # noqa: E402
from policytag.datasets import paragraph_hash  # noqa: E402
from policytag.evaluate import program_report  # noqa: E402
from policytag.normalize import normalize  # noqa: E402
from policytag.paragraphs import paragraphs  # noqa: E402
from policytag.programs import ProgramMatcher, _surface_key  # noqa: E402

LABELED = ROOT / "labeled"
STUDIED = ("raw/pg01a.*.jsonl", "raw/pg01b.*.jsonl", "pg03.adjudicated.jsonl",
           "raw/pg06a.*.jsonl", "raw/pg06b.*.jsonl", "raw/pg08a.*.jsonl", "raw/pg08b.*.jsonl",
           "pg10.adjudicated.jsonl", "pg12.adjudicated.jsonl", "pg14.adjudicated.jsonl",
           "pg16.adjudicated.jsonl", "pg18.adjudicated.jsonl", "pg20.adjudicated.jsonl", "pg22.adjudicated.jsonl",
           "pg24.adjudicated.jsonl", "pg26.adjudicated.jsonl", "pg28.adjudicated.jsonl",
           "pg30.adjudicated.jsonl", "pg32.adjudicated.jsonl", "pg34.adjudicated.jsonl",
           "pg36.adjudicated.jsonl", "pg38.adjudicated.jsonl", "pg40.adjudicated.jsonl",
           "pg42.adjudicated.jsonl", "pg44.adjudicated.jsonl", "pg46.adjudicated.jsonl")
OUT = ROOT / "policytag" / "data" / "program_scorer.json"
SPAN_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
PATTERN_GRID = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
log = logging.getLogger("train_program_scorer")


def load_gold(corpus_root: str) -> list[tuple[str, str, list[str]]]:
    """(doc id, paragraph text, annotated programs) over the studied gold files."""
    docs = {d.id: d for d in read_shared_corpora(corpus_root)}
    paras: dict[str, dict[str, str]] = {}
    items = []
    for pattern in STUDIED:
        files = sorted(LABELED.glob(pattern))
        if not files:
            raise SystemExit(f"no gold file matches labeled/{pattern}")
        for f in files:
            for lineno, r in iter_json_lines(f):
                if r["doc"] not in paras:
                    paras[r["doc"]] = {paragraph_hash(p.text): p.text for p in paragraphs(docs[r["doc"]].text)}
                text = paras[r["doc"]].get(r["hash"])
                if text is None:
                    raise SystemExit(f"{f}:{lineno}: paragraph {r['doc']}#{r['para']} no longer in the corpus")
                items.append((r["doc"], text, r["programs"]))
    return items


def candidate_rows(items, exact: bool = True) -> list[tuple[int, str, tuple[str, ...], int]]:  # noqa: ANN001
    """(item index, kind, features, label) for every candidate the matcher scores.

    A name ending in a program word is positive only when it is an annotated
    mention exactly (``exact``), so the model learns where a name begins and
    ends: "户籍制度" and "制度改革" are negatives beside "户籍制度改革".  A quoted
    template is positive when it and an annotated mention contain one another
    (annotators recorded "七五" or "七五计划")."""
    m = ProgramMatcher(learned=False)
    rows = []
    for k, (_, text, gold) in enumerate(items):
        keys = [_surface_key(g) for g in gold if g.strip()]
        found: list = []
        norm = normalize(text)
        m._find(norm.text, norm.offsets, norm.original, rows=found)
        for kind, _s, _e, name, feats in found:
            key = _surface_key(name)
            if kind == "span" and exact:
                label = key in keys
            else:
                label = any(g in key or key in g for g in keys)
            rows.append((k, kind, feats, int(label)))
    return rows


def fit(rows, c: float) -> dict:  # noqa: ANN001
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    dv = DictVectorizer()
    X = dv.fit_transform([dict.fromkeys(r[2], 1) for r in rows])
    y = np.array([r[3] for r in rows])
    clf = LogisticRegression(C=c, max_iter=5000).fit(X, y)
    w = clf.coef_[0]
    weights = {f: round(float(w[i]), 5) for f, i in sorted(dv.vocabulary_.items()) if abs(w[i]) >= 1e-4}
    return {"bias": round(float(clf.intercept_[0]), 5), "weights": weights}


def _counts(report: dict) -> np.ndarray:
    """(right, found, recalled, annotated, exactly right, exactly recalled) of a program_report."""
    c = report["counts"]
    return np.array([c["correct"], report["found"], c["recalled"], report["annotated"],
                     c["exact_correct"], c["exact_recalled"]])


def cross_validate(items, rows, c: float, folds: int = 5, seed: int = 0) -> dict:  # noqa: ANN001
    """End-to-end counts (tp found, found, tp gold, gold) per threshold pair, and without the scorer."""
    docs = sorted({d for d, _, _ in items})
    random.Random(seed).shuffle(docs)
    fold_of = {d: i % folds for i, d in enumerate(docs)}
    base = np.zeros(6)
    grid = {(s, p): np.zeros(6) for s in SPAN_GRID for p in PATTERN_GRID}
    plain = ProgramMatcher(learned=False)
    for f in range(folds):
        test = [(t, g) for d, t, g in items if fold_of[d] == f]
        train_rows = [r for r in rows if fold_of[items[r[0]][0]] != f]
        model = fit(train_rows, c)
        base += _counts(program_report(test, plain))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "scorer.json"
            path.write_text(json.dumps({**model, "span_threshold": 1.0, "pattern_threshold": 0.0}), encoding="utf-8")
            m = ProgramMatcher(learned=path)
            for (s, p), acc in grid.items():
                m._scorer.span_threshold, m._scorer.pattern_threshold = s, p
                acc += _counts(program_report(test, m))
        log.info("fold %d of %d done", f + 1, folds)
    return {"base": base, "grid": grid}


def pr(counts: np.ndarray, exact: bool = False) -> tuple[float, float]:
    """Precision and recall from ``_counts``: lenient, or of exact names."""
    tp_found, tp_gold = (counts[4], counts[5]) if exact else (counts[0], counts[2])
    return tp_found / max(counts[1], 1), tp_gold / max(counts[3], 1)


def main(argv=None) -> int:  # noqa: ANN001
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpora"))
    ap.add_argument("--C", type=float, default=1.0, help="inverse L2 strength of the logistic model")
    ap.add_argument("--cv-only", action="store_true", help="report cross-validation, write nothing")
    ap.add_argument("--label", choices=("exact", "contain"), default="exact",
                    help="when a name ending in a program word is a positive example: equal to an annotated "
                         "mention (default), or either containing the other")
    ap.add_argument("--pattern-threshold", type=float, default=0.9,
                    help="keep an unknown quoted template only at this probability or more (default 0.9; "
                         "a value of the grid, or -1 to let cross-validation choose).  Cross-validation "
                         "cannot see that the template rules were written from the studied sets: there the "
                         "templates are nearly all right, held out they were not (0.33-0.62 on pg14-pg22). "
                         "Left out one studied set at a time (pg12-pg22, the scorer trained on the others), "
                         "templates scoring 0.9 or more were 27 of 27 right, those from 0.5 to 0.9 36 of 65")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    items = load_gold(args.corpus)
    rows = candidate_rows(items, exact=args.label == "exact")
    log.info("%d paragraphs, %d candidates (%d positive; %d span, %d pattern)", len(items), len(rows),
             sum(r[3] for r in rows), sum(r[1] == "span" for r in rows), sum(r[1] == "pattern" for r in rows))
    cv = cross_validate(items, rows, args.C)
    p0, r0 = pr(cv["base"])
    e0 = pr(cv["base"], exact=True)
    log.info("cross-validated, without the scorer: P %.3f R %.3f (exact names: P %.3f R %.3f)", p0, r0, *e0)
    fixed = args.pattern_threshold if args.pattern_threshold >= 0 else None
    if fixed is not None and fixed not in PATTERN_GRID:
        ap.error(f"--pattern-threshold {fixed} is not in the grid {PATTERN_GRID}")
    ok = [(pr(v)[1], pr(v)[0], k) for k, v in cv["grid"].items()
          if pr(v)[0] >= p0 and pr(v, exact=True)[0] >= e0[0] and (fixed is None or k[1] == fixed)]
    for (s, p), v in sorted(cv["grid"].items()):
        log.info("  span >= %.2f, pattern >= %.2f: P %.3f R %.3f (exact: P %.3f R %.3f)", s, p, *pr(v), *pr(v, exact=True))
    if not ok:
        log.error("no threshold keeps the precision (lenient and exact) of the matcher without the scorer; "
                  "nothing written")
        return 1
    rec, prec, (s, p) = max(ok)
    ex = pr(cv["grid"][(s, p)], exact=True)
    log.info("chosen: span >= %.2f, pattern >= %.2f (cross-validated P %.3f R %.3f, exact P %.3f R %.3f; "
             "without: P %.3f R %.3f, exact P %.3f R %.3f)", s, p, prec, rec, *ex, p0, r0, *e0)
    if args.cv_only:
        return 0
    model = fit(rows, args.C)
    out = {"about": "policytag program scorer: logistic weights over string features "
                    "(scripts/train_program_scorer.py); data only",
           "trained_on": list(STUDIED), "C": args.C,
           "label": args.label,
           "cross_validated": {"precision": round(prec, 4), "recall": round(rec, 4),
                               "exact_precision": round(ex[0], 4), "exact_recall": round(ex[1], 4),
                               "exact_precision_without": round(e0[0], 4), "exact_recall_without": round(e0[1], 4),
                               "precision_without": round(p0, 4), "recall_without": round(r0, 4)},
           "span_threshold": s, "pattern_threshold": p, **model}
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    log.info("wrote %s (%d weights)", args.out, len(model["weights"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
