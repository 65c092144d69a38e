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


class _Featurizer:
    """TF-IDF over word n-grams and Han character n-grams, serializable as data."""

    def __init__(self, word_ngram_range=(1, 2), char_ngram_range=(2, 3), min_df=2,
                 max_features=200_000, sublinear_tf=True) -> None:  # noqa: ANN001
        self.word_ngram_range = tuple(word_ngram_range)
        self.char_ngram_range = tuple(char_ngram_range) if char_ngram_range else None
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.vocabulary: dict[str, int] = {}
        self.idf: np.ndarray = np.zeros(0)

    def features(self, tokens: Sequence[str], text: str) -> list[str]:
        out = []
        lo, hi = self.word_ngram_range
        for n in range(lo, hi + 1):
            for i in range(len(tokens) - n + 1):
                out.append("w:" + " ".join(tokens[i : i + n]))
        if self.char_ngram_range:
            clo, chi = self.char_ngram_range
            for run in _HAN_RUN.findall(text):
                for n in range(clo, chi + 1):
                    for i in range(len(run) - n + 1):
                        out.append("c:" + run[i : i + n])
        return out

    def fit(self, docs_tokens: Sequence[Sequence[str]], texts: Sequence[str]) -> "_Featurizer":
        df: Counter = Counter()
        for toks, text in zip(docs_tokens, texts):
            df.update(set(self.features(toks, text)))
        kept = [(f, c) for f, c in df.items() if c >= self.min_df]
        kept.sort(key=lambda fc: (-fc[1], fc[0]))
        kept = kept[: self.max_features]
        kept.sort()
        self.vocabulary = {f: i for i, (f, _) in enumerate(kept)}
        n = len(texts)
        self.idf = np.array([math.log((1 + n) / (1 + c)) + 1.0 for _, c in kept], dtype=np.float64)
        return self

    def transform(self, docs_tokens: Sequence[Sequence[str]], texts: Sequence[str]) -> sp.csr_matrix:
        vocab = self.vocabulary
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for toks, text in zip(docs_tokens, texts):
            counts = Counter(i for f in self.features(toks, text) if (i := vocab.get(f)) is not None)
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            val = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if self.sublinear_tf and len(val):
                val = 1.0 + np.log(val)
            val = val * self.idf[idx] if len(idx) else val
            norm = np.sqrt((val**2).sum())
            if norm > 0:
                val = val / norm
            order = np.argsort(idx)
            indices.extend(idx[order].tolist())
            data.extend(val[order].tolist())
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
            shape=(len(indptr) - 1, len(vocab)),
        )


def _clean_tokens(tokens: Iterable[str]) -> list[str]:
    out = []
    for t in tokens:
        if _PUNCT_OR_SPACE.match(t):
            continue
        out.append("0" if _NUMBER.match(t) else t.lower())
    return out


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
    themes : label names in column order (default: THEMES when y is a list of
        label names drawn from them, else sorted label names).
    word_ngram_range, char_ngram_range : n-gram ranges of tokens and of Han
        characters (``None`` for no character n-grams).
    min_df, max_features, sublinear_tf : TF-IDF settings.
    C : inverse regularisation strength of the linear models.
    loss : ``"logistic"`` (logistic regression) or ``"hinge"`` (linear SVM).
    class_weight : passed to the linear models (``"balanced"`` by default).
    cv : folds for the out-of-fold scores that calibrate probabilities and
        choose thresholds.
    threshold : ``"auto"`` (per theme, maximising out-of-fold F1) or a float.
    tokenizer_engine : ``"rjieba"`` or ``"jieba"``.
    program_words : keep gazetteer program names whole as tokens.
    """

    def __init__(
        self,
        themes: Optional[Sequence[str]] = None,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: Optional[tuple[int, int]] = (2, 3),
        min_df: int = 2,
        max_features: int = 200_000,
        sublinear_tf: bool = True,
        C: float = 1.0,
        loss: str = "logistic",
        class_weight: Optional[str] = "balanced",
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
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.C = C
        self.loss = loss
        self.class_weight = class_weight
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

    # -- tokens ------------------------------------------------------------------------

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
        """The tokens the classifier sees for ``text`` (normalized, cleaned)."""
        from .normalize import normalize

        return _clean_tokens(self._get_tokenizer().cut(normalize(text).text))

    def _matrix(self, texts: Sequence[str], normalized: bool = False) -> sp.csr_matrix:
        from .normalize import normalize

        tok = self._get_tokenizer()
        clean = texts if normalized else [normalize(t).text for t in texts]
        toks = [_clean_tokens(tok.cut(t)) for t in clean]
        return self.featurizer_.transform(toks, clean)

    # -- fitting -----------------------------------------------------------------------

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
        tok = self._get_tokenizer()
        toks = [_clean_tokens(tok.cut(t)) for t in clean]
        self.featurizer_ = _Featurizer(self.word_ngram_range, self.char_ngram_range, self.min_df,
                                       self.max_features, self.sublinear_tf).fit(toks, clean)
        M = self.featurizer_.transform(toks, clean)
        k = len(themes)
        n_feat = M.shape[1]
        self.coef_ = np.zeros((k, n_feat))
        self.intercept_ = np.zeros(k)
        self.calibration_ = np.tile([1.0, 0.0], (k, 1))
        self.thresholds_ = np.full(k, 0.5)
        oof = np.zeros((len(texts), k))
        n_splits = max(2, min(self.cv, len(texts)))
        if groups is not None and len(set(groups)) >= n_splits:
            splits = list(GroupKFold(n_splits=n_splits).split(M, groups=groups))
        else:
            splits = list(KFold(n_splits=n_splits, shuffle=True, random_state=self.random_state).split(M))
        for j in range(k):
            yj = Y[:, j]
            if yj.min() == yj.max():  # a theme never (or always) present: constant score
                self.intercept_[j] = 10.0 if yj[0] else -10.0
                oof[:, j] = self.intercept_[j]
                continue
            model = self._linear().fit(M, yj)
            self.coef_[j] = model.coef_.ravel()
            self.intercept_[j] = float(model.intercept_[0])
            for tr, te in splits:
                if Y[tr, j].min() == Y[tr, j].max():
                    oof[te, j] = 10.0 if Y[tr, j][0] else -10.0
                    continue
                oof[te, j] = self._linear().fit(M[tr], yj[tr]).decision_function(M[te])
            platt = LogisticRegression(C=1e4, solver="lbfgs").fit(oof[:, [j]], yj)
            self.calibration_[j] = [float(platt.coef_[0, 0]), float(platt.intercept_[0])]
            probs = _sigmoid(oof[:, j] * self.calibration_[j, 0] + self.calibration_[j, 1])
            self.thresholds_[j] = _best_threshold(probs, yj) if self.threshold == "auto" else float(self.threshold)
        self.themes_ = tuple(themes)
        self.classes_ = np.arange(k)
        self.oof_proba_ = _sigmoid(oof * self.calibration_[:, 0] + self.calibration_[:, 1])
        self.n_features_in_ = 1
        return self

    # -- predicting ----------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("This PolicyThemeClassifier is not fitted yet; call fit() or load a model "
                                 "(policytag.load()).")

    def decision_function(self, X) -> np.ndarray:  # noqa: ANN001
        """Raw linear scores, shape (n_samples, n_themes)."""
        self._check_fitted()
        return self._scores(self._matrix(self._texts(X)))

    def _scores(self, M: sp.csr_matrix) -> np.ndarray:
        return np.asarray(M @ self.coef_.T) + self.intercept_

    def _proba_from_scores(self, scores: np.ndarray) -> np.ndarray:
        return _sigmoid(scores * self.calibration_[:, 0] + self.calibration_[:, 1])

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
        features are ``w:`` word n-grams and ``c:`` character n-grams.
        """
        self._check_fitted()
        M = self._matrix([text])
        row = M.getrow(0)
        inv = getattr(self, "_inverse_vocab", None)
        if inv is None:
            inv = [""] * len(self.featurizer_.vocabulary)
            for f, i in self.featurizer_.vocabulary.items():
                inv[i] = f
            self._inverse_vocab = inv
        out = {}
        for j, theme in enumerate(self.themes_):
            contrib = row.data * self.coef_[j, row.indices]
            order = np.argsort(contrib)
            up = [(inv[row.indices[i]], float(contrib[i])) for i in order[::-1][:top] if contrib[i] > 0]
            down = [(inv[row.indices[i]], float(contrib[i])) for i in order[:top] if contrib[i] < 0]
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

_PARAMS_SAVED = ("themes", "word_ngram_range", "char_ngram_range", "min_df", "max_features", "sublinear_tf",
                 "C", "loss", "class_weight", "cv", "threshold", "tokenizer_engine", "program_words",
                 "random_state")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_classifier(clf: PolicyThemeClassifier, path: Union[str, Path], metadata: Optional[dict] = None) -> Path:
    """Write a fitted classifier to directory ``path`` as data only.

    Files: ``model.json`` (settings, themes, thresholds, calibration,
    vocabulary), ``arrays.npz`` (coefficients, intercepts, idf; no object
    arrays) and ``manifest.json`` (format version and SHA-256 of both).
    """
    clf._check_fitted()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    inv = [""] * len(clf.featurizer_.vocabulary)
    for f, i in clf.featurizer_.vocabulary.items():
        inv[i] = f
    params = {k: getattr(clf, k) for k in _PARAMS_SAVED}
    params["themes"] = list(clf.themes_)
    model = {
        "format": "policytag-themes",
        "format_version": FORMAT_VERSION,
        "params": params,
        "themes": list(clf.themes_),
        "thresholds": [float(x) for x in clf.thresholds_],
        "calibration": clf.calibration_.tolist(),
        "vocabulary": inv,
        "metadata": metadata or {},
    }
    (path / "model.json").write_text(json.dumps(model, ensure_ascii=False), encoding="utf-8")
    np.savez_compressed(path / "arrays.npz", coef=clf.coef_.astype(np.float32),
                        intercept=clf.intercept_.astype(np.float64), idf=clf.featurizer_.idf.astype(np.float64))
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
        f = path / name
        if not f.is_file():
            raise ModelFileError(f"{f} is missing")
        if files.get(name) != _sha256(f):
            raise ModelFileError(f"{f} does not match the checksum in manifest.json: the model was modified "
                                 "or damaged; refusing to load it (retrain or restore the original files)")
    try:
        model = json.loads((path / "model.json").read_text(encoding="utf-8"))
        with np.load(path / "arrays.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in ("coef", "intercept", "idf")}
    except (ValueError, KeyError, OSError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: model content is invalid ({exc})") from None
    themes = model.get("themes")
    vocab = model.get("vocabulary")
    k = len(themes or ())
    if not themes or not isinstance(vocab, list) or not all(isinstance(v, str) for v in vocab):
        raise ModelFileError(f"{path}/model.json lacks themes or vocabulary")
    for name, arr in arrays.items():
        if arr.dtype.kind != "f":
            raise ModelFileError(f"{path}/arrays.npz: {name} has dtype {arr.dtype}, expected floats")
    if arrays["coef"].shape != (k, len(vocab)) or arrays["intercept"].shape != (k,) \
            or arrays["idf"].shape != (len(vocab),):
        raise ModelFileError(f"{path}: array shapes do not match {k} themes and {len(vocab)} features")
    calib = np.asarray(model.get("calibration"), dtype=np.float64)
    thresholds = np.asarray(model.get("thresholds"), dtype=np.float64)
    if calib.shape != (k, 2) or thresholds.shape != (k,):
        raise ModelFileError(f"{path}: calibration/thresholds do not match {k} themes")
    params = {p: model["params"][p] for p in _PARAMS_SAVED if p in model.get("params", {})}
    for key in ("word_ngram_range", "char_ngram_range"):
        if params.get(key) is not None:
            params[key] = tuple(params[key])
    clf = PolicyThemeClassifier(**params)
    feat = _Featurizer(clf.word_ngram_range, clf.char_ngram_range, clf.min_df, clf.max_features, clf.sublinear_tf)
    feat.vocabulary = {f: i for i, f in enumerate(vocab)}
    feat.idf = arrays["idf"].astype(np.float64)
    clf.featurizer_ = feat
    clf._inverse_vocab = vocab
    clf.coef_ = arrays["coef"].astype(np.float64)
    clf.intercept_ = arrays["intercept"].astype(np.float64)
    clf.calibration_ = calib
    clf.thresholds_ = thresholds
    clf.themes_ = tuple(themes)
    clf.classes_ = np.arange(k)
    clf.n_features_in_ = 1
    clf.metadata_ = model.get("metadata", {})
    return clf
