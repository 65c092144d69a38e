"""Evaluation: multi-label metrics and the baselines we compare against.

Baselines, all trained and scored on the same split as the classifier:

* :class:`KeywordBaseline` — a theme dictionary counter, what users of
  keyword tools (cntext and the like) do: a theme applies when one of its
  dictionary words occurs.
* :class:`FastTextBaseline` — fastText (optional extra) trained on the same
  jieba tokens, one-vs-all loss, probability threshold 0.5.
* :class:`MostFrequentLabelSet` — predicts the most frequent label set of
  the training data for every paragraph.
"""
from __future__ import annotations

import os
import tempfile
from collections import Counter
from typing import Optional, Sequence

import numpy as np

__all__ = [
    "multilabel_report",
    "format_report",
    "KeywordBaseline",
    "FastTextBaseline",
    "MostFrequentLabelSet",
    "rule_themes",
    "KEYWORDS",
]


def multilabel_report(Y_true: np.ndarray, Y_pred: np.ndarray, themes: Sequence[str]) -> dict:
    """Per-theme precision/recall/F1 and micro/macro averages.

    >>> r = multilabel_report(np.array([[1, 0], [0, 1]]), np.array([[1, 0], [1, 1]]), ["a", "b"])
    >>> round(r["macro"]["f1"], 3), round(r["micro"]["f1"], 3)
    (0.833, 0.8)
    """
    Y_true = np.asarray(Y_true).astype(bool)
    Y_pred = np.asarray(Y_pred).astype(bool)
    out: dict = {"themes": {}, "n": int(len(Y_true))}
    tps = fps = fns = 0
    f1s = []
    for j, t in enumerate(themes):
        tp = int((Y_true[:, j] & Y_pred[:, j]).sum())
        fp = int((~Y_true[:, j] & Y_pred[:, j]).sum())
        fn = int((Y_true[:, j] & ~Y_pred[:, j]).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out["themes"][t] = {"precision": p, "recall": r, "f1": f, "support": int(Y_true[:, j].sum())}
        tps, fps, fns = tps + tp, fps + fp, fns + fn
        f1s.append(f)
    mp = tps / (tps + fps) if tps + fps else 0.0
    mr = tps / (tps + fns) if tps + fns else 0.0
    out["micro"] = {"precision": mp, "recall": mr, "f1": 2 * mp * mr / (mp + mr) if mp + mr else 0.0}
    out["macro"] = {
        "precision": float(np.mean([out["themes"][t]["precision"] for t in themes])),
        "recall": float(np.mean([out["themes"][t]["recall"] for t in themes])),
        "f1": float(np.mean(f1s)),
    }
    return out


def format_report(name: str, report: dict) -> str:
    lines = [f"{name}  (n={report['n']})", f"  {'theme':<12}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}"]
    for t, m in report["themes"].items():
        lines.append(f"  {t:<12}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['support']:>9}")
    for avg in ("micro", "macro"):
        m = report[avg]
        lines.append(f"  {avg:<12}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}")
    return "\n".join(lines)


# A theme dictionary in the style of keyword-count tools.  Written from the
# codebook's field descriptions, not from the labeled data.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "innovation": ("创新", "科技", "技术", "研发", "科研", "数字经济", "人工智能", "高新技术", "新兴产业",
                   "未来产业", "新质生产力", "知识产权", "人才", "实验室", "创业", "数字化", "智能"),
    "openness": ("开放", "外贸", "进出口", "出口", "外资", "外商", "自贸", "自由贸易", "一带一路", "国际",
                 "招商引资", "对外", "口岸", "跨境", "一体化", "对口支援", "东西部协作", "合作"),
    "ecology": ("生态", "环境", "污染", "环保", "绿色", "低碳", "节能", "减排", "碳达峰", "碳中和", "排放",
                "河长制", "植树造林", "造林", "垃圾分类", "人居环境", "大气", "水质"),
    "governance": ("改革", "治理", "法治", "依法", "营商环境", "放管服", "政务服务", "安全生产", "反腐",
                   "腐败", "党的建设", "党风廉政", "监督", "审计", "风险", "应急", "平安", "社会治理"),
    "livelihood": ("民生", "就业", "收入", "教育", "医疗", "卫生", "养老", "托育", "社会保障", "社保",
                   "住房", "扶贫", "脱贫", "低收入", "共同富裕", "文化", "体育", "救助"),
}


class KeywordBaseline:
    """A theme applies when any of its dictionary words occurs in the paragraph."""

    def __init__(self, keywords: Optional[dict[str, Sequence[str]]] = None, min_hits: int = 1) -> None:
        self.keywords = keywords
        self.min_hits = min_hits

    def fit(self, texts, Y=None, themes: Sequence[str] = ()):  # noqa: ANN001, ANN201
        self.themes_ = tuple(themes) or tuple(KEYWORDS)
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        kw = self.keywords or KEYWORDS
        out = np.zeros((len(texts), len(self.themes_)), dtype=np.int64)
        for i, t in enumerate(texts):
            for j, theme in enumerate(self.themes_):
                hits = sum(t.count(w) for w in kw.get(theme, ()))
                out[i, j] = hits >= self.min_hits
        return out


class MostFrequentLabelSet:
    """Predicts the training data's most frequent label set for every paragraph."""

    def fit(self, texts, Y: np.ndarray, themes: Sequence[str] = ()):  # noqa: ANN001, ANN201
        counts = Counter(tuple(row) for row in np.asarray(Y))
        self.label_set_ = np.array(counts.most_common(1)[0][0])
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.tile(self.label_set_, (len(texts), 1))


class FastTextBaseline:
    """fastText supervised, one-vs-all, on the same tokens as our classifier.

    :meth:`tuned` chooses epoch, learning rate and word n-grams on a grouped
    hold-out of the *training* data (as our classifier chooses its settings
    by cross-validation on training data), then refits on all of it.
    Needs the optional extra: ``pip install 'policytag[fasttext]'``.
    """

    GRID = tuple((ep, lr, ng) for ep in (25, 50) for lr in (0.1, 0.2) for ng in (1, 2))

    def __init__(self, tokens, epoch: int = 50, lr: float = 0.1, word_ngrams: int = 1, dim: int = 100,
                 threshold: float = 0.5, seed: int = 0) -> None:  # noqa: ANN001
        self.tokens = tokens  # callable: text -> list of tokens
        self.epoch = epoch
        self.lr = lr
        self.word_ngrams = word_ngrams
        self.dim = dim
        self.threshold = threshold
        self.seed = seed

    @staticmethod
    def available() -> bool:
        try:
            import fasttext  # noqa: F401
        except ImportError:
            return False
        return True

    def fit(self, texts, Y: np.ndarray, themes: Sequence[str] = (), token_lists=None):  # noqa: ANN001, ANN201
        """Train; raises RuntimeError when fastText diverges (NaN) at these settings."""
        import fasttext

        self.themes_ = tuple(themes)
        token_lists = token_lists if token_lists is not None else [self.tokens(t) for t in texts]
        fd, path = tempfile.mkstemp(suffix=".txt", prefix="policytag-ft-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for toks, row in zip(token_lists, np.asarray(Y)):
                    labels = [f"__label__{th}" for th, v in zip(self.themes_, row) if v] or ["__label__none"]
                    fh.write(" ".join(labels) + " " + " ".join(toks) + "\n")
            self.model_ = fasttext.train_supervised(
                input=path, epoch=self.epoch, lr=self.lr, wordNgrams=self.word_ngrams, dim=self.dim,
                loss="ova", verbose=0, seed=self.seed, thread=1,
            )
        finally:
            os.unlink(path)
        return self

    @classmethod
    def tuned(cls, tokens, texts, Y: np.ndarray, groups: Sequence, themes: Sequence[str],  # noqa: ANN001, ANN206
              grid=None, holdout: float = 0.2, seed: int = 0):
        """Choose settings on a grouped hold-out of the training data, refit on all of it."""
        token_lists = [tokens(t) for t in texts]
        docs = sorted(set(groups))
        rng = np.random.default_rng(seed)
        held = set(rng.choice(docs, size=max(1, int(len(docs) * holdout)), replace=False).tolist())
        va = np.array([g in held for g in groups])
        best, best_f1 = None, -1.0
        for ep, lr, ng in grid or cls.GRID:
            m = cls(tokens, epoch=ep, lr=lr, word_ngrams=ng, seed=seed)
            try:
                m.fit(None, Y[~va], themes, token_lists=[t for t, v in zip(token_lists, va) if not v])
            except RuntimeError:  # diverged at this learning rate
                continue
            f1 = multilabel_report(Y[va], m.predict_tokens([t for t, v in zip(token_lists, va) if v]),
                                   themes)["macro"]["f1"]
            if f1 > best_f1:
                best, best_f1 = (ep, lr, ng), f1
        if best is None:
            raise RuntimeError("fastText diverged at every setting tried")
        final = cls(tokens, epoch=best[0], lr=best[1], word_ngrams=best[2], seed=seed)
        final.fit(None, Y, themes, token_lists=token_lists)
        final.selection_ = {"epoch": best[0], "lr": best[1], "word_ngrams": best[2], "holdout_macro_f1": best_f1}
        return final

    def predict_tokens(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        out = np.zeros((len(token_lists), len(self.themes_)), dtype=np.int64)
        index = {f"__label__{t}": j for j, t in enumerate(self.themes_)}
        for i, toks in enumerate(token_lists):
            labels, probs = self.model_.predict(" ".join(toks), k=-1, threshold=self.threshold)
            for lab in labels:
                if lab in index:
                    out[i, index[lab]] = 1
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.predict_tokens([self.tokens(t) for t in texts])


def rule_themes(mentions_per_text: Sequence[Sequence], themes: Sequence[str]) -> np.ndarray:
    """Themes implied by the named programs found in each text."""
    index = {t: j for j, t in enumerate(themes)}
    out = np.zeros((len(mentions_per_text), len(themes)), dtype=np.int64)
    for i, ms in enumerate(mentions_per_text):
        for m in ms:
            for t in m.themes:
                if t in index:
                    out[i, index[t]] = 1
    return out


def _mentions_matched(xs: Sequence[str], ys: Sequence[str]) -> int:
    """How many of the surface keys ``xs`` a key of ``ys`` matches: the same, or one
    containing the other (how two readers' program lists are compared)."""
    return sum(any(x in y or y in x for y in ys) for x in xs)


def program_report(items, matcher) -> dict:  # noqa: ANN001
    """Precision and recall of the program matcher against annotated programs.

    ``items`` are ``(text, gold_programs)`` pairs (gold as exact substrings,
    as annotators recorded them).  Per paragraph, each distinct program the
    matcher finds counts once; it is correct when its surface form and an
    annotated string contain one another (annotators sometimes recorded the
    quoted part only, "七五" for "七五计划") or name the same gazetteer entry.
    Recall counts the annotated strings that some found program matches.
    ``exact_precision`` and ``exact_recall`` are the same counts under the
    strict rule: the surface forms are equal (quotes and spaces aside) or name
    the same gazetteer entry, so a cut-short name ("制度改革" for
    "户籍制度改革") or an over-long one counts as wrong.
    ``by_source`` splits the found programs by what found them (``"gazetteer"``
    or ``"pattern"``, the templates for numbered slogans and plans): their
    number and precision.  ``correct`` lists the found programs that are right
    as ``(name, source, paragraphs)``, ``false_positives`` the wrong ones as
    ``(name, paragraphs)``, ``missed`` the annotated strings nothing matched.
    """
    from .programs import _surface_key

    tp_pred = n_pred = tp_gold = n_gold = 0
    ex_pred = ex_gold = 0
    false_pos: Counter = Counter()
    right: Counter = Counter()
    missed: Counter = Counter()
    by_source: dict[str, list[int]] = {}  # source -> [correct, found, exactly correct]
    gaz = matcher.programs

    def level(name: str, key: str, g: str, entry: Optional[str]) -> int:
        """2: the same name (equal surface forms, or ``g`` is a surface form of the
        gazetteer entry ``name``); 1: one surface form contains the other; 0: different programs."""
        if g == key or g == name or entry == name:
            return 2
        return 1 if g in key or key in g else 0

    for text, gold in items:
        gold_keys = [_surface_key(g) for g in gold if g and g.strip()]
        found: dict[str, str] = {}
        source: dict[str, str] = {}
        for m in matcher.find(text):
            found.setdefault(m.name, _surface_key(m.text))
            source.setdefault(m.name, m.source)
        entries = {g: (p.name if (p := gaz.lookup(g)) is not None else None) for g in gold_keys}
        levels = {(name, g): level(name, key, g, entries[g]) for name, key in found.items() for g in gold_keys}
        for name in found:
            n_pred += 1
            counts = by_source.setdefault(source[name], [0, 0, 0])
            counts[1] += 1
            best = max((levels[name, g] for g in gold_keys), default=0)
            if best:
                tp_pred += 1
                counts[0] += 1
                right[name, source[name]] += 1
            else:
                false_pos[name] += 1
            if best == 2:
                ex_pred += 1
                counts[2] += 1
        for g in gold_keys:
            n_gold += 1
            best = max((levels[name, g] for name in found), default=0)
            if best:
                tp_gold += 1
            else:
                missed[g] += 1
            if best == 2:
                ex_gold += 1
    return {
        "paragraphs": len(items) if hasattr(items, "__len__") else None,
        "precision": tp_pred / n_pred if n_pred else 0.0,
        "recall": tp_gold / n_gold if n_gold else 0.0,
        "exact_precision": ex_pred / n_pred if n_pred else 0.0,
        "exact_recall": ex_gold / n_gold if n_gold else 0.0,
        "found": n_pred,
        "annotated": n_gold,
        # the counts behind the ratios: found names that are right (leniently, exactly),
        # and annotated names that were found (leniently, exactly)
        "counts": {"correct": tp_pred, "exact_correct": ex_pred, "recalled": tp_gold, "exact_recalled": ex_gold},
        "by_source": {src: {"found": n, "precision": ok / n, "exact_precision": ex / n}
                      for src, (ok, n, ex) in sorted(by_source.items())},
        "false_positives": false_pos.most_common(),
        "correct": [(name, src, n) for (name, src), n in right.most_common()],
        "missed": missed.most_common(),
    }
