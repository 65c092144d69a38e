"""The scikit-learn estimator that trains theme models.

:class:`PolicyThemeClassifier` follows scikit-learn's conventions (``fit``,
``predict``, ``predict_proba``, ``decision_function``, ``get_params`` /
``set_params``, no work in ``__init__``).  It fits one linear model per theme
on TF-IDF word and character n-grams, calibrates each theme's scores with
Platt scaling on out-of-fold scores (documents kept whole within folds) and
chooses a threshold per theme that maximises out-of-fold F1.  It trains on
any label set, so users can fit their own themes.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .model import _Featurizer, _ThemeScorer, _best_threshold, _binarize, _sigmoid

__all__ = ["PolicyThemeClassifier"]


class PolicyThemeClassifier(_ThemeScorer, ClassifierMixin, BaseEstimator):
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
    program_features : add one feature per theme, "a named program implying
        this theme occurs in the paragraph" (the rule layer), whose weight the
        model learns.
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
        program_features: bool = True,
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
        self.program_features = program_features
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

    def _check_fitted(self) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "coef_")

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
        programs = None
        if self.program_features:
            self.featurizer_.add_program_features(themes)
            programs = self._program_themes(clean)
        feats = self.featurizer_.transform(toks, clean, sentences=self.sentence_pooling, programs=programs)
        M = (feats[0] if self.sentence_pooling else feats).to_scipy()
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
            return feats.take(rows)
        M, S, owner = feats
        pos = np.full(M.n_rows, -1, np.int64)
        pos[rows] = np.arange(len(rows))
        keep = np.flatnonzero(pos[owner] >= 0)
        return M.take(rows), S.take(keep), pos[owner[keep]]
