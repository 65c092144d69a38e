"""Theme models: features, scoring and safe persistence.

A theme model turns paragraphs into TF-IDF word n-grams (program names kept
whole as tokens) and Han character n-grams, scores them with one linear
model per theme (plus the paragraph's best sentence), and turns the scores
into calibrated probabilities and decisions with a threshold per theme.

This module holds everything needed to *use* a model, with numpy only, so
that ``import policytag; policytag.load()`` stays fast; the scikit-learn
estimator that *trains* one is :class:`policytag.classifier.PolicyThemeClassifier`.

Models are saved as data only (JSON + ``.npz`` without pickles, with a
SHA-256 manifest) by :func:`save_classifier` and read back by
:func:`load_classifier`, which refuses anything that does not check out.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np

__all__ = ["ThemeModel", "save_classifier", "load_classifier", "ModelFileError", "NotFittedError",
           "FORMAT_VERSION"]

try:  # the compiled scoring loop (setup.py builds it where a C compiler is available)
    from . import _kernel
except ImportError:  # pragma: no cover - depends on the build
    _kernel = None

FORMAT_VERSION = 1
_PUNCT_OR_SPACE = re.compile(r"^[\s\W_]+$")
_NUMBER = re.compile(r"^[\d.,%％]+$")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


class NotFittedError(ValueError, AttributeError):
    """The model has not been fitted (same bases as scikit-learn's NotFittedError)."""


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

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_memo", None)
        state.pop("_key_tables", None)
        state.pop("_packed", None)
        state.pop("_kernel_cache", None)
        return state

    # -- occurrences: (row, key) pairs per feature family ------------------------------

    _SKIP, _END = -2, -3

    def _token_id(self, t: str) -> int:
        """Id of a raw token: its vocabulary id, -1 unknown, -2 skipped, -3 sentence end."""
        if t in _SENT_END:
            return self._END
        if _PUNCT_OR_SPACE.match(t):
            return self._SKIP
        return self.token_index.get("0" if _NUMBER.match(t) else t.lower(), -1)

    def _word_ids(self, docs_tokens):  # noqa: ANN001, ANN202
        """Token ids (or -1), their document and sentence numbers."""
        memo = self.__dict__.setdefault("_memo", {})
        if len(memo) > 500_000:
            memo.clear()
        docs_tokens = [toks if isinstance(toks, list) else list(toks) for toks in docs_tokens]
        lens = [len(toks) for toks in docs_tokens]
        all_tokens = list(itertools.chain.from_iterable(docs_tokens))
        flat = list(map(memo.get, all_tokens))  # one C-level pass; None where not yet seen
        if None in flat:
            for i, t in enumerate(all_tokens):
                if flat[i] is None:
                    flat[i] = memo[t] = self._token_id(t)
        arr = np.fromiter(flat, np.int64, len(flat))
        doc = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
        end = arr == self._END
        ends_before = np.concatenate([[0], np.cumsum(end)]).astype(np.int64)  # ends before position i
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64) if lens else np.zeros(0, np.int64)
        sent = ends_before[:-1] - ends_before[starts][doc]
        keep = arr >= -1
        return arr[keep], doc[keep], sent[keep]

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

    def add_program_features(self, themes: Sequence[str]) -> None:
        """Reserve one feature per theme: "a named program implying it occurs here"."""
        self.program_themes = tuple(themes)
        self.program_base = self.n_features
        self.n_features += len(self.program_themes)
        self.idf = np.concatenate([self.idf, np.ones(len(self.program_themes))])

    def _program_entries(self, programs) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
        """(row, column) of each program feature that is on: per text, the columns of the
        themes its named programs imply (rows ascending, columns ascending within a row)."""
        themes = getattr(self, "program_themes", ())
        rows: list[int] = []
        cols: list[int] = []
        if themes and programs is not None:
            index = {t: self.program_base + j for j, t in enumerate(themes)}
            for r, implied in enumerate(programs):
                for c in sorted({index[t] for t in implied if t in index}):
                    rows.append(r)
                    cols.append(c)
        return np.asarray(rows, np.int64), np.asarray(cols, np.int64)

    def _with_programs(self, M: "_Rows", programs) -> "_Rows":  # noqa: ANN001
        rows, cols = self._program_entries(programs)
        if not len(rows):
            return M
        return M.append_columns(rows, cols, 1.0)

    def _tables(self) -> dict:
        """Hash tables from n-gram keys to feature ids (built on first use, not saved)."""
        tables = self.__dict__.get("_key_tables")
        if tables is None:
            tables = {"bi": _KeyTable(self.bi_keys, self.bi_feat)}
            for n, keys in self.char_keys.items():
                tables[n] = (_DirectTable if n == 1 else _KeyTable)(keys, self.char_feat[n])
            self._key_tables = tables
        return tables

    def _occurrences(self, docs_tokens, texts):  # noqa: ANN001, ANN202
        """Every feature occurrence: its text (row), sentence within the text, and feature id."""
        rows_d, rows_s, cols = [], [], []
        tables = self._tables()
        ids, docs, sents = self._word_ids(docs_tokens)
        if len(ids):
            ok = ids >= 0
            f = self.uni_feat[ids[ok]]
            good = f >= 0
            rows_d.append(docs[ok][good]); rows_s.append(sents[ok][good]); cols.append(f[good])
        if len(self.bi_keys) and len(ids) > 1:
            ok = (ids[:-1] >= 0) & (ids[1:] >= 0) & (docs[:-1] == docs[1:])
            keys = ids[:-1][ok] * np.int64(1 << 31) + ids[1:][ok]
            f = tables["bi"].get(keys)
            good = f >= 0
            rows_d.append(docs[:-1][ok][good]); rows_s.append(sents[:-1][ok][good]); cols.append(f[good])
        if self.char_keys:
            cps, cdoc, csent = self._char_stream(texts)
            for n in self.char_keys:
                keys, pos = _han_keys(cps, n)
                f = tables[n].get(keys.astype(np.int64))
                good = f >= 0
                rows_d.append(cdoc[pos][good]); rows_s.append(csent[pos][good]); cols.append(f[good])
        rd = np.concatenate(rows_d) if rows_d else np.zeros(0, np.int64)
        rs = np.concatenate(rows_s) if rows_s else np.zeros(0, np.int64)
        cc = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        return rd, rs, cc

    def transform(self, docs_tokens, texts, sentences: bool = False, programs=None):  # noqa: ANN001, ANN201
        """TF-IDF matrix of the texts; with ``sentences=True`` also the matrix of
        their sentences and, for each sentence row, the text it belongs to.

        ``programs`` gives, per text, the themes implied by the named programs
        found in it (paragraph rows only)."""
        rd, rs, cc = self._occurrences(docs_tokens, texts)
        n_docs = len(texts)
        M = self._with_programs(self._tfidf(rd, cc, n_docs), programs)
        if not sentences:
            return M
        # sentence rows: (doc, sentence) pairs that have features, in document order
        sid = rd * np.int64(1 << 20) + rs
        uniq, inv = np.unique(sid, return_inverse=True)
        S = self._tfidf(inv, cc, len(uniq))
        owner = (uniq >> np.int64(20)).astype(np.int64)
        return M, S, owner

    def score(self, docs_tokens, texts, coef_t: np.ndarray, sentences: bool = False,  # noqa: ANN001
              programs=None, kernel: Optional[bool] = None) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """Linear scores without building a sparse matrix: what ``transform`` then a
        product with ``coef_t`` (n_features, k) gives.

        Returns the text scores and, with ``sentences=True``, each text's best
        sentence score (``-inf`` for a text with no sentence features).
        ``kernel``: use the compiled loop (``policytag._kernel``; default: when
        it was built) or numpy (one sort of the occurrences); same scores.
        """
        n_rows, k = len(texts), coef_t.shape[1]
        para = np.zeros((n_rows, k))
        best = np.full((n_rows, k), -np.inf) if sentences else None
        if kernel is None:
            kernel = _kernel is not None
        if kernel and self._kernel_score(docs_tokens, texts, coef_t, para, best):
            rows, cols = self._program_entries(programs)
            np.add.at(para, rows, coef_t[cols])
            return para, best
        rd, rs, cc = self._occurrences(docs_tokens, texts)
        F = np.int64(self.n_features)
        if len(rd):
            rows, scores = _group_scores(np.sort(rd * F + cc), F, coef_t, self.idf, self.sublinear_tf)
            para[rows] = scores
            if sentences:
                S = np.int64(1) << np.int64(int(rs.max()).bit_length())  # sentences per text, rounded up
                if float(n_rows) * float(F) * float(S) >= 2.0 ** 62:  # pragma: no cover - absurd sizes
                    return _scores_from_rows(self.transform(docs_tokens, texts, True, programs), coef_t, True)
                sids, scores = _group_scores(np.sort((rd * S + rs) * F + cc), F, coef_t, self.idf,
                                             self.sublinear_tf)
                np.maximum.at(best, sids // S, scores)
        rows, cols = self._program_entries(programs)
        np.add.at(para, rows, coef_t[cols])  # a program feature's TF-IDF value is 1
        return para, best

    def _kernel_score(self, docs_tokens, texts, coef_t: np.ndarray, para: np.ndarray,  # noqa: ANN001
                      best: Optional[np.ndarray]) -> bool:
        """Fill ``para`` and ``best`` with the compiled loop; False if it cannot run here
        (not built, or a text holding the \\0 that separates texts)."""
        if _kernel is None:
            return False
        joined = "\x00".join(texts)
        if joined.count("\x00") != max(len(texts) - 1, 0):
            return False
        cache = self.__dict__.get("_kernel_cache")
        if cache is None:  # raw token -> _token_id, kept between calls (the kernel's own memo)
            cache = self._kernel_cache = _kernel.token_cache()
        cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        tables = self._tables()
        empty = np.zeros((0, 2), np.int64)

        def hashed(name) -> tuple:  # noqa: ANN001
            t = tables.get(name)
            if t is None:
                return empty, 0, 0
            return t._slots, int(t._shift), int(t._rounds)

        c1 = tables[1]._table if 1 in tables else np.zeros(0, np.int64)
        packed = self.__dict__.get("_packed")
        if packed is None or packed[0] is not coef_t:
            packed = self._packed = (coef_t, _packed_weights(self.idf, coef_t))
        w = packed[1]
        _kernel.score(docs_tokens, cache, self._token_id, np.ascontiguousarray(self.uni_feat, np.int64),
                      *hashed("bi"), cps, c1, *hashed(2), *hashed(3), w, coef_t.shape[1], w.shape[1],
                      bool(self.sublinear_tf), len(texts), para, best)
        return True

    def _tfidf(self, rows: np.ndarray, cols: np.ndarray, n_rows: int) -> "_Rows":
        import scipy.sparse as sp  # imported on first use: keeps `import policytag; load()` fast

        F = self.n_features
        m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_rows, F))  # sums duplicates
        v = m.data
        if self.sublinear_tf and len(v):
            v = 1.0 + np.log(v)
        v = v * self.idf[m.indices]
        counts = np.diff(m.indptr)
        r = np.repeat(np.arange(n_rows), counts)
        norms = np.sqrt(np.bincount(r, weights=v * v, minlength=n_rows))
        if len(v):
            v /= norms[r]
        return _Rows(v, m.indices.astype(np.int64), m.indptr.astype(np.int64), F)

    def feature_names(self) -> list[str]:
        names = [""] * self.n_features
        if self.word_ngram_range and self.word_ngram_range[0] == 1:
            for t, f in zip(self.tokens, self.uni_feat):
                names[f] = "w:" + t
        for k, f in zip(self.bi_keys, self.bi_feat):
            names[f] = "w:" + self.tokens[int(k >> 31)] + " " + self.tokens[int(k & ((1 << 31) - 1))]
        for j, t in enumerate(getattr(self, "program_themes", ())):
            names[self.program_base + j] = f"p:{t}"
        mask = (1 << 21) - 1
        for n, keys in self.char_keys.items():
            for k, f in zip(keys.tolist(), self.char_feat[n]):
                chars = [chr((k >> (21 * (n - 1 - i))) & mask) for i in range(n)]
                names[f] = "c:" + "".join(chars)
        return names


class _Rows:
    """A sparse row matrix (CSR arrays) with the few operations scoring needs."""

    __slots__ = ("data", "indices", "indptr", "n_cols")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n_cols: int) -> None:
        self.data, self.indices, self.indptr, self.n_cols = data, indices, indptr, n_cols

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_rows, self.n_cols

    def take(self, rows: np.ndarray) -> "_Rows":
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lens = ends - starts
        indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        pos = np.repeat(starts - indptr[:-1], lens) + np.arange(indptr[-1])
        return _Rows(self.data[pos], self.indices[pos], indptr, self.n_cols)

    def append_columns(self, rows: np.ndarray, cols: np.ndarray, value: float) -> "_Rows":
        """Add entries (rows sorted, cols beyond every existing column) at the end of their rows."""
        pos = self.indptr[rows + 1]
        data = np.insert(self.data, pos, value)
        indices = np.insert(self.indices, pos, cols)
        added = np.bincount(rows, minlength=self.n_rows)
        indptr = self.indptr + np.concatenate([[0], np.cumsum(added)])
        return _Rows(data, indices, indptr.astype(np.int64), self.n_cols)

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return self.indices[lo:hi], self.data[lo:hi]

    def to_scipy(self):  # noqa: ANN201
        import scipy.sparse as sp

        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)


class _KeyTable:
    """Exact lookups of int64 keys (>= 0) in a vectorized open-addressing hash table.

    Each probe round is one gather over the whole query array, so a batch of
    millions of n-gram keys is looked up in a few numpy passes (a binary
    search over the sorted vocabulary costs ~17 cache misses per key).
    """

    _MUL = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, keys: np.ndarray, feats: np.ndarray) -> None:
        keys = np.asarray(keys, np.int64)
        feats = np.asarray(feats, np.int64)
        bits = max(4, int(np.ceil(np.log2(max(len(keys), 1) * 2))))  # load factor <= 1/2
        self._shift = np.uint64(64 - bits)
        self._mask = np.int64((1 << bits) - 1)
        # (key, feature) pairs side by side: one cache line per probe in the C kernel
        self._slots = np.full((1 << bits, 2), -1, np.int64)
        self._keys = self._slots[:, 0]
        self._feats = self._slots[:, 1]
        home = self._home(keys)
        pending = np.arange(len(keys))
        r = 0
        while len(pending):  # linear probing, one round per probe offset
            slot = (home[pending] + r) & self._mask
            free = self._keys[slot] == -1
            slots, first = np.unique(slot[free], return_index=True)
            won = pending[free][first]
            self._keys[slots] = keys[won]
            self._feats[slots] = feats[won]
            placed = np.zeros(len(keys), bool)
            placed[won] = True
            pending = pending[~placed[pending]]
            r += 1
        self._rounds = max(r, 1)

    def _home(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys.astype(np.uint64) * self._MUL) >> self._shift).astype(np.int64)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """Feature id of each key, or -1."""
        out = np.full(len(keys), -1, np.int64)
        if not len(keys):
            return out
        home = self._home(keys)
        idx = np.arange(len(keys))
        for r in range(self._rounds):
            slot = (home + r) & self._mask
            found = self._keys[slot]
            hit = found == keys
            out[idx[hit]] = self._feats[slot[hit]]
            more = ~hit & (found != -1)
            if not more.any():
                break
            idx, home, keys = idx[more], home[more], keys[more]
        return out


class _DirectTable:
    """Lookups of small keys (single code points) in a dense array."""

    def __init__(self, keys: np.ndarray, feats: np.ndarray) -> None:
        keys = np.asarray(keys, np.int64)
        self._table = np.full(int(keys.max()) + 2 if len(keys) else 1, -1, np.int64)
        self._table[keys] = feats

    def get(self, keys: np.ndarray) -> np.ndarray:
        """Feature id of each key, or -1."""
        return self._table[np.minimum(keys, len(self._table) - 1)]


def _packed_weights(idf: np.ndarray, coef_t: np.ndarray) -> np.ndarray:
    """idf and the coefficients side by side, one row per feature, for the kernel.

    With at most 7 themes a row is padded to 8 float64 and the array starts on
    a 64-byte boundary, so each feature's weights are one cache line (unpadded
    48-byte rows straddle two lines one time in four).
    """
    k = coef_t.shape[1]
    stride = 8 if k < 8 else k + 1
    raw = np.zeros(len(idf) * stride + 8)
    start = (-raw.ctypes.data % 64) // 8  # first element on a 64-byte boundary
    w = raw[start : start + len(idf) * stride].reshape(len(idf), stride)
    w[:, 0] = idf
    w[:, 1 : 1 + k] = coef_t
    return w


def _group_scores(key: np.ndarray, F: np.int64, coef_t: np.ndarray, idf: np.ndarray,
                  sublinear: bool) -> tuple[np.ndarray, np.ndarray]:
    """Scores of L2-normalized TF-IDF rows from sorted occurrence keys ``group * F + feature``.

    Runs of equal keys give the term frequencies; runs of equal groups give
    the rows of a CSR matrix that is already in order, so no further sort.
    Returns the groups that have features and their scores (``rows @ coef_t``).
    """
    import scipy.sparse as sp

    start = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    tf = np.diff(np.append(start, len(key)))
    uk = key[start]
    g, f = uk // F, uk % F
    gstart = np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1])))
    indptr = np.append(gstart, len(g))
    v = (1.0 + np.log(tf)) if sublinear else tf.astype(np.float64)
    v *= idf[f]
    norms = np.sqrt(np.add.reduceat(v * v, gstart))
    v /= np.repeat(norms, np.diff(indptr))
    m = sp.csr_matrix((v, f, indptr), shape=(len(gstart), int(F)))
    return g[gstart], np.asarray(m @ coef_t)


def _pool(para: np.ndarray, best: Optional[np.ndarray], intercept) -> np.ndarray:  # noqa: ANN001
    """Paragraph score plus its best sentence's score (the paragraph's own score again
    when it has no sentence with features); ``best`` None means no pooling."""
    para = para + intercept
    if best is None:
        return para
    best = best + intercept
    return para + np.where(np.isfinite(best), best, para)


def _scores_from_rows(feats, coef_t: np.ndarray, sentences: bool):  # noqa: ANN001, ANN202
    """Text scores and best sentence scores from the matrices of ``transform``."""
    if not sentences:
        return np.asarray(feats.to_scipy() @ coef_t), None
    M, S, owner = feats
    para = np.asarray(M.to_scipy() @ coef_t)
    best = np.full_like(para, -np.inf)
    if len(owner):
        np.maximum.at(best, owner, np.asarray(S.to_scipy() @ coef_t))
    return para, best


def _doc_freq(keys: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and the number of documents each occurs in."""
    if not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pairs = np.unique(np.stack([keys, docs.astype(np.int64)], axis=1), axis=0)
    return np.unique(pairs[:, 0], return_counts=True)


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


class _ThemeScorer:
    """Scoring shared by the estimator and loaded models (numpy only)."""

    # set by fit() or by load_classifier()
    featurizer_: _Featurizer
    coef_: np.ndarray
    intercept_: np.ndarray
    calibration_: np.ndarray
    thresholds_: np.ndarray
    themes_: tuple

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_tokenizer", None)  # rebuilt on demand in worker processes
        state.pop("_matcher", None)
        state.pop("_coef_t_cache", None)
        return state

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
                raise TypeError(f"X[{i}] is {type(t).__name__}; the theme model takes texts (str)")
        return texts

    def tokens(self, text: str) -> list[str]:
        """The word tokens the model sees for ``text`` (normalized, cleaned)."""
        from .normalize import normalize

        return _clean_tokens(self._get_tokenizer().cut(normalize(text).text))

    def _program_themes(self, clean: Sequence[str]) -> Optional[list]:
        """Themes implied by the named programs in each (normalized) text."""
        if not getattr(self, "program_features", False):
            return None
        matcher = getattr(self, "_matcher", None)
        if matcher is None:
            from .programs import ProgramMatcher

            matcher = self._matcher = ProgramMatcher(learned=False)  # themes come from gazetteer entries only
        return [{t for m in matcher.find(text) for t in m.themes} for text in clean]

    def _prepare(self, texts: Sequence[str], normalized: bool, programs):  # noqa: ANN001, ANN202
        """Normalized texts, their tokens, and the themes their programs imply
        (``programs`` given by the caller saves re-matching)."""
        from .normalize import normalize

        clean = list(texts) if normalized else [normalize(t).text for t in texts]
        cut = self._get_tokenizer().cut
        toks = [cut(t) for t in clean]
        if programs is None:
            programs = self._program_themes(clean)
        return toks, clean, programs

    def _features(self, texts: Sequence[str], normalized: bool = False, programs=None):  # noqa: ANN001, ANN202
        """The TF-IDF matrix (and sentence matrix with pooling) of texts."""
        toks, clean, programs = self._prepare(texts, normalized, programs)
        return self.featurizer_.transform(toks, clean, sentences=self.sentence_pooling, programs=programs)

    def _coef_t(self) -> np.ndarray:
        """``coef_.T`` as a contiguous (n_features, n_themes) array, cached per ``coef_``."""
        cached = self.__dict__.get("_coef_t_cache")
        if cached is None or cached[0] is not self.coef_:
            cached = self._coef_t_cache = (self.coef_, np.ascontiguousarray(self.coef_.T, dtype=np.float64))
        return cached[1]

    def _decision(self, texts: Sequence[str], normalized: bool = False, programs=None) -> np.ndarray:  # noqa: ANN001
        """Scores before calibration, computed without materializing the feature matrix."""
        toks, clean, programs = self._prepare(texts, normalized, programs)
        para, best = self.featurizer_.score(toks, clean, self._coef_t(), self.sentence_pooling, programs)
        return _pool(para, best, self.intercept_)

    def _pooled(self, feats, coef: np.ndarray, intercept) -> np.ndarray:  # noqa: ANN001
        """Scores of the paragraphs (plus their best sentence with pooling) from feature matrices."""
        para, best = _scores_from_rows(feats, np.atleast_2d(coef).T, self.sentence_pooling)
        return _pool(para, best, intercept)

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit() or load a model "
                                 "(policytag.load()).")

    def _scores(self, feats) -> np.ndarray:  # noqa: ANN001
        return self._pooled(feats, self.coef_, self.intercept_)

    def _proba_from_scores(self, scores: np.ndarray) -> np.ndarray:
        return _sigmoid(scores * self.calibration_[:, 0] + self.calibration_[:, 1])

    def decision_function(self, X) -> np.ndarray:  # noqa: ANN001
        """Scores before calibration, shape (n_samples, n_themes)."""
        self._check_fitted()
        return self._decision(self._texts(X))

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
        idx, val = (feats[0] if self.sentence_pooling else feats).row(0)
        names = getattr(self, "_feature_names", None)
        if names is None:
            names = self._feature_names = self.featurizer_.feature_names()
        out = {}
        for j, theme in enumerate(self.themes_):
            contrib = val * self.coef_[j, idx]
            order = np.argsort(contrib)
            up = [(names[idx[i]], float(contrib[i])) for i in order[::-1][:top] if contrib[i] > 0]
            down = [(names[idx[i]], float(contrib[i])) for i in order[:top] if contrib[i] < 0]
            out[theme] = {"up": up, "down": down}
        return out


class ThemeModel(_ThemeScorer):
    """A fitted theme model loaded from disk (see :func:`load_classifier`).

    It predicts like :class:`~policytag.classifier.PolicyThemeClassifier`
    (``predict``, ``predict_proba``, ``decision_function``, ``explain``) and
    ``get_params()`` returns the settings it was trained with, so
    ``PolicyThemeClassifier(**model.get_params())`` retrains it.
    """

    def __init__(self, **params) -> None:  # noqa: ANN003
        self._params = dict(params)
        for k, v in params.items():
            setattr(self, k, v)

    def get_params(self, deep: bool = True) -> dict:
        return dict(self._params)

    def __repr__(self) -> str:
        return f"ThemeModel(themes={self.themes_}, features={self.featurizer_.n_features})"


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
                 "class_weight", "sentence_pooling", "program_features", "cv", "threshold", "tokenizer_engine", "program_words",
                 "random_state")
_ARRAYS = ("coef", "intercept", "idf", "uni_feat", "bi_keys", "bi_feat", "char1_keys", "char1_feat",
           "char2_keys", "char2_feat", "char3_keys", "char3_feat")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_classifier(clf: _ThemeScorer, path: Union[str, Path], metadata: Optional[dict] = None) -> Path:
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
        "program_themes": list(getattr(f, "program_themes", ())),
        "program_base": int(getattr(f, "program_base", f.n_features)),
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


def load_classifier(path: Union[str, Path]) -> ThemeModel:
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


def _assemble(model: dict, a: dict) -> ThemeModel:
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
    defaults = {"word_ngram_range": (1, 2), "char_ngram_range": (2, 3), "min_df": 2, "sublinear_tf": True,
                "sentence_pooling": True, "program_features": False, "tokenizer_engine": "rjieba",
                "program_words": True}
    clf = ThemeModel(**{**defaults, **params})
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
    prog = model.get("program_themes") or []
    if prog:
        base = int(model["program_base"])
        if not all(isinstance(t, str) for t in prog) or not 0 <= base <= F - len(prog):
            raise ValueError("program_themes/program_base are inconsistent with the features")
        feat.program_themes, feat.program_base = tuple(prog), base
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
