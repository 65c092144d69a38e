"""From tagged paragraphs to the statistics that go into papers.

All functions take the rows of ``policytag tag`` (or ``Tagger.tag_frame``) as
a pandas DataFrame (``themes`` a list per row, ``chars`` the paragraph
length, ``doc_id``, and any metadata columns) and return tidy DataFrames.

* :func:`document_shares` — theme shares per document, by paragraph count
  and by characters;
* :func:`group_shares` — shares by any grouping (year, province, decade,
  document type) with bootstrap confidence intervals;
* :func:`share_difference` — the difference between two groups with a
  bootstrap interval;
* :func:`program_stats` — program frequencies per group and first/last
  appearance.

Bootstrap: paragraphs are resampled with replacement *within each document*
(the document set of a group stays fixed), so the interval reflects the
uncertainty of tagging a document's paragraphs, and documents of very
different length keep their weight.

>>> import pandas as pd
>>> rows = pd.DataFrame({"doc_id": ["a", "a", "b"], "themes": [["ecology"], [], ["ecology", "openness"]],
...                      "chars": [100, 100, 50], "year": [2020, 2020, 2021]})
>>> document_shares(rows)[["doc_id", "ecology"]].values.tolist()
[['a', 0.5], ['b', 1.0]]
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

__all__ = ["load_tagged", "document_shares", "group_shares", "share_difference", "program_stats"]

THEMES = ("innovation", "openness", "ecology", "governance", "livelihood")


def _pd():  # noqa: ANN202
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover
        raise ImportError("policytag.stats needs pandas: pip install 'policytag[pandas]'") from exc
    return pd


def _as_list(v) -> list:  # noqa: ANN001
    if isinstance(v, (list, tuple)):
        return list(v)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, np.ndarray):
        return v.tolist()
    s = str(v)
    if s.startswith("["):
        return json.loads(s)
    return [x for x in s.split("|") if x]


def load_tagged(path: Union[str, Path]):  # noqa: ANN201
    """Read the output of ``policytag tag`` (.jsonl, .csv or .parquet) as a DataFrame."""
    pd = _pd()
    path = Path(path)
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    elif path.suffix == ".csv":
        df = pd.read_csv(path)
    else:
        df = pd.read_json(path, lines=True)
    for col in ("themes", "programs"):
        if col in df.columns:
            df[col] = df[col].map(_as_list)
    return df


def _indicators(df, themes: Sequence[str]) -> np.ndarray:  # noqa: ANN001
    sets = [set(_as_list(v)) for v in df["themes"]]
    return np.array([[t in s for t in themes] for s in sets], dtype=np.float64).reshape(len(df), len(themes))


def _weights(df, weight: str) -> np.ndarray:  # noqa: ANN001
    if weight == "paragraphs":
        return np.ones(len(df))
    if weight == "chars":
        return df["chars"].to_numpy(dtype=np.float64)
    raise ValueError(f"weight must be 'paragraphs' or 'chars', not {weight!r}")


def document_shares(df, themes: Sequence[str] = THEMES, weight: str = "paragraphs"):  # noqa: ANN001, ANN201
    """Share of each document's paragraphs (or characters) that carry each theme.

    Metadata columns that are constant within a document are kept.
    """
    pd = _pd()
    ind = _indicators(df, themes) * _weights(df, weight)[:, None]
    frame = pd.DataFrame(ind, columns=list(themes))
    frame["_w"] = _weights(df, weight)
    frame["doc_id"] = df["doc_id"].to_numpy()
    g = frame.groupby("doc_id", sort=False)
    out = g[list(themes)].sum().div(g["_w"].sum(), axis=0).reset_index()
    out["paragraphs"] = g.size().to_numpy()
    meta = [c for c in df.columns if c not in {"doc_id", "themes", "programs", "program_mentions", "paragraph",
                                                "start", "end", "heading", "chars", "text"}
            and not str(c).startswith("score_")]
    if meta:
        first = df.groupby("doc_id", sort=False)[meta].first().reset_index()
        out = out.merge(first, on="doc_id", how="left")
    return out


def _boot_group(docs_ind: list, docs_w: list, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, k) bootstrap shares of one group: paragraphs resampled within documents."""
    k = docs_ind[0].shape[1]
    num = np.zeros((n_boot, k))
    den = np.zeros(n_boot)
    for ind, w in zip(docs_ind, docs_w):
        n = len(w)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)  # (B, n)
        num += counts @ (ind * w[:, None])
        den += counts @ w
    return num / np.where(den > 0, den, 1)[:, None]


def _groups(df, by: Union[str, Sequence[str]]):  # noqa: ANN001, ANN202
    by = [by] if isinstance(by, str) else list(by)
    missing = [b for b in by if b not in df.columns]
    if missing:
        raise KeyError(f"grouping columns {missing} not in the tagged data (columns: {list(df.columns)})")
    return by, df.groupby(by, sort=True, dropna=False)


def group_shares(df, by: Union[str, Sequence[str]], themes: Sequence[str] = THEMES,  # noqa: ANN001, ANN201
                 weight: str = "paragraphs", n_boot: int = 1000, ci: float = 0.95, seed: int = 0):
    """Theme shares per group with bootstrap confidence intervals (tidy).

    Columns: the grouping columns, ``theme``, ``share``, ``lo``, ``hi``,
    ``documents``, ``paragraphs``.  The share pools the group's paragraphs
    (or characters, with ``weight="chars"``).
    """
    pd = _pd()
    by, grouped = _groups(df, by)
    rng = np.random.default_rng(seed)
    alpha = (1 - ci) / 2
    rows = []
    for key, part in grouped:
        key = key if isinstance(key, tuple) else (key,)
        ind = _indicators(part, themes)
        w = _weights(part, weight)
        share = (ind * w[:, None]).sum(axis=0) / max(w.sum(), 1e-12)
        docs = [np.flatnonzero((part["doc_id"] == d).to_numpy()) for d in part["doc_id"].unique()]
        boot = _boot_group([ind[i] for i in docs], [w[i] for i in docs], n_boot, rng) if n_boot else None
        for j, t in enumerate(themes):
            lo, hi = (np.quantile(boot[:, j], [alpha, 1 - alpha]) if boot is not None else (np.nan, np.nan))
            rows.append({**dict(zip(by, key)), "theme": t, "share": share[j], "lo": lo, "hi": hi,
                         "documents": len(docs), "paragraphs": len(part)})
    return pd.DataFrame(rows)


def share_difference(df, by: str, a, b, themes: Sequence[str] = THEMES, weight: str = "paragraphs",  # noqa: ANN001, ANN201
                     n_boot: int = 2000, ci: float = 0.95, seed: int = 0):
    """Share in group ``a`` minus share in group ``b``, per theme, with a bootstrap interval.

    ``a`` and ``b`` are values of column ``by`` (or callables selecting rows
    of a column value, e.g. ``lambda year: year >= 2013``).
    """
    pd = _pd()
    rng = np.random.default_rng(seed)
    alpha = (1 - ci) / 2

    def select(v):  # noqa: ANN001, ANN202
        mask = df[by].map(v) if callable(v) else (df[by] == v)
        part = df[mask.astype(bool).to_numpy()]
        if part.empty:
            raise ValueError(f"no rows where {by} matches {v!r}")
        ind, w = _indicators(part, themes), _weights(part, weight)
        docs = [np.flatnonzero((part["doc_id"] == d).to_numpy()) for d in part["doc_id"].unique()]
        point = (ind * w[:, None]).sum(axis=0) / w.sum()
        return point, _boot_group([ind[i] for i in docs], [w[i] for i in docs], n_boot, rng), len(docs)

    pa, ba, na = select(a)
    pb, bb, nb = select(b)
    diff = ba - bb
    rows = []
    for j, t in enumerate(themes):
        lo, hi = np.quantile(diff[:, j], [alpha, 1 - alpha])
        rows.append({"theme": t, "share_a": pa[j], "share_b": pb[j], "difference": pa[j] - pb[j], "lo": lo,
                     "hi": hi, "documents_a": na, "documents_b": nb})
    return pd.DataFrame(rows)


def program_stats(df, by: Optional[Union[str, Sequence[str]]] = None, time: Optional[str] = None):  # noqa: ANN001, ANN201
    """Program frequencies (mentions, paragraphs, documents) per group, with
    first and last appearance along ``time`` (e.g. ``"year"``)."""
    _pd()
    if "programs" not in df.columns:
        raise KeyError("the tagged data has no 'programs' column")
    keep = ["doc_id", "programs"] + ([by] if isinstance(by, str) else list(by or [])) + ([time] if time else [])
    keep = list(dict.fromkeys(keep))
    ex = df[keep].copy()
    ex["programs"] = ex["programs"].map(_as_list)
    ex["_para"] = np.arange(len(ex))
    ex = ex.explode("programs").dropna(subset=["programs"])
    ex = ex[ex["programs"] != ""]
    groups = ([by] if isinstance(by, str) else list(by or [])) + ["programs"]
    g = ex.groupby(groups, sort=True)
    out = g.size().rename("mentions").to_frame()
    out["paragraphs"] = g["_para"].nunique()
    out["documents"] = g["doc_id"].nunique()
    if time:
        out["first"] = g[time].min()
        out["last"] = g[time].max()
    out = out.reset_index().rename(columns={"programs": "program"})
    return out.sort_values(groups[:-1] + ["mentions"], ascending=[True] * (len(groups) - 1) + [False]).reset_index(drop=True)
