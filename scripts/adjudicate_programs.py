"""Program gold standard: the disputes between two full readings, and the adjudicated gold.

    python scripts/adjudicate_programs.py disputes pg03 pg05 adj03
        # labeled/batches/adj03.tsv and adj03.programs.jsonl: the paragraphs whose
        # two readings differ, with both lists (for the adjudicator: labeled/GUIDE.md)
    python scripts/adjudicate_programs.py merge pg03 pg05 adj03
        # labeled/pg03.adjudicated.jsonl: the agreed readings plus the adjudicator's
        # lists (labeled/raw/adj03.*.jsonl), with any consistency corrections
        # (labeled/raw/cons01.*.jsonl, cons02 ...) applied

Two readings of a paragraph agree when every mention of each is found in the
other (the same name, or one containing the other, after removing quote marks:
the matching of tests/test_programs.py).  Where they agree, the gold keeps the
first reading.  Nothing here proposes a program: the lists come from readers.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELED = ROOT / "labeled"
sys.path.insert(0, str(ROOT))

from policytag.corpus import iter_json_lines  # noqa: E402
from policytag.evaluate import _mentions_matched  # noqa: E402
from policytag.programs import _surface_key  # noqa: E402


def _load(batch_prefix: str) -> dict:
    """(doc, para) -> record, over the raw files of a batch (pg03 -> pg03a.*, pg03b.*)."""
    out: dict = {}
    files = sorted((LABELED / "raw").glob(f"{batch_prefix}?.*.jsonl")) + sorted(
        (LABELED / "raw").glob(f"{batch_prefix}.*.jsonl"))
    if not files:
        raise SystemExit(f"no raw files for {batch_prefix} in {LABELED / 'raw'}")
    for f in files:
        for n, r in iter_json_lines(f):
            key = (r["doc"], r["para"])
            if key in out:
                raise SystemExit(f"{f}:{n}: second record for {key}")
            out[key] = r
    return out


def _agree(a: list, b: list) -> bool:
    ka, kb = [_surface_key(x) for x in a], [_surface_key(x) for x in b]
    return _mentions_matched(ka, kb) == len(ka) and _mentions_matched(kb, ka) == len(kb)


def _pairs(first: str, second: str) -> list:
    a, b = _load(first), _load(second)
    if set(a) != set(b):
        raise SystemExit(f"{first} and {second} cover different paragraphs ({len(a)} vs {len(b)})")
    for k in a:
        if a[k]["hash"] != b[k]["hash"]:
            raise SystemExit(f"{k}: the two readings name different paragraph texts (hash)")
    return [(k, a[k], b[k]) for k in a]


def cmd_disputes(args: argparse.Namespace) -> int:
    pairs = _pairs(args.first, args.second)
    disputed = [(k, ra, rb) for k, ra, rb in pairs if not _agree(ra["programs"], rb["programs"])]
    tsv = LABELED / "batches" / f"{args.name}.tsv"
    with open(tsv, "w", encoding="utf-8") as fh:
        fh.write("doc\tpara\thash\n")
        for (doc, para), ra, _ in disputed:
            fh.write(f"{doc}\t{para}\t{ra['hash']}\n")
    with open(LABELED / "batches" / f"{args.name}.programs.jsonl", "w", encoding="utf-8") as fh:
        for (doc, para), ra, rb in disputed:
            fh.write(json.dumps({"doc": doc, "para": para, "hash": ra["hash"],
                                 "raw_programs": {ra["annotator"]: ra["programs"], rb["annotator"]: rb["programs"]}},
                                ensure_ascii=False) + "\n")
    print(f"{len(pairs)} paragraphs, {len(pairs) - len(disputed)} agreed, {len(disputed)} disputed -> {tsv}")
    return 0


def _corrections() -> dict:
    """(doc, para) -> consistency corrections (labeled/raw/cons01.*.jsonl ...), in file order.

    A consistency adjudicator read every occurrence of a name the gold had
    treated both ways and ruled once for the name; each record says which
    recorded strings of a paragraph go ("remove", exact strings of the gold) and
    which come ("add", substrings of the paragraph), with the adjudicator's id."""
    out: dict = {}
    for f in sorted((LABELED / "raw").glob("cons[0-9]*.jsonl")):
        for n, r in iter_json_lines(f):
            out.setdefault((r["doc"], r["para"]), []).append((f"{f.name}:{n}", r))
    return out


def _apply_corrections(rec: dict, fixes: list) -> dict:
    programs = list(rec["programs"])
    by = []
    for where, c in fixes:
        if c["hash"] != rec["hash"]:
            raise SystemExit(f"{where}: correction for {(rec['doc'], rec['para'])} names another paragraph text (hash)")
        missing = [x for x in c.get("remove", []) if x not in programs]
        if missing:
            raise SystemExit(f"{where}: {missing} are not recorded for {(rec['doc'], rec['para'])}")
        programs = [x for x in programs if x not in c.get("remove", [])]
        programs += [x for x in c.get("add", []) if x not in programs]
        by.append(c["annotator"])
    return {**rec, "programs": programs, "corrected_by": by}


def cmd_merge(args: argparse.Namespace) -> int:
    pairs = _pairs(args.first, args.second)
    adj = _load(args.name)
    fixes = _corrections()
    n_fixed = 0
    out = LABELED / f"{args.first}.adjudicated.jsonl"
    n_adj = 0
    with open(out, "w", encoding="utf-8") as fh:
        for (doc, para), ra, rb in pairs:
            readers = [ra["annotator"], rb["annotator"]]
            if _agree(ra["programs"], rb["programs"]):
                rec = {"doc": doc, "para": para, "hash": ra["hash"], "programs": ra["programs"],
                       "source": "agreed", "readers": readers}
            else:
                if (doc, para) not in adj:
                    raise SystemExit(f"{(doc, para)} is disputed but has no adjudicated record in raw/{args.name}.*")
                r = adj[(doc, para)]
                rec = {"doc": doc, "para": para, "hash": ra["hash"], "programs": r["programs"],
                       "source": "adjudicated", "readers": readers, "adjudicator": r["annotator"]}
                n_adj += 1
            if (doc, para) in fixes:
                rec = _apply_corrections(rec, fixes[(doc, para)])
                n_fixed += 1
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"{len(pairs)} paragraphs ({n_adj} adjudicated, {n_fixed} corrected for consistency) -> {out}")
    return 0


def main(argv=None) -> int:  # noqa: ANN001
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, fn in (("disputes", cmd_disputes), ("merge", cmd_merge)):
        s = sub.add_parser(name)
        s.add_argument("first", help="batch of the first reading, e.g. pg03")
        s.add_argument("second", help="batch of the second full reading, e.g. pg05")
        s.add_argument("name", help="adjudication batch, e.g. adj03")
        s.set_defaults(fn=fn)
    args = ap.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
