"""The shipped model through the Tagger: texts, documents, frames, parallel."""
import numpy as np
import pytest

import policytag
from policytag import THEMES


@pytest.fixture(scope="module")
def tagger():
    return policytag.load()


CODEBOOK_EXAMPLES = [
    ("深入实施创新驱动发展战略，全社会研发投入增长12%，新增国家高新技术企业800家。", ("innovation",)),
    ("实施“五水共治”，全面剿灭劣V类水体，PM2.5平均浓度降至26微克/立方米。", ("ecology",)),
    ("深化“最多跑一次”改革，企业开办时间压缩至1个工作日，营商环境持续优化。", ("governance",)),
    ("新增城镇就业12万人，新建中小学30所，城乡居民医保参保率99%。", ("livelihood",)),
    ("积极融入长三角一体化，外贸进出口增长8%，实际利用外资5亿美元。", ("openness",)),
    ("加快建设科创走廊，推动数字经济与先进制造业融合，同时加强知识产权保护和营商环境建设。",
     ("innovation", "governance")),
    ("全市生产总值增长6.5%，规上工业增加值增长7.2%。", ()),
    ("各位代表：现在，我代表市人民政府向大会报告政府工作，请予审议。", ()),
]


def test_codebook_examples(tagger):
    """The codebook's own examples (never in the training data): most must come out right."""
    results = [tagger.tag(text).themes == gold for text, gold in CODEBOOK_EXAMPLES]
    assert sum(results) >= 6, results


def test_tags_structure_and_original_spans(tagger):
    text = "堅持“八八戰略”，深化 “ 最多跑一次 ” 改革，優化營商環境。"
    tags = tagger.tag(text)
    assert set(tags.scores) == set(THEMES)
    assert all(0.0 <= v <= 1.0 for v in tags.scores.values())
    assert set(tags.themes) <= set(THEMES)
    assert [m.name for m in tags.programs] == ["八八战略", "最多跑一次"]
    for m in tags.programs:
        assert text[m.start:m.end] == m.text
    assert "governance" in tags.themes


def test_tag_many_parallel_equals_serial(tagger, corpus_paragraphs):
    texts = [p.text for p in corpus_paragraphs["gwr-2025"]][:120] * 3
    serial = tagger.tag_many(texts)
    parallel = tagger.tag_many(texts, n_jobs=2, batch_size=100)
    assert [t.themes for t in serial] == [t.themes for t in parallel]
    np.testing.assert_allclose([list(t.scores.values()) for t in serial],
                               [list(t.scores.values()) for t in parallel])


def test_tag_document_spans_index_the_original(tagger, seed_docs):
    doc = seed_docs["seed-002"]
    rows = tagger.tag_document(doc.text, doc.id)
    assert len(rows) > 150
    for r in rows:
        assert 0 <= r.start < r.end <= len(doc.text)
        for m in r.tags.programs:
            assert doc.text[m.start:m.end] == m.text
            assert r.start <= m.start and m.end <= r.end
    five = [m for r in rows for m in r.tags.programs if m.name == "五水共治"]
    assert five
    themed = [r for r in rows if r.themes]
    assert len(themed) > len(rows) / 2


def test_tag_frame_and_documents(tagger, corpus_docs):
    pd = pytest.importorskip("pandas")
    docs = [d for d in corpus_docs if d.meta["level"] == "provincial"][:3]
    df = pd.DataFrame({"province": [d.meta["region"] for d in docs], "text": [d.text for d in docs],
                       "id": [d.id for d in docs]})
    out = tagger.tag_frame(df, text_col="text", id_col="id", meta=["province"])
    assert set(out["doc_id"]) == {d.id for d in docs}
    assert {"paragraph", "start", "end", "themes", "programs", "province", "score_ecology"} <= set(out.columns)
    assert out.groupby("province").size().min() > 20
    with pytest.raises(KeyError, match="text column 'body'"):
        tagger.tag_frame(df, text_col="body")
    # the same documents through tag_documents give the same rows
    again = tagger.tag_documents(docs)
    assert again["themes"].tolist() == out["themes"].tolist()


def test_explain(tagger):
    ex = tagger.explain("加强污染防治和生态保护，推进节能减排。")
    assert ex["ecology"]["up"]


def test_unknown_combine_mode():
    with pytest.raises(ValueError, match="combine must be one of"):
        policytag.load(combine="and")


def test_seeds_end_to_end(tagger, seed_docs):
    """Every seed tags without error; themes found match what the documents are about."""
    from collections import Counter

    counts = {}
    for k, d in seed_docs.items():
        rows = tagger.tag_document(d.text, k)
        counts[k] = Counter(t for r in rows for t in r.themes)
        assert not any("##paid" in r.text for r in rows)
    # seed-003 is a speech on Yangtze-delta integration: openness dominates
    assert counts["seed-003"].most_common(1)[0][0] == "openness"
    # the five-year plans cover every theme
    assert set(counts["seed-004"]) == set(THEMES)
