"""The theme classifier: a scikit-learn estimator over jieba tokens.

:class:`PolicyThemeClassifier` turns paragraphs into TF-IDF word n-grams
(program names kept whole) and character n-grams, fits one linear model per
theme, calibrates each with Platt scaling on out-of-fold scores, and picks a
decision threshold per theme.  It trains on any label set, so users can fit
their own themes.

Models are saved as data only (JSON + ``.npz`` without pickles, with a
SHA-256 manifest) by :func:`save_classifier` and read back by
:func:`load_classifier`, which refuses anything that does not check out.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

__all__ = ["PolicyThemeClassifier", "save_classifier", "load_classifier", "ModelFileError", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_PUNCT_OR_SPACE = re.compile(r"^[\s\W_]+$")
_NUMBER = re.compile(r"^[\d.,%％]+$")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


class ModelFileError(ValueError):
    """A model file is missing, tampered with, or not a policytag model."""


# --- features ------------------------------------------------------------------------


_SENT_END = frozenset("。！？；!?;")
_SENT_END_CP = np.array(sorted(ord(c) for c in _SENT_END), dtype=np.uint32)
_SHIFT = np.uint64(21)


def _han_keys(cps: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys of all Han character n-grams in a code-point array and their start positions."""
    L = len(cps) - n + 1
    if L <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    han = (cps >= 0x4E00) & (cps <= 0x9FFF)
    ok = han[:L].copy()
    key = cps[:L].astype(np.uint64)
    for k in range(1, n):
        ok &= han[k : k + L]
        key = (key << _SHIFT) | cps[k : k + L].astype(np.uint64)
    pos = np.flatnonzero(ok)
    return key[pos], pos


class _Featurizer:
    """TF-IDF over word uni/bigrams and Han character n-grams (n <= 3).

    Vectorized: n-grams are integer keys looked up with ``searchsorted``, so
    featurizing a batch costs a few numpy passes, not a Python loop per
    n-gram.  Serializable as plain arrays plus the token list.
    """

    def __init__(self, word_ngram_range=(1, 2), char_ngram_range=(2, 3), min_df=2,
                 sublinear_tf=True) -> None:  # noqa: ANN001
        self.word_ngram_range = tuple(word_ngram_range) if word_ngram_range else None
        self.char_ngram_range = tuple(char_ngram_range) if char_ngram_range else None
        if self.word_ngram_range and not (1 <= self.word_ngram_range[0] <= self.word_ngram_range[1] <= 2):
            raise ValueError(f"word_ngram_range must lie within (1, 2), got {self.word_ngram_range}")
        if self.char_ngram_range and not (1 <= self.char_ngram_range[0] <= self.char_ngram_range[1] <= 3):
            raise ValueError(f"char_ngram_range must lie within (1, 3), got {self.char_ngram_range}")
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf

    # -- occurrences: (row, key) pairs per feature family ------------------------------

    def _word_ids(self, docs_tokens):  # noqa: ANN001, ANN202
        """Token ids (or -1), their document and sentence numbers."""
        index = self.token_index
        ids, docs, sents = [], [], []
        for d, toks in enumerate(docs_tokens):
            s = 0
            for t in toks:
                if t in _SENT_END:
                    s += 1
                    continue
                if _PUNCT_OR_SPACE.match(t):
                    continue
                c = "0" if _NUMBER.match(t) else t.lower()
                ids.append(index.get(c, -1))
                docs.append(d)
                sents.append(s)
        return np.asarray(ids, np.int64), np.asarray(docs, np.int64), np.asarray(sents, np.int64)

    def _char_stream(self, texts):  # noqa: ANN001, ANN202
        joined = "\x00".join(texts)
        cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        doc = np.cumsum(cps == 0)
        sent_break = np.isin(cps, _SENT_END_CP) | (cps == 0)
        # sentence number within the document
        sent_global = np.cumsum(sent_break)
        doc_start_sent = np.zeros(len(texts) + 1, np.int64)
        if len(cps):
            firsts = np.searchsorted(doc, np.arange(len(texts)))
            doc_start_sent[: len(texts)] = sent_global[np.minimum(firsts, len(cps) - 1)]
        sent = sent_global - doc_start_sent[doc]
        return cps, doc, sent

    # -- fitting --------------------------------------------------------------------------

    def fit(self, docs_tokens, texts) -> "_Featurizer":  # noqa: ANN001
        n_docs = len(texts)
        df: Counter = Counter()
        for toks in docs_tokens:
            df.update({"0" if _NUMBER.match(t) else t.lower() for t in toks if not _PUNCT_OR_SPACE.match(t)})
        self.tokens = sorted(t for t, c in df.items() if c >= self.min_df)
        self.token_index = {t: i for i, t in enumerate(self.tokens)}
        T = len(self.tokens)
        feats_df: list[np.ndarray] = []
        next_id = 0
        self.uni_feat = np.full(T, -1, np.int64)
        ids, docs, _ = self._word_ids(docs_tokens)
        if self.word_ngram_range and self.word_ngram_range[0] == 1:
            self.uni_feat = np.arange(T, dtype=np.int64)
            feats_df.append(np.array([df[t] for t in self.tokens], np.int64))
            next_id = T
        self.bi_keys = np.zeros(0, np.int64)
        self.bi_feat = np.zeros(0, np.int64)
        if self.word_ngram_range and self.word_ngram_range[1] == 2 and len(ids) > 1:
            keys, bdocs = self._bigram_keys(ids, docs)
            uk, c = _doc_freq(keys, bdocs)
            keep = c >= self.min_df
            self.bi_keys = uk[keep]
            self.bi_feat = np.arange(next_id, next_id + keep.sum(), dtype=np.int64)
            feats_df.append(c[keep])
            next_id += int(keep.sum())
        self.char_keys: dict[int, np.ndarray] = {}
        self.char_feat: dict[int, np.ndarray] = {}
        if self.char_ngram_range:
            cps, cdoc, _ = self._char_stream(texts)
            for n in range(self.char_ngram_range[0], self.char_ngram_range[1] + 1):
                keys, pos = _han_keys(cps, n)
                uk, c = _doc_freq(keys.astype(np.int64), cdoc[pos])
                keep = c >= self.min_df
                self.char_keys[n] = uk[keep]
                self.char_feat[n] = np.arange(next_id, next_id + keep.sum(), dtype=np.int64)
                feats_df.append(c[keep])
                next_id += int(keep.sum())
        dfs = np.concatenate(feats_df) if feats_df else np.zeros(0, np.int64)
        self.idf = np.log((1 + n_docs) / (1 + dfs)) + 1.0
        self.n_features = next_id
        return self

    @staticmethod
    def _bigram_keys(ids, docs):  # noqa: ANN001, ANN205
        ok = (ids[:-1] >= 0) & (ids[1:] >= 0) & (docs[:-1] == docs[1:])
        keys = ids[:-1] * np.int64(1 << 31) + ids[1:]
        return keys[ok], docs[:-1][ok]

    # -- transforming ---------------------------------------------------------------------

    def transform(self, docs_tokens, texts, sentences: bool = False):  # noqa: ANN001, ANN201
        """TF-IDF matrix of the texts; with ``sentences=True`` also the matrix of
        their sentences and, for each sentence row, the text it belongs to."""
        rows_d, rows_s, cols = [], [], []
        ids, docs, sents = self._word_ids(docs_tokens)
        if len(ids):
            ok = ids >= 0
            f = self.uni_feat[ids[ok]]
            good = f >= 0
            rows_d.append(docs[ok][good]); rows_s.append(sents[ok][good]); cols.append(f[good])
        if len(self.bi_keys) and len(ids) > 1:
            ok = (ids[:-1] >= 0) & (ids[1:] >= 0) & (docs[:-1] == docs[1:])
            keys = ids[:-1][ok] * np.int64(1 << 31) + ids[1:][ok]
            f = _lookup(self.bi_keys, self.bi_feat, keys)
            good = f >= 0
            rows_d.append(docs[:-1][ok][good]); rows_s.append(sents[:-1][ok][good]); cols.append(f[good])
        if self.char_keys:
            cps, cdoc, csent = self._char_stream(texts)
            for n, keys_vocab in self.char_keys.items():
                keys, pos = _han_keys(cps, n)
                f = _lookup(keys_vocab, self.char_feat[n], keys.astype(np.int64))
                good = f >= 0
                rows_d.append(cdoc[pos][good]); rows_s.append(csent[pos][good]); cols.append(f[good])
        n_docs = len(texts)
        rd = np.concatenate(rows_d) if rows_d else np.zeros(0, np.int64)
        rs = np.concatenate(rows_s) if rows_s else np.zeros(0, np.int64)
        cc = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        M = self._tfidf(rd, cc, n_docs)
        if not sentences:
            return M
        # sentence rows: (doc, sentence) pairs that have features, in document order
        sid = rd * np.int64(1 << 20) + rs
        uniq, inv = np.unique(sid, return_inverse=True)
        S = self._tfidf(inv, cc, len(uniq))
        owner = (uniq >> np.int64(20)).astype(np.int64)
        return M, S, owner

    def _tfidf(self, rows: np.ndarray, cols: np.ndarray, n_rows: int) -> sp.csr_matrix:
        F = self.n_features
        if len(rows):
            key, counts = np.unique(rows * np.int64(F) + cols, return_counts=True)
            r, c = key // F, key % F
            v = counts.astype(np.float64)
            if self.sublinear_tf:
                v = 1.0 + np.log(v)
            v *= self.idf[c]
            norms = np.sqrt(np.bincount(r, weights=v * v, minlength=n_rows))
            v /= norms[r]
        else:
            r = c = np.zeros(0, np.int64)
            v = np.zeros(0)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n_rows))])
        return sp.csr_matrix((v, c, indptr), shape=(n_rows, F))

    def feature_names(self) -> list[str]:
        names = [""] * self.n_features
        if self.word_ngram_range and self.word_ngram_range[0] == 1:
            for t, f in zip(self.tokens, self.uni_feat):
                names[f] = "w:" + t
        for k, f in zip(self.bi_keys, self.bi_feat):
            names[f] = "w:" + self.tokens[int(k >> 31)] + " " + self.tokens[int(k & ((1 << 31) - 1))]
        mask = (1 << 21) - 1
        for n, keys in self.char_keys.items():
            for k, f in zip(keys.tolist(), self.char_feat[n]):
                chars = [chr((k >> (21 * (n - 1 - i))) & mask) for i in range(n)]
                names[f] = "c:" + "".join(chars)
        return names


def _doc_freq(keys: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and the number of documents each occurs in."""
    if not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pairs = np.unique(np.stack([keys, docs.astype(np.int64)], axis=1), axis=0)
    return np.unique(pairs[:, 0], return_counts=True)


def _lookup(vocab_keys: np.ndarray, vocab_feat: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Feature id of each key, or -1 (``vocab_keys`` sorted)."""
    if not len(vocab_keys) or not len(keys):
        return np.full(len(keys), -1, np.int64)
    i = np.searchsorted(vocab_keys, keys)
    i = np.minimum(i, len(vocab_keys) - 1)
    return np.where(vocab_keys[i] == keys, vocab_feat[i], -1)


def _clean_tokens(tokens: Iterable[str]) -> list[str]:
    """The word tokens the features use: no punctuation or spaces, numbers as 0, lower case."""
    return ["0" if _NUMBER.match(t) else t.lower() for t in tokens if not _PUNCT_OR_SPACE.match(t)]


# --- the estimator -----------------------------------------------------------------------


def _binarize(y, themes: Optional[Sequence[str]]) -> tuple[np.ndarray, tuple[str, ...]]:  # noqa: ANN001
    """Accept an indicator matrix or a list of label collections."""
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object:
        if themes is None:
            themes = tuple(f"label_{i}" for i in range(y.shape[1]))
        if len(themes) != y.shape[1]:
            raise ValueError(f"y has {y.shape[1]} columns but themes has {len(themes)} names")
        return (y > 0).astype(np.int64), tuple(themes)
    rows = [tuple(r) if not isinstance(r, str) else (r,) for r in y]
    if themes is None:
        themes = tuple(sorted({t for r in rows for t in r}))
    index = {t: i for i, t in enumerate(themes)}
    Y = np.zeros((len(rows), len(themes)), dtype=np.int64)
    for i, r in enumerate(rows):
        for t in r:
            if t not in index:
                raise ValueError(f"label {t!r} in row {i} is not one of the themes {tuple(themes)}")
            Y[i, index[t]] = 1
    return Y, tuple(themes)


class PolicyThemeClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label theme classifier over jieba tokens (scikit-learn estimator).

    >>> clf = PolicyThemeClassifier(min_df=1, cv=2)
    >>> X = ["推进科技创新，加强研发投入", "治理大气污染，推进节能减排",
    ...      "新增城镇就业，提高居民收入", "加大研发投入，建设创新平台",
    ...      "打好污染防治攻坚战", "发展教育医疗，完善社会保障"]
    >>> y = [["innovation"], ["ecology"], ["livelihood"], ["innovation"], ["ecology"], ["livelihood"]]
    >>> clf = clf.fit(X, y)
    >>> clf.themes_  # labels drawn from policytag.THEMES: all five columns, in THEMES order
    ('innovation', 'openness', 'ecology', 'governance', 'livelihood')
    >>> clf.predict_proba(["建设国家实验室，突破关键核心技术"]).shape
    (1, 5)

    Parameters
    ----------
    themes : label names in column order (default: THEMES when the labels
        are theme names, else the sorted label names).
    word_ngram_range : token n-grams, within (1, 2).
    char_ngram_range : Han character n-grams, within (1, 3); ``None`` for none.
    min_df, sublinear_tf : TF-IDF settings.
    C : inverse regularisation strength of the linear models.
    loss : ``"logistic"`` (logistic regression) or ``"hinge"`` (linear SVM).
    class_weight : passed to the linear models (``"balanced"`` by default).
    sentence_pooling : add each paragraph's best-scoring sentence to its
        score, so that one clause about a theme is enough (the codebook's rule).
    cv : folds for the out-of-fold scores that calibrate probabilities and
        choose thresholds.
    threshold : ``"auto"`` (per theme, maximising out-of-fold F1) or a float.
    tokenizer_engine : ``"rjieba"`` or ``"jieba"``.
    program_words : keep gazetteer program names whole as tokens.
    """

    def __init__(
        self,
        themes: Optional[Sequence[str]] = None,
        word_ngram_range: Optional[tuple[int, int]] = (1, 2),
        char_ngram_range: Optional[tuple[int, int]] = (2, 3),
        min_df: int = 2,
        sublinear_tf: bool = True,
        C: float = 1.0,
        loss: str = "logistic",
        class_weight: Optional[str] = "balanced",
        sentence_pooling: bool = True,
        cv: int = 5,
        threshold: Union[str, float] = "auto",
        tokenizer_engine: str = "rjieba",
        program_words: bool = True,
        random_state: int = 0,
    ) -> None:
        self.themes = themes
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.C = C
        self.loss = loss
        self.class_weight = class_weight
        self.sentence_pooling = sentence_pooling
        self.cv = cv
        self.threshold = threshold
        self.tokenizer_engine = tokenizer_engine
        self.program_words = program_words
        self.random_state = random_state

    def __sklearn_tags__(self):  # noqa: ANN204
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.classifier_tags.multi_label = True
        return tags

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_tokenizer", None)  # rebuilt on demand in worker processes
        return state

    # -- tokens and features ------------------------------------------------------------

    def _get_tokenizer(self):  # noqa: ANN202
        tok = getattr(self, "_tokenizer", None)
        if tok is None or tok.engine != self.tokenizer_engine:
            from .tokenize import Tokenizer

            tok = Tokenizer(engine=self.tokenizer_engine)
            if self.program_words:
                from .programs import ProgramMatcher

                tok.add_words(ProgramMatcher().surface_forms())
            self._tokenizer = tok
        return tok

    def _texts(self, X) -> list[str]:  # noqa: ANN001
        if isinstance(X, str):
            raise TypeError("X must be a list of texts, not a single string; wrap it: [text]")
        texts = list(X)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"X[{i}] is {type(t).__name__}; PolicyThemeClassifier takes texts (str)")
        return texts

    def tokens(self, text: str) -> list[str]:
        """The word tokens the classifier sees for ``text`` (normalized, cleaned)."""
        from .normalize import normalize

        return _clean_tokens(self._get_tokenizer().cut(normalize(text).text))

    def _features(self, texts: Sequence[str], normalized: bool = False):  # noqa: ANN202
        from .normalize import normalize

        clean = list(texts) if normalized else [normalize(t).text for t in texts]
        cut = self._get_tokenizer().cut
        toks = [cut(t) for t in clean]
        return self.featurizer_.transform(toks, clean, sentences=self.sentence_pooling)

    def _pooled(self, feats, coef: np.ndarray, intercept) -> np.ndarray:  # noqa: ANN001
        """Scores of the paragraphs (plus their best sentence with pooling)."""
        if not self.sentence_pooling:
            return np.asarray(feats @ coef.T) + intercept
        M, S, owner = feats
        para = np.asarray(M @ coef.T) + intercept
        if not len(owner):
            return para
        sent = np.asarray(S @ coef.T) + intercept
        best = np.full_like(para, -np.inf)
        np.maximum.at(best, owner, sent)
        return para + np.where(np.isfinite(best), best, para)

    # -- fitting ---------------------------------------------------------------------------

    def _linear(self):  # noqa: ANN202
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        if self.loss == "logistic":
            return LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear",
                                      max_iter=2000, random_state=self.random_state)
        if self.loss == "hinge":
            return LinearSVC(C=self.C, class_weight=self.class_weight, max_iter=5000,
                             random_state=self.random_state)
        raise ValueError(f"loss must be 'logistic' or 'hinge', not {self.loss!r}")

    def fit(self, X, y, groups: Optional[Sequence] = None) -> "PolicyThemeClassifier":  # noqa: ANN001
        """Fit on texts ``X`` and labels ``y``.

        ``y`` is a list of label collections (``[["ecology"], [], …]``) or an
        indicator matrix of shape (n_samples, n_themes).  ``groups`` (e.g.
        document ids) keeps paragraphs of one document in one fold when the
        out-of-fold scores are computed.
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GroupKFold, KFold

        from .normalize import normalize

        texts = self._texts(X)
        themes = self.themes
        if themes is None and not (isinstance(y, np.ndarray) and y.ndim == 2):
            from . import THEMES

            labels = {t for r in y for t in ((r,) if isinstance(r, str) else r)}
            if labels and labels <= set(THEMES):
                themes = THEMES
        Y, themes = _binarize(y, themes)
        if len(texts) != len(Y):
            raise ValueError(f"X has {len(texts)} texts but y has {len(Y)} rows")
        if len(texts) < 2:
            raise ValueError("fit needs at least 2 texts")
        clean = [normalize(t).text for t in texts]
        cut = self._get_tokenizer().cut
        toks = [cut(t) for t in clean]
        self.featurizer_ = _Featurizer(self.word_ngram_range, self.char_ngram_range, self.min_df,
                                       self.sublinear_tf).fit(toks, clean)
        feats = self.featurizer_.transform(toks, clean, sentences=self.sentence_pooling)
        M = feats[0] if self.sentence_pooling else feats
        k = len(themes)
        self.coef_ = np.zeros((k, M.shape[1]))
        self.intercept_ = np.zeros(k)
        self.calibration_ = np.tile([1.0, 0.0], (k, 1))
        self.thresholds_ = np.full(k, 0.5)
        oof = np.zeros((len(texts), k))
        n_splits = max(2, min(self.cv, len(texts)))
        if groups is not None and len(set(groups)) >= n_splits:
            splits = list(GroupKFold(n_splits=n_splits).split(M, groups=groups))
        else:
            splits = list(KFold(n_splits=n_splits, shuffle=True, random_state=self.random_state).split(M))
        fold_feats = [self._subset(feats, te) for _, te in splits]
        for j in range(k):
            yj = Y[:, j]
            if yj.min() == yj.max():  # a theme never (or always) present: constant score
                self.intercept_[j] = 10.0 if yj[0] else -10.0
                oof[:, j] = self.intercept_[j]
                continue
            model = self._linear().fit(M, yj)
            self.coef_[j] = model.coef_.ravel()
            self.intercept_[j] = float(model.intercept_[0])
            for (tr, te), fte in zip(splits, fold_feats):
                if Y[tr, j].min() == Y[tr, j].max():
                    oof[te, j] = 10.0 if Y[tr, j][0] else -10.0
                    continue
                m = self._linear().fit(M[tr], yj[tr])
                oof[te, j] = self._pooled(fte, m.coef_, m.intercept_[0])[:, 0]
            platt = LogisticRegression(C=1e4, solver="lbfgs").fit(oof[:, [j]], yj)
            self.calibration_[j] = [float(platt.coef_[0, 0]), float(platt.intercept_[0])]
            probs = _sigmoid(oof[:, j] * self.calibration_[j, 0] + self.calibration_[j, 1])
            self.thresholds_[j] = _best_threshold(probs, yj) if self.threshold == "auto" else float(self.threshold)
        self.themes_ = tuple(themes)
        self.classes_ = np.arange(k)
        self.oof_proba_ = _sigmoid(oof * self.calibration_[:, 0] + self.calibration_[:, 1])
        self.n_features_in_ = 1
        return self

    def _subset(self, feats, rows: np.ndarray):  # noqa: ANN001, ANN202
        if not self.sentence_pooling:
            return feats[rows]
        M, S, owner = feats
        pos = np.full(M.shape[0], -1, np.int64)
        pos[rows] = np.arange(len(rows))
        keep = np.flatnonzero(pos[owner] >= 0)
        return M[rows], S[keep], pos[owner[keep]]

    # -- predicting -------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("This PolicyThemeClassifier is not fitted yet; call fit() or load a model "
                                 "(policytag.load()).")

    def _scores(self, feats) -> np.ndarray:  # noqa: ANN001
        return self._pooled(feats, self.coef_, self.intercept_)

    def _proba_from_scores(self, scores: np.ndarray) -> np.ndarray:
        return _sigmoid(scores * self.calibration_[:, 0] + self.calibration_[:, 1])

    def decision_function(self, X) -> np.ndarray:  # noqa: ANN001
        """Scores before calibration, shape (n_samples, n_themes)."""
        self._check_fitted()
        return self._scores(self._features(self._texts(X)))

    def predict_proba(self, X) -> np.ndarray:  # noqa: ANN001
        """Calibrated probability of each theme, shape (n_samples, n_themes)."""
        self._check_fitted()
        return self._proba_from_scores(self.decision_function(X))

    def predict(self, X) -> np.ndarray:  # noqa: ANN001
        """Indicator matrix (n_samples, n_themes): 1 where the theme applies."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int64)

    def predict_labels(self, X) -> list[tuple[str, ...]]:  # noqa: ANN001
        """Predicted themes as tuples of names, in ``themes_`` order."""
        P = self.predict(X)
        return [tuple(t for t, v in zip(self.themes_, row) if v) for row in P]

    def explain(self, text: str, top: int = 8) -> dict[str, dict[str, list[tuple[str, float]]]]:
        """Per theme, the features that pushed the score up and down.

        Returns ``{theme: {"up": [(feature, contribution), …], "down": […]}}``;
        features are ``w:`` word n-grams and ``c:`` character n-grams; the
        contributions are those of the paragraph-level score (TF-IDF weight
        times coefficient).
        """
        self._check_fitted()
        feats = self._features([text])
        row = (feats[0] if self.sentence_pooling else feats).getrow(0)
        names = getattr(self, "_feature_names", None)
        if names is None:
            names = self._feature_names = self.featurizer_.feature_names()
        out = {}
        for j, theme in enumerate(self.themes_):
            contrib = row.data * self.coef_[j, row.indices]
            order = np.argsort(contrib)
            up = [(names[row.indices[i]], float(contrib[i])) for i in order[::-1][:top] if contrib[i] > 0]
            down = [(names[row.indices[i]], float(contrib[i])) for i in order[:top] if contrib[i] < 0]
            out[theme] = {"up": up, "down": down}
        return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def _best_threshold(probs: np.ndarray, y: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.10, 0.91, 0.025):
        pred = probs >= t
        tp = int((pred & (y == 1)).sum())
        fp = int((pred & (y == 0)).sum())
        fn = int((~pred & (y == 1)).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(round(t, 3)), f1
    return best


# --- safe persistence ----------------------------------------------------------------------

_PARAMS_SAVED = ("themes", "word_ngram_range", "char_ngram_range", "min_df", "sublinear_tf", "C", "loss",
                 "class_weight", "sentence_pooling", "cv", "threshold", "tokenizer_engine", "program_words",
                 "random_state")
_ARRAYS = ("coef", "intercept", "idf", "uni_feat", "bi_keys", "bi_feat", "char1_keys", "char1_feat",
           "char2_keys", "char2_feat", "char3_keys", "char3_feat")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_classifier(clf: PolicyThemeClassifier, path: Union[str, Path], metadata: Optional[dict] = None) -> Path:
    """Write a fitted classifier to directory ``path`` as data only.

    Files: ``model.json`` (settings, themes, thresholds, calibration, token
    list, metadata), ``arrays.npz`` (coefficients, intercepts, idf and the
    n-gram key tables; numeric arrays only, no pickles) and ``manifest.json``
    (format version and the SHA-256 of both).
    """
    clf._check_fitted()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    f = clf.featurizer_
    params = {k: getattr(clf, k) for k in _PARAMS_SAVED}
    params["themes"] = list(clf.themes_)
    model = {
        "format": "policytag-themes",
        "format_version": FORMAT_VERSION,
        "params": params,
        "themes": list(clf.themes_),
        "thresholds": [float(x) for x in clf.thresholds_],
        "calibration": clf.calibration_.tolist(),
        "n_features": int(f.n_features),
        "tokens": f.tokens,
        "metadata": metadata or {},
    }
    arrays = {"coef": clf.coef_.astype(np.float32), "intercept": clf.intercept_.astype(np.float64),
              "idf": f.idf.astype(np.float64), "uni_feat": f.uni_feat, "bi_keys": f.bi_keys, "bi_feat": f.bi_feat}
    for n in (1, 2, 3):
        arrays[f"char{n}_keys"] = f.char_keys.get(n, np.zeros(0, np.int64))
        arrays[f"char{n}_feat"] = f.char_feat.get(n, np.zeros(0, np.int64))
    tmp_json, tmp_npz = path / "model.json.tmp", path / "arrays.tmp.npz"
    tmp_json.write_text(json.dumps(model, ensure_ascii=False), encoding="utf-8")
    np.savez_compressed(tmp_npz, **arrays)
    tmp_json.replace(path / "model.json")
    tmp_npz.replace(path / "arrays.npz")
    manifest = {
        "format": "policytag-themes",
        "format_version": FORMAT_VERSION,
        "files": {name: _sha256(path / name) for name in ("model.json", "arrays.npz")},
    }
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return path


def load_classifier(path: Union[str, Path]) -> PolicyThemeClassifier:
    """Load a classifier saved by :func:`save_classifier`; never runs code from the files.

    Raises :class:`ModelFileError` when a file is missing, its checksum does
    not match the manifest, or its content is not a valid model.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path}: not a model directory (expected model.json, arrays.npz, manifest.json)")
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"{path}/manifest.json is missing: not a policytag model directory") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}/manifest.json is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "policytag-themes":
        raise ModelFileError(f"{path}/manifest.json does not describe a policytag-themes model")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format version {manifest.get('format_version')!r} is not "
                             f"supported (this policytag reads version {FORMAT_VERSION})")
    files = manifest.get("files") or {}
    for name in ("model.json", "arrays.npz"):
        fp = path / name
        if not fp.is_file():
            raise ModelFileError(f"{fp} is missing")
        if files.get(name) != _sha256(fp):
            raise ModelFileError(f"{fp} does not match the checksum in manifest.json: the model was modified "
                                 "or damaged; refusing to load it (retrain or restore the original files)")
    try:
        model = json.loads((path / "model.json").read_text(encoding="utf-8"))
        with np.load(path / "arrays.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in _ARRAYS}
    except (ValueError, KeyError, OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: model content is invalid ({exc})") from None
    try:
        return _assemble(model, arrays)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ModelFileError(f"{path}: model content is inconsistent ({exc})") from None


def _assemble(model: dict, a: dict) -> PolicyThemeClassifier:
    themes = model["themes"]
    tokens = model["tokens"]
    F = int(model["n_features"])
    k = len(themes)
    if not k or not all(isinstance(t, str) for t in themes) or not all(isinstance(t, str) for t in tokens):
        raise ValueError("themes and tokens must be lists of strings")
    for name in ("coef", "intercept", "idf"):
        if a[name].dtype.kind != "f":
            raise ValueError(f"{name} has dtype {a[name].dtype}, expected floats")
    for name in _ARRAYS[3:]:
        if a[name].dtype.kind not in "iu" or a[name].ndim != 1:
            raise ValueError(f"{name} must be a 1-d integer array")
        if name.endswith("feat") and len(a[name]) and (a[name].max() >= F or a[name].min() < -1):
            raise ValueError(f"{name} points outside the {F} features")
    if a["coef"].shape != (k, F) or a["intercept"].shape != (k,) or a["idf"].shape != (F,):
        raise ValueError(f"array shapes do not match {k} themes and {F} features")
    if len(a["uni_feat"]) != len(tokens):
        raise ValueError("uni_feat does not match the token list")
    calib = np.asarray(model["calibration"], dtype=np.float64)
    thresholds = np.asarray(model["thresholds"], dtype=np.float64)
    if calib.shape != (k, 2) or thresholds.shape != (k,):
        raise ValueError(f"calibration/thresholds do not match {k} themes")
    params = {p: model["params"][p] for p in _PARAMS_SAVED if p in model.get("params", {})}
    for key in ("word_ngram_range", "char_ngram_range"):
        if params.get(key) is not None:
            params[key] = tuple(params[key])
    clf = PolicyThemeClassifier(**params)
    feat = _Featurizer(clf.word_ngram_range, clf.char_ngram_range, clf.min_df, clf.sublinear_tf)
    feat.tokens = list(tokens)
    feat.token_index = {t: i for i, t in enumerate(tokens)}
    feat.uni_feat = a["uni_feat"].astype(np.int64)
    feat.bi_keys, feat.bi_feat = a["bi_keys"].astype(np.int64), a["bi_feat"].astype(np.int64)
    feat.char_keys, feat.char_feat = {}, {}
    if clf.char_ngram_range:
        for n in range(clf.char_ngram_range[0], clf.char_ngram_range[1] + 1):
            feat.char_keys[n] = a[f"char{n}_keys"].astype(np.int64)
            feat.char_feat[n] = a[f"char{n}_feat"].astype(np.int64)
    feat.idf = a["idf"].astype(np.float64)
    feat.n_features = F
    clf.featurizer_ = feat
    clf.coef_ = a["coef"].astype(np.float64)
    clf.intercept_ = a["intercept"].astype(np.float64)
    clf.calibration_ = calib
    clf.thresholds_ = thresholds
    clf.themes_ = tuple(themes)
    clf.classes_ = np.arange(k)
    clf.n_features_in_ = 1
    clf.metadata_ = model.get("metadata", {})
    return clf
