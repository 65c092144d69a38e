"""Theme statistics on real tagged reports; the national trend the notebooks report."""
import subprocess
import sys

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

import policytag  # noqa: E402
from policytag import stats  # noqa: E402


@pytest.fixture(scope="module")
def national(corpus_docs):
    docs = [d for d in corpus_docs if d.meta["kind"] == "report" and d.meta["level"] == "national"]
    return policytag.load().tag_documents(docs)


def test_document_shares_by_count_and_chars(national):
    by_n = stats.document_shares(national)
    by_c = stats.document_shares(national, weight="chars")
    assert len(by_n) == national["doc_id"].nunique()
    assert ((by_n[list(policytag.THEMES)] >= 0) & (by_n[list(policytag.THEMES)] <= 1)).all().all()
    assert "year" in by_n.columns
    assert not np.allclose(by_n["ecology"], by_c["ecology"])


def test_ecology_rises_after_2013(national):
    """Ecology's share in 2013-2025 exceeds its share in 1978-1990, with a CI above 0."""
    d = stats.share_difference(national, "year", lambda y: y >= 2013, lambda y: 1978 <= y <= 1990, n_boot=500)
    eco = d.set_index("theme").loc["ecology"]
    assert eco["difference"] > 0.03 and eco["lo"] > 0


def test_group_shares_ci_contains_point(national):
    national = national.assign(decade=(national["year"] // 10) * 10)
    g = stats.group_shares(national, "decade", n_boot=300)
    assert set(g["theme"]) == set(policytag.THEMES)
    assert (g["lo"] <= g["share"] + 1e-9).all() and (g["share"] <= g["hi"] + 1e-9).all()
    with pytest.raises(KeyError, match="province"):
        stats.group_shares(national, "province")


def test_program_stats_first_last(national):
    p = stats.program_stats(national, time="year").set_index("program")
    assert p.loc["改革开放", "first"] >= 1978
    assert p.loc["第一个五年计划", "first"] == 1954
    assert (p["mentions"] >= p["paragraphs"]).all() and (p["paragraphs"] >= p["documents"]).all()


def test_cli_stats(national, tmp_path):
    f = tmp_path / "tagged.jsonl"
    national.to_json(f, orient="records", lines=True, force_ascii=False)
    out = tmp_path / "s.csv"
    subprocess.run([sys.executable, "-m", "policytag.cli", "-q", "stats", str(f), "--by", "year",
                    "--bootstrap", "100", "-o", str(out)], check=True)
    table = pd.read_csv(out)
    assert {"year", "theme", "share", "lo", "hi", "documents", "paragraphs"} <= set(table.columns)
