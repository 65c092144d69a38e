"""The project's labeled paragraphs (``labeled/``), resolved to text.

Records in ``labeled/paragraphs.jsonl`` refer to paragraphs of
``../shared/corpora`` by document id, paragraph index and a hash of the
normalized paragraph text; :func:`load_labeled` finds the text again and
refuses records whose hash no longer matches.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

__all__ = ["LabeledParagraph", "load_labeled", "paragraph_hash", "default_labeled_path"]


def paragraph_hash(text: str) -> str:
    """Stable hash of a normalized paragraph text (first 16 hex of SHA-1).

    >>> paragraph_hash("各位代表：")
    'a5ee73612006dba8'
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class LabeledParagraph:
    """A labeled paragraph with its text resolved from the corpus."""

    doc: str
    para: int
    text: str
    labels: tuple[str, ...]
    programs: tuple[str, ...]
    split: str
    meta: dict = field(default_factory=dict, compare=False)
    annotators: tuple[str, ...] = ()


def resolve_paragraph_indices(keys, hashes: dict) -> dict:  # noqa: ANN001
    """Where labelled paragraphs are now: ``{(doc, para, hash): index or None}``.

    ``keys`` are the ``(doc, para, hash)`` of label records, ``hashes`` maps a
    document id to the hashes of its current paragraphs.  A record whose index
    still holds its hash stays; when a splitter change moved paragraphs, a
    record is found by its hash.  Texts that occur several times ("各位代表！")
    are matched in order, each current occurrence to at most one recorded
    paragraph, moving them as little as possible.  ``None``: the text is gone.
    """
    groups: dict = {}
    for doc, para, h in set(keys):
        groups.setdefault((doc, h), []).append(para)
    out: dict = {}
    for (doc, h), olds in groups.items():
        olds.sort()
        occ = [i for i, x in enumerate(hashes.get(doc, ())) if x == h]
        for o, i in zip(olds, _assign_in_order(olds, occ)):
            out[(doc, o, h)] = i
    return out


def _assign_in_order(olds: list, occ: list) -> list:
    """Order-preserving matching of sorted ``olds`` to sorted ``occ`` (each used
    once) with the least total displacement; unmatched olds get None."""
    n, m = len(olds), len(occ)
    INF = float("inf")
    skip = 10 ** 9  # cost of leaving a record unmatched (only when there are too few occurrences)
    cost = [[INF] * (m + 1) for _ in range(n + 1)]
    cost[0] = [0.0] * (m + 1)
    for a in range(1, n + 1):
        cost[a][0] = cost[a - 1][0] + skip
        for b in range(1, m + 1):
            cost[a][b] = min(cost[a][b - 1],  # occurrence b unused
                             cost[a - 1][b - 1] + abs(olds[a - 1] - occ[b - 1]),
                             cost[a - 1][b] + skip)
    res: list = [None] * n
    a, b = n, m
    while a > 0:
        if b > 0 and cost[a][b] == cost[a][b - 1]:
            b -= 1
        elif b > 0 and cost[a][b] == cost[a - 1][b - 1] + abs(olds[a - 1] - occ[b - 1]):
            res[a - 1] = occ[b - 1]
            a, b = a - 1, b - 1
        else:
            a -= 1
    return res


def default_labeled_path() -> Path:
    here = Path(__file__).resolve().parent.parent / "labeled" / "paragraphs.jsonl"
    return here


def load_labeled(
    corpus_root: Union[str, Path, None] = None,
    path: Union[str, Path, None] = None,
    split: Optional[str] = None,
) -> list[LabeledParagraph]:
    """Load ``labeled/paragraphs.jsonl`` and resolve every record to its text.

    ``split`` selects ``"train"`` or ``"dev"`` (default: both).

    >>> data = load_labeled("../shared/corpora", split="dev")  # doctest: +SKIP
    >>> data[0].labels                                          # doctest: +SKIP
    ('governance',)
    """
    from .corpus import iter_json_lines, read_shared_corpora
    from .paragraphs import paragraphs

    path = Path(path) if path is not None else default_labeled_path()
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: load_labeled() reads the project's labeled/ folder; "
            "pass path= when using a copy elsewhere"
        )
    docs = {d.id: d for d in read_shared_corpora(corpus_root)}
    cache: dict[str, list] = {}
    out = []
    records = list(iter_json_lines(path))
    for _, r in records:
        if r["doc"] in docs and r["doc"] not in cache:
            cache[r["doc"]] = paragraphs(docs[r["doc"]].text)
    where = resolve_paragraph_indices(
        [(r["doc"], r["para"], r["hash"]) for _, r in records if r["doc"] in docs],
        {d: [paragraph_hash(p.text) for p in ps] for d, ps in cache.items()},
    )
    for lineno, r in records:
        if split is not None and r.get("split") != split:
            continue
        doc_id, idx = r["doc"], r["para"]
        if doc_id not in docs:
            raise LookupError(
                f"{path}:{lineno}: document {doc_id!r} is not in the corpus at "
                f"{corpus_root or 'the default ../shared/corpora'}"
            )
        paras = cache[doc_id]
        idx = where.get((doc_id, idx, r["hash"]))
        if idx is None:
            raise ValueError(
                f"{path}:{lineno}: record ({doc_id}, paragraph {r['para']}) no longer matches the "
                f"corpus text (hash {r['hash']}); the corpus or the paragraph splitter changed. "
                "Re-resolve the labels before training."
            )
        out.append(
            LabeledParagraph(
                doc=doc_id,
                para=idx,
                text=paras[idx].text,
                labels=tuple(r["labels"]),
                programs=tuple(r.get("programs", ())),
                split=r.get("split", "train"),
                meta=docs[doc_id].meta,
                annotators=tuple(r.get("annotators", ())),
            )
        )
    return out
