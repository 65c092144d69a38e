"""The estimator, its scikit-learn conventions, and safe model files."""
import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policytag import THEMES
from policytag.classifier import PolicyThemeClassifier
from policytag.model import ModelFileError, ThemeModel, load_classifier, save_classifier


@pytest.fixture(scope="module")
def small_data(corpus_root):
    from policytag.datasets import load_labeled

    data = load_labeled(corpus_root, split="train")[:1500]
    X = [r.text for r in data]
    y = [r.labels for r in data]
    groups = [r.doc for r in data]
    return X, y, groups


@pytest.fixture(scope="module")
def fitted(small_data):
    X, y, groups = small_data
    return PolicyThemeClassifier(cv=3).fit(X, y, groups=groups)


@pytest.mark.parametrize("check", [
    "check_no_attributes_set_in_init", "check_get_params_invariance", "check_set_params",
    "check_estimator_repr", "check_estimator_cloneable", "check_estimators_unfitted",
    "check_parameters_default_constructible", "check_estimator_tags_renamed",
])
def test_sklearn_api_checks(check):
    """The scikit-learn checks that apply to an estimator taking texts (the others feed numbers)."""
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)("PolicyThemeClassifier", PolicyThemeClassifier())


def test_fit_does_not_change_params_and_clone_works(small_data):
    from sklearn.base import clone

    X, y, groups = small_data
    clf = PolicyThemeClassifier(C=2.0, cv=2)
    before = clf.get_params()
    clf.fit(X[:200], y[:200])
    assert clf.get_params() == before
    fresh = clone(clf)
    assert not hasattr(fresh, "coef_") and fresh.get_params() == before


def test_predictions_shapes_and_calibration(fitted, small_data):
    X, y, _ = small_data
    assert fitted.themes_ == THEMES
    P = fitted.predict_proba(X[:50])
    assert P.shape == (50, 5) and np.all((P >= 0) & (P <= 1))
    assert fitted.predict(X[:50]).shape == (50, 5)
    assert fitted.decision_function(X[:50]).shape == (50, 5)
    # calibrated: the mean predicted probability tracks the label rate out of fold
    Y = np.array([[t in r for t in THEMES] for r in y])
    assert np.all(np.abs(fitted.oof_proba_.mean(axis=0) - Y.mean(axis=0)) < 0.05)
    with pytest.raises(TypeError, match="list of texts"):
        fitted.predict("单个字符串")


def test_learns_real_signal(fitted):
    labels = fitted.predict_labels([
        "深入实施创新驱动发展战略，全社会研发投入增长12%，新增国家高新技术企业800家。",
        "新增城镇就业12万人，新建中小学30所，城乡居民医保参保率99%。",
        "各位代表：现在，我代表市人民政府向大会报告政府工作，请予审议。",
    ])
    assert "innovation" in labels[0]
    assert "livelihood" in labels[1]
    assert labels[2] == ()


def test_explain_names_the_terms(fitted):
    ex = fitted.explain("加强污染防治，推进节能减排，改善生态环境。")
    assert set(ex) == set(THEMES)
    up = [f for f, w in ex["ecology"]["up"]]
    assert up and all(w > 0 for _, w in ex["ecology"]["up"])
    assert any("污染" in f or "生态" in f or "节能" in f for f in up)


def test_user_themes(small_data):
    X, _, _ = small_data
    y = [["agri"] if ("农业" in x or "粮食" in x) else [] for x in X[:300]]
    clf = PolicyThemeClassifier(cv=2).fit(X[:300], y)
    assert clf.themes_ == ("agri",)
    assert clf.predict_labels(["稳定粮食播种面积，发展现代农业"]) == [("agri",)]


def test_save_load_roundtrip(fitted, small_data, tmp_path):
    X, _, _ = small_data
    save_classifier(fitted, tmp_path / "m", metadata={"note": "test"})
    loaded = load_classifier(tmp_path / "m")
    assert isinstance(loaded, ThemeModel)
    assert loaded.themes_ == fitted.themes_
    np.testing.assert_allclose(loaded.predict_proba(X[:40]), fitted.predict_proba(X[:40]), atol=1e-6)
    assert loaded.metadata_["note"] == "test"
    refit = PolicyThemeClassifier(**{k: v for k, v in loaded.get_params().items()
                                     if k in PolicyThemeClassifier().get_params()})
    assert refit.get_params()["C"] == fitted.C


def test_tampered_model_is_refused(fitted, tmp_path):
    path = save_classifier(fitted, tmp_path / "m")
    model_json = path / "model.json"
    data = json.loads(model_json.read_text(encoding="utf-8"))
    data["thresholds"][0] = 0.01
    model_json.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match="checksum"):
        load_classifier(path)


def test_hostile_pickle_in_arrays_never_runs(fitted, tmp_path):
    """An attacker who rewrites arrays.npz with a pickled object AND fixes the
    manifest still cannot run code: arrays are loaded with allow_pickle=False."""
    path = save_classifier(fitted, tmp_path / "m")
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with np.load(path / "arrays.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["coef"] = np.array([Evil()], dtype=object)
    _resave_arrays(path, arrays)
    with pytest.raises(ModelFileError, match="invalid"):
        load_classifier(path)
    assert not marker.exists()


def test_pickle_file_is_not_a_model(tmp_path, fitted):
    bad = tmp_path / "model.pkl"
    bad.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ModelFileError, match="not a model directory"):
        load_classifier(bad)
    d = tmp_path / "d"
    d.mkdir()
    (d / "manifest.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_classifier(d)


def test_inconsistent_shapes_are_refused(fitted, tmp_path):
    path = save_classifier(fitted, tmp_path / "m")
    with np.load(path / "arrays.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["coef"] = arrays["coef"][:, :10]
    _resave_arrays(path, arrays)
    with pytest.raises(ModelFileError, match="inconsistent"):
        load_classifier(path)


def test_shipped_model_loads_and_is_data_only():
    from policytag.tagger import default_model_path

    path = default_model_path()
    assert sorted(p.name for p in path.iterdir()) == ["arrays.npz", "manifest.json", "model.json"]
    m = load_classifier(path)
    assert m.themes_ == THEMES
    meta = m.metadata_
    assert meta["dev"]["classifier"]["macro"]["f1"] >= 0.80


def test_fast_scoring_equals_the_feature_matrix_product(small_data):
    """Scoring sorts feature occurrences instead of building the TF-IDF matrix:
    it must give what the matrix product gives, on real paragraphs and edge cases."""
    from policytag import load

    clf = load().classifier
    X = small_data[0][:400] + ["", "。。。", "abc", "各位代表：", "发展。" * 300]
    fast = clf._decision(X)
    slow = clf._scores(clf._features(X))
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-9)


def test_compiled_kernel_scores_as_numpy_does(corpus_paragraphs, seed_paragraphs):
    """The C scoring loop (policytag/_kernel.c) against the numpy path, on every
    paragraph of the corpora and the seeds, in the tagger's batches, with and
    without sentence pooling.  CI builds the kernel and sets
    POLICYTAG_REQUIRE_KERNEL=1, so a kernel that failed to build fails here."""
    _kernel_or_skip()
    from policytag import load

    clf = load().classifier
    fz, cut, C = clf.featurizer_, clf._get_tokenizer().cut, clf._coef_t()
    texts = [p.text for ps in [*corpus_paragraphs.values(), *seed_paragraphs.values()] for p in ps]
    texts += ["", "。开头的句子。", "", "abc", "你", "发展。" * 300, "第一句！第二句？第三句；"]
    n_pooled = 0
    for i in range(0, len(texts), 512):
        batch = texts[i : i + 512]
        n_pooled += _kernel_scores_as_numpy(fz, [cut(t) for t in batch], batch, C)
    assert n_pooled > 9_000  # texts with sentence features (9,185 here)
    # a text holding the separator of the joined stream falls back to numpy
    para = np.zeros((2, C.shape[1]))
    assert not fz._kernel_score([["a"], ["b"]], ["a\x00b", "c"], C, para, None)


def _kernel_scores_as_numpy(fz, toks, texts, C) -> int:  # noqa: ANN001
    """Assert the kernel's text and best-sentence scores equal the numpy path's;
    returns the number of texts whose every best-sentence score is finite."""
    for sentences in (True, False):
        want = fz.score(toks, texts, C, sentences, kernel=False)
        got = fz.score(toks, texts, C, sentences, kernel=True)
        np.testing.assert_allclose(got[0], want[0], rtol=0, atol=1e-9)
        if sentences:
            assert np.array_equal(np.isinf(got[1]), np.isinf(want[1]))
            finite = np.isfinite(want[1])
            np.testing.assert_allclose(got[1][finite], want[1][finite], rtol=0, atol=1e-9)
            n_pooled = int(finite.all(axis=1).sum())
    return n_pooled


def _kernel_or_skip():
    import os

    from policytag import model as model_mod

    if model_mod._kernel is None:
        if os.environ.get("POLICYTAG_REQUIRE_KERNEL") == "1":
            pytest.fail("policytag._kernel was not built (pip install -e . builds it in place)")
        pytest.skip("policytag._kernel is not built here: numpy scoring only")
    return model_mod._kernel


# Tokens the kernel's token cache must tell apart: the three str storage kinds
# (Latin-1, UCS-2, UCS-4), keys that fit inline (<= 16 bytes) and arena keys,
# prefixes of one another, vocabulary words, punctuation and sentence ends.
_CACHE_TOKENS = ["发展", "发", "展", "发展经济", "高质量发展", "2024", "GDP", "é", "ab", "abcdefghijklmnopq",
                 "𠀀", "𠀀发展", "。", "，", " ", "！", "240小时过境免签政策", "240小时过境免签政策x", "乡村振兴",
                 "乡村振兴战略", "中华人民共和国国民经济和社会发展第十四个五年规划", "一二三四五六七八九"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_CACHE_TOKENS) | st.text(max_size=12), max_size=40), min_size=1,
                max_size=6))
def test_kernel_token_cache_gives_the_ids_the_dict_memo_gives(docs):
    """The kernel's token-id cache (C, keyed by the token's code units) against
    the numpy path's dict memo, on token lists of every storage kind and
    length; the cache persists across calls, so every example also tests hits
    on keys stored by earlier ones."""
    _kernel_or_skip()
    from policytag import load

    clf = load().classifier
    fz, C = clf.featurizer_, clf._coef_t()
    _kernel_scores_as_numpy(fz, [list(t) for t in docs], ["".join(t).replace("\x00", "") for t in docs], C)


def test_kernel_scores_models_of_any_number_of_themes(corpus_paragraphs):
    """Up to 7 themes the kernel pads weight rows to one cache line and runs a
    fixed-length loop; with more it takes the general loop: both against numpy."""
    _kernel_or_skip()
    from policytag import load

    clf = load().classifier
    fz, cut = clf.featurizer_, clf._get_tokenizer().cut
    texts = [p.text for ps in list(corpus_paragraphs.values())[:3] for p in ps]
    toks = [cut(t) for t in texts]
    rng = np.random.default_rng(0)
    for k in (1, 7, 8, 11):
        C = rng.normal(size=(fz.n_features, k))
        assert _kernel_scores_as_numpy(fz, toks, texts, C) > 0


def test_kernel_token_cache_is_cleared_past_its_limit_and_rejects_non_str():
    kernel = _kernel_or_skip()
    from policytag import load

    clf = load().classifier
    fz, C = clf.featurizer_, clf._coef_t()
    text = "发展经济。乡村振兴"
    toks = [["发展", "经济", "。", "乡村", "振兴"]]
    want = fz.score(toks, [text], C, True, kernel=False)
    fz._kernel_cache = kernel.token_cache()  # fresh, then fill past the 500,000-entry limit
    many = [[f"词{i}" for i in range(510_000)]]
    fz.score(many, ["词" * 10], C, False, kernel=True)
    got = fz.score(toks, [text], C, True, kernel=True)  # this call clears the cache first
    np.testing.assert_allclose(got[0], want[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got[1], want[1], rtol=0, atol=1e-9)
    with pytest.raises(TypeError, match="tokens must be str"):
        fz.score([["发展", 3]], ["发展3"], C, False, kernel=True)
    assert "_kernel_cache" not in fz.__getstate__()  # a capsule is never pickled


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, 2**58), max_size=300), st.lists(st.integers(0, 2**58), max_size=300))
def test_key_table_finds_exactly_the_keys_it_holds(keys, queries):
    from policytag.model import _KeyTable

    keys = np.array(sorted(keys), np.int64)
    feats = np.arange(len(keys), dtype=np.int64) * 7
    table = _KeyTable(keys, feats)
    q = np.array(list(keys) + queries, np.int64)
    want = {int(k): int(f) for k, f in zip(keys, feats)}
    assert table.get(q).tolist() == [want.get(int(k), -1) for k in q]


def _resave_arrays(path, arrays):
    """Write tampered arrays and re-sign them in the manifest, as an attacker could."""
    from policytag.model import _sha256

    np.savez(path / "arrays.npz", **arrays)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"]["arrays.npz"] = _sha256(path / "arrays.npz")
    (path / "manifest.json").write_text(json.dumps(manifest))
