"""The Tagger: normalization, paragraphs, the classifier and the rule layer together.

>>> import policytag
>>> tagger = policytag.load()                                   # doctest: +SKIP
>>> tags = tagger.tag("深入实施“五水共治”，全面剿灭劣V类水体。")  # doctest: +SKIP
>>> tags.themes, [m.name for m in tags.programs]                # doctest: +SKIP
(('ecology',), ['五水共治'])
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from .model import ThemeModel, load_classifier
from .normalize import normalize
from .programs import Mention, ProgramMatcher

__all__ = ["Tags", "ParagraphTags", "Tagger", "load", "default_model_path", "COMBINE_MODES"]

log = logging.getLogger(__name__)
COMBINE_MODES = ("classifier", "rules", "or")


@dataclass(frozen=True)
class Tags:
    """Themes, calibrated scores and program mentions of one text."""

    themes: tuple[str, ...]
    scores: dict[str, float]
    programs: tuple[Mention, ...] = ()

    def to_dict(self) -> dict:
        return {"themes": list(self.themes), "scores": {k: round(v, 4) for k, v in self.scores.items()},
                "programs": [m.to_dict() for m in self.programs]}


@dataclass(frozen=True)
class ParagraphTags:
    """Tags of one paragraph of a document, with its span in the original text."""

    doc_id: str
    index: int
    start: int
    end: int
    is_heading: bool
    text: str
    tags: Tags
    meta: dict = field(default_factory=dict)

    @property
    def themes(self) -> tuple[str, ...]:
        return self.tags.themes

    def to_row(self, with_text: bool = False) -> dict:
        row = {"doc_id": self.doc_id, "paragraph": self.index, "start": self.start, "end": self.end,
               "heading": self.is_heading, "chars": len(self.text)}
        if with_text:
            row["text"] = self.text
        row["themes"] = list(self.tags.themes)
        row.update({f"score_{k}": round(v, 4) for k, v in self.tags.scores.items()})
        row["programs"] = [m.name for m in self.tags.programs]
        row["program_mentions"] = [m.to_dict() for m in self.tags.programs]
        row.update(self.meta)
        return row


def default_model_path() -> Path:
    """Where the shipped model lives (``models/policytag-themes`` in the repository)."""
    try:
        p = resources.files("policytag.shipped").joinpath("policytag-themes")
        return Path(str(p))
    except ModuleNotFoundError:  # pragma: no cover - running from an unusual layout
        return Path(__file__).resolve().parent.parent / "models" / "policytag-themes"


class Tagger:
    """Tag texts, paragraphs and whole documents.

    Parameters
    ----------
    classifier : a fitted theme model: a :class:`~policytag.classifier.PolicyThemeClassifier`
        or a :class:`~policytag.model.ThemeModel` from :func:`load_classifier`.
    matcher : a :class:`~policytag.programs.ProgramMatcher` (default: the shipped gazetteer
        and the templates the learned scorer accepts, without the search for learned names:
        ``ProgramMatcher(spans=False)``, which keeps batch tagging fast; pass
        ``ProgramMatcher()`` for them).
    combine : how program mentions and classifier decisions combine:
        ``"classifier"`` (programs reported, themes from the classifier only),
        ``"rules"`` (themes implied by the programs only) or ``"or"`` (either).
        The default of :func:`load` is the mode measured best on the dev split
        (see models/README.md).
    """

    def __init__(self, classifier: ThemeModel, matcher: Optional[ProgramMatcher] = None,
                 combine: str = "classifier") -> None:
        if combine not in COMBINE_MODES:
            raise ValueError(f"combine must be one of {COMBINE_MODES}, not {combine!r}")
        self.classifier = classifier
        self.matcher = matcher if matcher is not None else ProgramMatcher(spans=False)
        self.combine = combine

    @property
    def themes(self) -> tuple[str, ...]:
        return self.classifier.themes_

    def __repr__(self) -> str:
        return f"Tagger(themes={self.themes}, combine={self.combine!r})"

    # -- core: normalized texts in, tags out ------------------------------------------

    def _tag_normalized(self, texts: Sequence[str], mentions: Sequence[Sequence[Mention]]) -> list[Tags]:
        clf = self.classifier
        themes = self.themes
        if texts:
            implied = [{t for m in ms for t in m.themes} for ms in mentions]
            probs = clf._proba_from_scores(clf._decision(texts, normalized=True, programs=implied))
        else:
            probs = np.zeros((0, len(themes)))
        final = probs >= clf.thresholds_
        if self.combine != "classifier":
            index = {t: j for j, t in enumerate(themes)}
            rule = np.zeros_like(final)
            for i, ms in enumerate(mentions):
                for m in ms:
                    for t in m.themes:
                        if t in index:
                            rule[i, index[t]] = True
            final = rule if self.combine == "rules" else final | rule
        # each row's decisions as a bit mask -> the tuple of theme names (one per mask)
        masks = (final.astype(np.int64) << np.arange(len(themes), dtype=np.int64)).sum(axis=1).tolist()
        names: dict[int, tuple[str, ...]] = {}
        out = []
        for mask, row, ms in zip(masks, probs.tolist(), mentions):
            chosen = names.get(mask)
            if chosen is None:
                chosen = names[mask] = tuple(t for j, t in enumerate(themes) if mask >> j & 1)
            out.append(Tags(themes=chosen, scores=dict(zip(themes, row)), programs=tuple(ms)))
        return out

    # -- public API ----------------------------------------------------------------------

    def tag(self, text: str) -> Tags:
        """Tag one text as a single unit (a paragraph).

        Program spans index ``text`` itself.
        """
        n = normalize(text)
        return self._tag_normalized([n.text], [self.matcher.find(n)])[0]

    def tag_many(self, texts: Iterable[str], n_jobs: int = 1, batch_size: int = 256) -> list[Tags]:
        """Tag many texts (each as one unit); ``n_jobs`` > 1 uses worker processes."""
        texts = list(texts)
        chunks = [texts[i : i + batch_size] for i in range(0, len(texts), batch_size)]
        if n_jobs == 1 or len(chunks) <= 1:
            return [t for c in chunks for t in self._tag_texts(c)]
        return [t for part in _in_workers(self, n_jobs, ((c,) for c in chunks), _tag_texts_worker) for t in part]

    def _tag_texts(self, texts: Sequence[str]) -> list[Tags]:
        norms = [normalize(t) for t in texts]
        return self._tag_normalized([n.text for n in norms], [self.matcher.find(n) for n in norms])

    def tag_document(self, text: str, doc_id: str = "doc", meta: Optional[dict] = None) -> list[ParagraphTags]:
        """Split a document into paragraphs and tag each; spans index ``text``."""
        from .paragraphs import paragraphs

        paras = paragraphs(text)
        mentions = self.matcher.find_in_paragraphs(paras, text)
        tags = self._tag_normalized([p.text for p in paras], mentions)
        meta = dict(meta or {})
        return [ParagraphTags(doc_id, p.index, p.start, p.end, p.is_heading, p.text, t, meta)
                for p, t in zip(paras, tags)]

    def iter_documents(self, docs: Iterable[Any], n_jobs: int = 1) -> Iterator[list[ParagraphTags]]:
        """Tag documents lazily (``Document`` objects, ``(id, text)`` pairs or strings).

        Results come in input order.  With ``n_jobs`` > 1, documents are sent
        in chunks to worker processes that each received this tagger once;
        at most a few chunks per worker are in flight, so memory stays bounded
        however long the input.
        """
        return self._map_documents(docs, n_jobs, _tagged)

    def _iter_json_lines(self, docs: Iterable[Any], n_jobs: int = 1,
                         with_text: bool = False) -> Iterator[tuple[str, int, int, str]]:
        """Per document, in input order: (id, paragraphs, characters, its rows as JSON lines).

        The rows are formatted where the tagging happens, so with worker
        processes the parent only writes text (formatting costs about a
        sixth of tagging: done in the parent it would hold back 2 workers).
        """
        return self._map_documents(docs, n_jobs, _json_lines, with_text)

    def _map_documents(self, docs: Iterable[Any], n_jobs: int, fn, *args: Any) -> Iterator:  # noqa: ANN001
        """``fn(self, doc_id, text, meta, *args)`` for each document, in input order;
        with ``n_jobs`` > 1 in worker processes (``fn`` must be a module-level function)."""
        items = (_as_doc(d, i) for i, d in enumerate(docs))
        if n_jobs == 1:
            for doc_id, text, meta in items:
                yield fn(self, doc_id, text, meta, *args)
            return
        for results in _in_workers(self, n_jobs, ((c, fn, args) for c in _chunks(items)), _map_worker):
            yield from results

    def tag_documents(self, docs: Iterable[Any], n_jobs: int = 1, with_text: bool = False):  # noqa: ANN201
        """Tag documents; returns a pandas DataFrame with one row per paragraph."""
        import pandas as pd

        rows = [pt.to_row(with_text) for doc in self.iter_documents(docs, n_jobs) for pt in doc]
        return pd.DataFrame(rows)

    def tag_frame(self, df, text_col: str = "text", id_col: Optional[str] = None,  # noqa: ANN001, ANN201
                  meta: Sequence[str] = (), n_jobs: int = 1, with_text: bool = False):
        """Tag a DataFrame of documents; metadata columns are carried to every paragraph row.

        >>> import pandas as pd                                           # doctest: +SKIP
        >>> df = pd.DataFrame({"province": ["浙江省"], "text": ["深化“最多跑一次”改革。"]})  # doctest: +SKIP
        >>> load().tag_frame(df, meta=["province"]).columns[:3].tolist()  # doctest: +SKIP
        ['doc_id', 'paragraph', 'start']
        """
        if text_col not in df.columns:
            raise KeyError(f"text column {text_col!r} not in the DataFrame (columns: {list(df.columns)})")
        missing = [m for m in meta if m not in df.columns]
        if missing:
            raise KeyError(f"metadata columns {missing} not in the DataFrame")
        from .corpus import Document

        ids = df[id_col].astype(str).tolist() if id_col else [str(i) for i in df.index]
        docs = [Document(i, t if isinstance(t, str) else "", {m: r[m] for m in meta})
                for i, t, (_, r) in zip(ids, df[text_col].tolist(), df.iterrows())]
        return self.tag_documents(docs, n_jobs=n_jobs, with_text=with_text)

    def explain(self, text: str, top: int = 8) -> dict[str, dict[str, list[tuple[str, float]]]]:
        """Per theme, the terms that pushed the score up and down (see ``PolicyThemeClassifier.explain``)."""
        return self.classifier.explain(text, top=top)


def _as_doc(d: Any, i: int) -> tuple[str, str, dict]:
    from .corpus import Document

    if isinstance(d, Document):
        return d.id, d.text, dict(d.meta)
    if isinstance(d, str):
        return str(i), d, {}
    if isinstance(d, tuple) and len(d) >= 2:
        return str(d[0]), d[1], dict(d[2]) if len(d) > 2 else {}
    raise TypeError(f"document {i}: expected a Document, a string or an (id, text) pair, got {type(d).__name__}")


# --- worker processes -------------------------------------------------------------------
# Each worker process receives the tagger once (initializer) and keeps it in
# this module-level slot for the life of the pool; the parent never uses it.
_WORKER_TAGGER: Optional[Tagger] = None


def _init_worker(tagger: Tagger) -> None:
    global _WORKER_TAGGER
    _WORKER_TAGGER = tagger


def _tag_texts_worker(texts: Sequence[str]) -> list[Tags]:
    assert _WORKER_TAGGER is not None
    return _WORKER_TAGGER._tag_texts(texts)


def _map_worker(chunk: Sequence[tuple[str, str, dict]], fn, args: tuple) -> list:  # noqa: ANN001
    assert _WORKER_TAGGER is not None
    return [fn(_WORKER_TAGGER, doc_id, text, meta, *args) for doc_id, text, meta in chunk]


def _tagged(tagger: Tagger, doc_id: str, text: str, meta: dict) -> list[ParagraphTags]:
    return tagger.tag_document(text, doc_id, meta)


def json_line(row: dict) -> str:
    """One output row as a JSON line (the format of ``policytag tag -o X.jsonl``)."""
    return json.dumps(row, ensure_ascii=False) + "\n"


def _json_lines(tagger: Tagger, doc_id: str, text: str, meta: dict, with_text: bool) -> tuple[str, int, int, str]:
    tags = tagger.tag_document(text, doc_id, meta)
    return doc_id, len(tags), tags[-1].end if tags else 0, "".join(json_line(pt.to_row(with_text)) for pt in tags)


def _chunks(items: Iterable[tuple[str, str, dict]], max_chars: int = 200_000, max_docs: int = 64):
    chunk: list = []
    size = 0
    for item in items:
        chunk.append(item)
        size += len(item[1])
        if size >= max_chars or len(chunk) >= max_docs:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _in_workers(tagger: Tagger, n_jobs: int, args_iter: Iterable[tuple], fn) -> Iterator:  # noqa: ANN001
    """Run ``fn(*args)`` for each args in worker processes; results in order, bounded in flight."""
    import concurrent.futures as cf
    from collections import deque

    n_jobs = n_jobs if n_jobs > 0 else (os.cpu_count() or 1)
    with cf.ProcessPoolExecutor(max_workers=n_jobs, initializer=_init_worker, initargs=(tagger,)) as pool:
        window: deque = deque()
        for args in args_iter:
            window.append(pool.submit(fn, *args))
            if len(window) >= 3 * n_jobs:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def load(path: Union[str, Path, None] = None, combine: Optional[str] = None,
         gazetteer: Sequence[Union[str, Path]] = (), learned_names: bool = False) -> Tagger:
    """Load a tagger: the shipped model by default, or a model directory.

    ``combine`` overrides the model's recorded combination mode;
    ``gazetteer`` adds user gazetteer files to the rule layer; ``learned_names``
    also reports the names ending in a program word that the matcher's learned
    scorer accepts (more recall, about a quarter more tagging time).

    >>> tagger = load()                                        # doctest: +SKIP
    >>> tagger.tag("新增城镇就业12万人，新建中小学30所。").themes  # doctest: +SKIP
    ('livelihood',)
    """
    p = Path(path) if path is not None else default_model_path()
    clf = load_classifier(p)
    mode = combine or clf.metadata_.get("combine", "classifier")
    return Tagger(clf, ProgramMatcher(user_files=gazetteer, spans=learned_names), combine=mode)
