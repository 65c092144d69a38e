"""Where the gazetteer disagrees with the adjudicated program gold, by count.

    python scripts/gold_vote.py [--corpus ../shared/corpora] > votes.tsv

The gazetteer's reviewers judge each entry from corpus contexts, blind to the
gold files; the readers and adjudicators judge each paragraph.  Where the two
disagree again and again, the gold is what the matcher is measured against.
This script counts, over the *studied* adjudicated sets (``STUDIED``, taken
from scripts/train_program_scorer.py: read under the current guide, never a
held-out set), two kinds of disagreement:

``demote``
    a gazetteer entry the matcher reports in at least ``--min`` paragraphs
    where the gold does not record it, and whose share of gold-confirmed
    reports is at most one in three;
``add``
    a string the gold records but the matcher misses at least once, recorded
    in at least two thirds of the studied paragraphs that contain it (and at
    least three times), or in every one of them (at least twice).

It proposes; it changes nothing.  Each proposal taken is recorded with its
counts in labeled/gazetteer_goldvote.tsv, which also says which entry a
string joins and which proposals a ruling of labeled/GUIDE.md overrides.
"""
from __future__ import annotations

import argparse
import collections
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from policytag import ProgramMatcher  # noqa: E402
from policytag.evaluate import program_report  # noqa: E402
from policytag.normalize import normalize  # noqa: E402
from policytag.programs import _surface_key  # noqa: E402

import train_program_scorer as T  # noqa: E402

# the scorer's studied sets that were adjudicated under the current guide: pg10 on
# (pg01 … pg08 are single readings from before the rulings)
STUDIED = tuple(p for p in T.STUDIED if p.startswith("pg") and p.endswith(".adjudicated.jsonl") and int(p[2:4]) >= 10)
log = logging.getLogger("gold_vote")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpora"))
    ap.add_argument("--min", type=int, default=3, help="demote: least number of unconfirmed reports")
    ap.add_argument("--without", default="", metavar="SETS",
                    help="leave these studied sets out (comma-separated, e.g. pg34: a set whose documents a "
                         "later held-out set shares)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    left_out = {f"{s.strip()}.adjudicated.jsonl" for s in args.without.split(",") if s.strip()}
    if left_out - set(STUDIED):
        ap.error(f"--without: not a studied set: {', '.join(sorted(left_out - set(STUDIED)))}; "
                 f"the studied sets are {', '.join(s.split('.')[0] for s in STUDIED)}")
    T.STUDIED = tuple(s for s in STUDIED if s not in left_out)
    items = [(t, g) for _, t, g in T.load_gold(args.corpus)]
    m = ProgramMatcher()
    gaz = m.programs
    right: collections.Counter = collections.Counter()
    wrong: collections.Counter = collections.Counter()
    missed: collections.Counter = collections.Counter()
    texts = []
    for text, gold in items:
        report = program_report([(text, gold)], m)  # one run of the matcher per paragraph
        right.update(name for name, source, _ in report["correct"] if source == "gazetteer")
        wrong.update(name for name, _ in report["false_positives"] if name in gaz)
        for g, _ in report["missed"]:
            missed[_surface_key(g)] += 1
        texts.append((_surface_key(normalize(text).text), [_surface_key(g) for g in gold]))
    print("proposal\tstring or entry\trecorded\tnot recorded\tmatcher misses")
    for name in sorted(wrong, key=lambda n: (-wrong[n], n)):
        if wrong[name] >= args.min and right[name] * 2 <= wrong[name]:
            print(f"demote\t{name}\t{right[name]}\t{wrong[name]}\t")
    for key in sorted(missed, key=lambda k: (-missed[k], k)):
        if len(key) < 2:
            continue
        rec = sum(1 for t, keys in texts if key in t and any(key in k for k in keys))
        occ = sum(1 for t, _ in texts if key in t)
        if (rec >= 3 and 3 * rec >= 2 * occ) or (rec >= 2 and rec == occ):
            print(f"add\t{key}\t{rec}\t{occ - rec}\t{missed[key]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
