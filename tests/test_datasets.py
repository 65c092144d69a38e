"""labeled/: the annotations resolve, are balanced as promised, and the agreement figures are true."""
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from policytag import THEMES
from policytag.datasets import default_labeled_path, load_labeled

LABELED = Path(__file__).resolve().parent.parent / "labeled"


@pytest.fixture(scope="module")
def records():
    return [json.loads(l) for l in default_labeled_path().read_text(encoding="utf-8").splitlines() if l.strip()]


@pytest.fixture(scope="module")
def resolved(corpus_root):
    return load_labeled(corpus_root)


def test_every_record_resolves(records, resolved):
    assert len(resolved) == len(records) >= 2400


def test_labels_are_theme_keys_and_provenance_recorded(records):
    for r in records:
        assert set(r["labels"]) <= set(THEMES)
        assert r["annotators"] and r["batch"]
        assert r["split"] in ("train", "dev")
        assert "text" not in r  # no paragraph text in the repository


def test_no_paragraph_text_anywhere_in_labeled():
    for path in LABELED.rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            assert "text" not in rec, path


def test_balance(resolved):
    counts = Counter(t for r in resolved for t in r.labels)
    assert all(counts[t] >= 300 for t in THEMES), counts
    none = sum(1 for r in resolved if not r.labels)
    assert 0.15 < none / len(resolved) < 0.5  # no-theme paragraphs at their natural rate
    provinces = {r.meta["region"] for r in resolved if r.meta["level"] == "provincial"}
    assert len(provinces) == 25
    decades = Counter((r.meta["year"] // 10) * 10 for r in resolved if r.meta.get("year") and r.meta["level"] == "national")
    assert {1950, 1960, 1970, 1980, 1990, 2000, 2010, 2020} <= set(decades)
    recent = sum(v for d, v in decades.items() if d >= 1980)
    assert recent > 0.8 * sum(decades.values())  # weighted to 1978-2025


def test_split_is_by_document(resolved):
    train_docs = {r.doc for r in resolved if r.split == "train"}
    dev_docs = {r.doc for r in resolved if r.split == "dev"}
    assert not train_docs & dev_docs
    assert 0.15 < len([r for r in resolved if r.split == "dev"]) / len(resolved) < 0.3


def test_programs_are_exact_substrings(resolved):
    for r in resolved:
        for p in r.programs:
            assert p in r.text, (r.doc, r.para, p)


def _kappa(a, b):
    po = (a == b).mean()
    pe = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    return (po - pe) / (1 - pe)


def test_double_labelled_sample_and_readme_agree_with_files(records):
    double = [r for r in records if "raw_labels" in r]
    assert len(double) >= 250 and len(double) >= 0.1 * len(records)
    A, B = [], []
    for r in double:
        first, second = r["annotators"][0], r["annotators"][1]
        assert first != second
        A.append([t in r["raw_labels"][first] for t in THEMES])
        B.append([t in r["raw_labels"][second] for t in THEMES])
        if set(r["raw_labels"][first]) != set(r["raw_labels"][second]):
            assert r.get("adjudicated_by"), (r["doc"], r["para"])
    A, B = np.array(A), np.array(B)
    readme = (LABELED / "README.md").read_text(encoding="utf-8")
    for j, t in enumerate(THEMES):
        k = _kappa(A[:, j], B[:, j])
        m = re.search(rf"\| {t} \| ([0-9.]+) \|", readme)
        assert m, t
        assert abs(float(m.group(1)) - k) < 0.0006, (t, k, m.group(1))
    agreement = json.loads((LABELED / "agreement.json").read_text(encoding="utf-8"))
    assert agreement["n_double"] == len(double)


def test_stale_hash_is_a_clear_error(tmp_path, corpus_root, records):
    bad = dict(records[0])
    bad["hash"] = "0" * 16
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"p.jsonl:1: record \({bad['doc']}, paragraph {bad['para']}\)"):
        load_labeled(corpus_root, path=f)


def test_a_moved_paragraph_is_found_by_its_hash_nearest_its_old_place(tmp_path, corpus_root, corpus_paragraphs):
    """A splitter change can shift indices; a repeated text ("各位代表！") resolves
    to the occurrence nearest the recorded index."""
    from policytag.datasets import paragraph_hash

    paras = corpus_paragraphs["gwr-2018"]
    where = [p.index for p in paras if p.text == "各位代表！"]
    assert len(where) >= 2
    rec = {"doc": "gwr-2018", "para": where[1] - 1, "hash": paragraph_hash("各位代表！"), "labels": [],
           "programs": [], "annotators": ["A04"], "batch": "b04", "split": "train"}
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    [lp] = load_labeled(corpus_root, path=f)
    assert lp.para == where[1] and lp.text == "各位代表！"


def test_repeated_texts_resolve_in_order_each_occurrence_once():
    from policytag.datasets import resolve_paragraph_indices

    hashes = {"d": ["a", "x", "b", "x", "c", "x"]}
    # "x" was at 0 and 2; a restored line moved everything one down
    assert resolve_paragraph_indices([("d", 0, "x"), ("d", 2, "x")], hashes) == {("d", 0, "x"): 1, ("d", 2, "x"): 3}
    # the gwr-2019 case: 103 and 105 now at 104 and 106 (both are 1 away from 104)
    hashes = {"d": ["p"] * 104 + ["x", "q", "x"]}
    got = resolve_paragraph_indices([("d", 103, "x"), ("d", 105, "x")], hashes)
    assert got == {("d", 103, "x"): 104, ("d", 105, "x"): 106}
    # more records than occurrences: one stays unresolved; a vanished text is None
    got = resolve_paragraph_indices([("d", 0, "y"), ("d", 5, "y"), ("d", 1, "z")], {"d": ["a", "y", "b"]})
    assert got == {("d", 0, "y"): 1, ("d", 5, "y"): None, ("d", 1, "z"): None}
    # an index that still holds its hash stays where it is
    assert resolve_paragraph_indices([("d", 2, "b")], {"d": ["b", "a", "b"]}) == {("d", 2, "b"): 2}
