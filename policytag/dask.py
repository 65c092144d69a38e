"""Scale-out on Dask: tag a Dask DataFrame or Bag partition by partition.

Each worker process loads the model once (a per-process cache keyed by the
model path and options) and tags its partitions; rows are identical to
:meth:`policytag.Tagger.tag_frame` run locally.

Needs the optional extra: ``pip install 'policytag[dask]'``.

On one machine::

    from distributed import Client, LocalCluster
    import dask.dataframe as dd
    import policytag.dask as ptd

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    ddf = dd.read_parquet("reports/*.parquet")          # columns: id, province, year, text
    tagged = ptd.tag_dataframe(ddf, text_col="text", id_col="id", meta=["province", "year"])
    shares = tagged.explode("themes").groupby(["year", "themes"]).size().compute()

On a real cluster, install policytag (and the same model directory, or the
shipped one) on every worker, then connect with ``Client("tcp://scheduler:8786")``
instead; pass ``model=`` a path that exists on the workers. One worker thread
per process is best: tagging is CPU-bound Python.
"""
from __future__ import annotations

import functools
from typing import Optional, Sequence

__all__ = ["tag_dataframe", "tag_bag", "ROW_COLUMNS"]

# Columns of a tagged row (before metadata columns), in order.
ROW_COLUMNS = ("doc_id", "paragraph", "start", "end", "heading", "chars", "themes", "score_innovation",
               "score_openness", "score_ecology", "score_governance", "score_livelihood", "programs",
               "program_mentions")


@functools.lru_cache(maxsize=4)
def _tagger(model: Optional[str], combine: Optional[str], gazetteer: tuple):  # noqa: ANN202
    """The tagger of this worker process, loaded on first use and kept."""
    from .tagger import load

    return load(model, combine=combine, gazetteer=gazetteer)


def _tag_partition(pdf, text_col: str, id_col: Optional[str], meta: Sequence[str], model, combine,  # noqa: ANN001, ANN202
                   gazetteer, with_text: bool):
    import pandas as pd

    tagger = _tagger(model, combine, gazetteer)
    out = tagger.tag_frame(pdf, text_col=text_col, id_col=id_col, meta=meta, with_text=with_text)
    if out.empty:
        return _empty_frame(pdf, meta, with_text, tagger.themes)
    cols = [c for c in _columns(meta, with_text, tagger.themes) if c in out.columns]
    return pd.DataFrame(out[cols])


def _columns(meta: Sequence[str], with_text: bool, themes: Sequence[str]) -> list[str]:
    cols = ["doc_id", "paragraph", "start", "end", "heading", "chars"]
    if with_text:
        cols.append("text")
    cols += ["themes", *[f"score_{t}" for t in themes], "programs", "program_mentions", *meta]
    return cols


def _empty_frame(pdf, meta, with_text, themes):  # noqa: ANN001, ANN202
    import pandas as pd

    types = {"doc_id": "object", "paragraph": "int64", "start": "int64", "end": "int64", "heading": "bool",
             "chars": "int64", "text": "object", "themes": "object", "programs": "object",
             "program_mentions": "object"}
    frame = {}
    for c in _columns(meta, with_text, themes):
        if c.startswith("score_"):
            frame[c] = pd.Series([], dtype="float64")
        elif c in types:
            frame[c] = pd.Series([], dtype=types[c])
        else:
            frame[c] = pd.Series([], dtype=pdf[c].dtype if c in pdf.columns else "object")
    return pd.DataFrame(frame)


def tag_dataframe(ddf, text_col: str = "text", id_col: Optional[str] = None, meta: Sequence[str] = (),  # noqa: ANN001, ANN201
                  model: Optional[str] = None, combine: Optional[str] = None, gazetteer: Sequence[str] = (),
                  with_text: bool = False):
    """Tag a Dask DataFrame of documents; returns a Dask DataFrame, one row per paragraph.

    Without ``id_col`` the documents are identified by their index values, as
    in :meth:`~policytag.Tagger.tag_frame`.
    """
    from .tagger import load

    missing = [c for c in [text_col, *( [id_col] if id_col else []), *meta] if c not in ddf.columns]
    if missing:
        raise KeyError(f"columns {missing} not in the Dask DataFrame (columns: {list(ddf.columns)})")
    themes = load(model).themes if model else ("innovation", "openness", "ecology", "governance", "livelihood")
    empty = _empty_frame(ddf._meta, list(meta), with_text, themes)
    return ddf.map_partitions(_tag_partition, text_col, id_col, list(meta), model, combine, tuple(gazetteer),
                              with_text, meta=empty)


def tag_bag(bag, model: Optional[str] = None, combine: Optional[str] = None,  # noqa: ANN001, ANN201
            gazetteer: Sequence[str] = (), with_text: bool = False):
    """Tag a Dask Bag of documents (``Document``, ``(id, text[, meta])`` or strings).

    Returns a Bag of row dicts (one per paragraph), like the rows of
    ``policytag tag``.
    """
    def run(part):  # noqa: ANN001, ANN202
        tagger = _tagger(model, combine, tuple(gazetteer))
        return [pt.to_row(with_text) for doc in tagger.iter_documents(part) for pt in doc]

    return bag.map_partitions(run)
