"""Training and evaluating theme classifiers from labeled paragraphs.

The shipped model is built by one command::

    policytag train --labels labeled/paragraphs.jsonl --corpus ../shared/corpora -o models/policytag-themes

which (1) chooses the features and the linear model by grouped
cross-validation on the train split, (2) fits the chosen classifier on the
train split (probabilities calibrated and thresholds chosen on out-of-fold
scores), (3) measures on the dev split: classifier only, rules only, the
combinations, and the baselines, (4) records the combination mode that
measured best and (5) saves the model as data with its metrics.

Labels files:

* the project format (``labeled/paragraphs.jsonl``): records with ``doc``,
  ``para``, ``hash``, ``labels`` and ``split``, resolved against a corpus;
* a plain format for your own themes: JSON lines with ``text`` and ``labels``
  (and optionally ``split`` = train/dev and ``group`` for a document id).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from .evaluate import (FastTextBaseline, KeywordBaseline, MostFrequentLabelSet, multilabel_report,
                       rule_themes)
from .classifier import PolicyThemeClassifier
from .corpus import iter_json_lines
from .model import save_classifier

__all__ = ["LabeledSet", "read_labels", "select_params", "train", "evaluate_on_dev", "DEFAULT_GRID"]

log = logging.getLogger(__name__)

DEFAULT_GRID: tuple[dict, ...] = (
    {"C": 3.0},
    {"C": 10.0},
    {"C": 3.0, "char_ngram_range": (1, 3)},
    {"C": 10.0, "char_ngram_range": (1, 3)},
    {"C": 30.0, "char_ngram_range": (1, 3)},
    {"C": 10.0, "char_ngram_range": (1, 3), "word_ngram_range": (1, 1)},
    {"C": 10.0, "char_ngram_range": (1, 3), "sentence_pooling": False},
    {"C": 1.0, "char_ngram_range": (1, 3), "loss": "hinge"},
)


@dataclass
class LabeledSet:
    texts: list[str]
    Y: np.ndarray
    groups: list[str]
    themes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.texts)


def read_labels(path: Union[str, Path], corpus_root: Union[str, Path, None] = None,
                themes: Optional[Sequence[str]] = None) -> dict[str, LabeledSet]:
    """Read a labels file into ``{"train": LabeledSet, "dev": LabeledSet}``.

    Records without a split go to train.  Theme names default to
    :data:`policytag.THEMES` when every label is one of them, else to the
    sorted label names found in the file.
    """
    from . import THEMES

    path = Path(path)
    rows: list[tuple[str, list[str], str, str]] = []  # text, labels, split, group
    records = list(iter_json_lines(path))
    if not records:
        raise ValueError(f"{path}: no records")
    if "text" in records[0][1]:
        for lineno, r in records:
            try:
                rows.append((r["text"], list(r["labels"]), r.get("split", "train"),
                             str(r.get("group", f"row{lineno}"))))
            except (KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: expected a JSON object with 'text' and 'labels' ({exc})") from exc
    else:
        from .datasets import load_labeled

        for r in load_labeled(corpus_root, path=path):
            rows.append((r.text, list(r.labels), r.split, r.doc))
    if themes is None:
        found = {t for _, labels, _, _ in rows for t in labels}
        themes = THEMES if found <= set(THEMES) else tuple(sorted(found))
    themes = tuple(themes)
    out = {}
    for split in ("train", "dev"):
        sel = [r for r in rows if r[2] == split]
        Y = np.array([[t in labels for t in themes] for _, labels, _, _ in sel], dtype=np.int64).reshape(-1, len(themes))
        out[split] = LabeledSet([r[0] for r in sel], Y, [r[3] for r in sel], themes)
    if not len(out["train"]):
        raise ValueError(f"{path}: no training records (split 'train')")
    return out


def select_params(data: LabeledSet, grid: Sequence[dict] = DEFAULT_GRID, base: Optional[dict] = None) -> list[dict]:
    """Grouped cross-validation on the training data for each candidate setting.

    Uses the out-of-fold predictions that :meth:`PolicyThemeClassifier.fit`
    computes (documents kept whole within folds); returns one row per
    candidate with its out-of-fold macro and micro F1, best first.
    """
    results = []
    for params in grid:
        t0 = time.time()
        clf = PolicyThemeClassifier(**{**(base or {}), **params}, themes=data.themes)
        clf.fit(data.texts, data.Y, groups=data.groups)
        pred = (clf.oof_proba_ >= clf.thresholds_).astype(np.int64)
        rep = multilabel_report(data.Y, pred, data.themes)
        results.append({"params": params, "cv_macro_f1": round(rep["macro"]["f1"], 4),
                        "cv_micro_f1": round(rep["micro"]["f1"], 4), "seconds": round(time.time() - t0, 1)})
        log.info("cv %s: macro-F1 %.4f", params, rep["macro"]["f1"])
    results.sort(key=lambda r: -r["cv_macro_f1"])
    return results


def evaluate_on_dev(clf: PolicyThemeClassifier, train: LabeledSet, dev: LabeledSet,
                    matcher=None, baselines: bool = True) -> dict:  # noqa: ANN001
    """Dev-split reports: classifier, rules, combinations and baselines, same split, one run."""
    from .programs import ProgramMatcher

    matcher = matcher or ProgramMatcher(learned=False)  # rule themes come from gazetteer entries only
    themes = dev.themes
    P = clf.predict(dev.texts)
    R = rule_themes([matcher.find(t) for t in dev.texts], themes)
    reports = {
        "classifier": multilabel_report(dev.Y, P, themes),
        "rules": multilabel_report(dev.Y, R, themes),
        "or": multilabel_report(dev.Y, P | R, themes),
    }
    if baselines:
        kw = KeywordBaseline().fit(train.texts, train.Y, themes)
        reports["keyword_baseline"] = multilabel_report(dev.Y, kw.predict(dev.texts), themes)
        mf = MostFrequentLabelSet().fit(train.texts, train.Y, themes)
        reports["most_frequent_labelset"] = multilabel_report(dev.Y, mf.predict(dev.texts), themes)
        if FastTextBaseline.available():
            ft = FastTextBaseline.tuned(clf.tokens, train.texts, train.Y, train.groups, themes)
            reports["fasttext"] = multilabel_report(dev.Y, ft.predict(dev.texts), themes)
            reports["fasttext"]["settings"] = ft.selection_
        else:
            log.warning("fastText is not installed (pip install 'policytag[fasttext]'); its baseline is skipped")
    return reports


def train(labels: Union[str, Path], corpus_root: Union[str, Path, None] = None,
          output: Union[str, Path, None] = None, grid: Optional[Sequence[dict]] = DEFAULT_GRID,
          params: Optional[dict] = None, themes: Optional[Sequence[str]] = None) -> tuple[PolicyThemeClassifier, dict]:
    """Select, fit, evaluate and (with ``output``) save a classifier.

    Returns the fitted classifier and a metadata dict (selection table, dev
    reports, chosen combination mode) that is also stored in the model.
    """
    data = read_labels(labels, corpus_root, themes)
    train_set, dev = data["train"], data["dev"]
    log.info("training on %d paragraphs, %d dev", len(train_set), len(dev))
    selection = []
    chosen = dict(params or {})
    if grid:
        selection = select_params(train_set, grid, base=params)
        chosen = {**(params or {}), **selection[0]["params"]}
    clf = PolicyThemeClassifier(**chosen, themes=train_set.themes).fit(
        train_set.texts, train_set.Y, groups=train_set.groups)
    meta: dict = {"params": chosen, "selection": selection, "n_train": len(train_set), "n_dev": len(dev),
                  "labels": str(labels)}
    if len(dev):
        reports = evaluate_on_dev(clf, train_set, dev)
        modes = {"classifier": "classifier", "rules": "rules", "or": "or"}
        best = max(modes, key=lambda m: reports[m]["macro"]["f1"])
        meta["dev"] = reports
        meta["combine"] = best
    else:
        meta["combine"] = "classifier"
    if output is not None:
        save_classifier(clf, output, metadata=meta)
        log.info("saved model to %s", output)
    return clf, meta
