"""Readers and batch tagging: encodings, bad input, resume, output formats."""
import csv
import json

import pytest

import policytag
from policytag.batch import tag_corpus
from policytag.corpus import decode_bytes, read_documents

TEXT = "各位代表：\n深化“最多跑一次”改革，企业开办时间压缩至1个工作日。\n新增城镇就业12万人，新建中小学30所。\n"


@pytest.fixture(scope="module")
def tagger():
    return policytag.load()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_encodings_detected(encoding):
    text, enc = decode_bytes(TEXT.encode(encoding), "x.txt")
    assert text.lstrip("\ufeff") == TEXT


def test_big5_detected():
    trad = "各位代表：深化「最多跑一次」改革，優化營商環境。"
    text, enc = decode_bytes(trad.encode("big5"), "x.txt")
    assert (text, enc) == (trad, "big5")


@pytest.fixture()
def messy_dir(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text(TEXT, encoding="utf-8")
    (d / "b.txt").write_bytes(TEXT.encode("gbk"))
    (d / "empty.txt").write_text("", encoding="utf-8")
    (d / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (d / "docs.jsonl").write_text(
        json.dumps({"id": "j1", "text": TEXT, "year": 2026}, ensure_ascii=False) + "\n"
        + "{broken json\n"
        + json.dumps({"id": "j2", "title": TEXT}, ensure_ascii=False) + "\n"
        + json.dumps({"id": "j3", "text": "各位代表：\x00审议"}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    with open(d / "t.csv", "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["province", "year", "full_text"])
        w.writerow(["浙江省", "2026", TEXT])  # a multi-line quoted field
    (d / "long.txt").write_text("深化改革，" * 2_100_000, encoding="utf-8")  # one 10 MB line
    return d


def test_read_documents_reports_bad_input_and_goes_on(messy_dir):
    errors = []
    docs = list(read_documents([messy_dir], meta_fields=["year", "province"], errors=errors))
    ids = sorted(d.id for d in docs)
    assert ids == ["a", "b", "j1", "t#1"]
    where = {(e.source.rsplit("/", 1)[-1], e.line) for e in errors}
    assert ("docs.jsonl", 2) in where          # malformed JSON line
    assert ("docs.jsonl", 3) in where          # no text field
    assert ("docs.jsonl", 4) in where          # NUL byte
    assert ("empty.txt", None) in where
    assert any(s == "binary.txt" for s, _ in where)
    assert ("long.txt", 1) in where            # a 10 MB single line
    by_id = {d.id: d for d in docs}
    assert by_id["t#1"].meta["province"] == "浙江省"
    assert by_id["j1"].meta["year"] == 2026


def test_tag_corpus_jsonl_with_errors(tagger, messy_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    res = tag_corpus(tagger, [messy_dir], out, meta_fields=["province"], progress=False)
    assert not res.ok and len(res.errors) == 6
    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert {r["doc_id"] for r in rows} == {"a", "b", "j1", "t#1"}
    assert res.paragraphs == len(rows)
    err = [json.loads(l) for l in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert len(err) == 6 and all("source" in e and "error" in e for e in err)
    assert not (tmp_path / "out.jsonl.partial").exists()
    t1 = [r for r in rows if r["doc_id"] == "t#1"]
    assert t1[0]["province"] == "浙江省"
    assert any("governance" in r["themes"] for r in rows if r["doc_id"] == "a")


class _Interrupt(Exception):
    pass


class _Crashing:
    """A tagger that dies after n documents, as a killed process would."""

    def __init__(self, tagger, n):
        self.tagger, self.n = tagger, n

    def _die_after_n(self, results):
        for i, d in enumerate(results):
            if i == self.n:
                raise _Interrupt()
            yield d

    def iter_documents(self, docs, n_jobs=1):  # the CSV path
        return self._die_after_n(self.tagger.iter_documents(docs, n_jobs))

    def _iter_json_lines(self, docs, n_jobs=1, with_text=False):  # the JSON-lines path
        return self._die_after_n(self.tagger._iter_json_lines(docs, n_jobs, with_text))


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_resume_loses_and_duplicates_nothing(tagger, corpus_root, tmp_path, suffix):
    src = corpus_root / "prov2026"
    files = sorted(src.glob("*.csv"))[:6]
    full = tmp_path / f"full{suffix}"
    tag_corpus(tagger, files, full, progress=False)
    out = tmp_path / f"out{suffix}"
    with pytest.raises(_Interrupt):
        tag_corpus(_Crashing(tagger, 3), files, out, progress=False)
    assert not out.exists() and (tmp_path / f"out{suffix}.partial").exists()
    # a half-written document at the end of the partial file is dropped on resume
    with open(tmp_path / f"out{suffix}.partial", "a", encoding="utf-8") as fh:
        fh.write('{"doc_id": "half-writ')
    res = tag_corpus(tagger, files, out, resume=True, progress=False)
    assert res.skipped == 3 and res.documents == 3
    assert out.read_text(encoding="utf-8") == full.read_text(encoding="utf-8")


def test_parallel_output_identical(tagger, corpus_root, tmp_path):
    files = sorted((corpus_root / "prov2026").glob("*.csv"))[:4]
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    tag_corpus(tagger, files, one, progress=False)
    tag_corpus(tagger, files, two, n_jobs=2, progress=False)
    assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")


def test_parquet_output(tagger, tmp_path, messy_dir):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "out.parquet"
    tag_corpus(tagger, [messy_dir / "a.txt", messy_dir / "t.csv"], out, meta_fields=["province"], progress=False)
    table = pq.read_table(out)
    assert table.num_rows >= 4 and "themes" in table.column_names
