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
    for lineno, r in iter_json_lines(path):
        if split is not None and r.get("split") != split:
            continue
        doc_id, idx = r["doc"], r["para"]
        if doc_id not in docs:
            raise LookupError(
                f"{path}:{lineno}: document {doc_id!r} is not in the corpus at "
                f"{corpus_root or 'the default ../shared/corpora'}"
            )
        if doc_id not in cache:
            cache[doc_id] = paragraphs(docs[doc_id].text)
        paras = cache[doc_id]
        if idx >= len(paras) or paragraph_hash(paras[idx].text) != r["hash"]:
            # the splitter may have moved the paragraph: find it by its hash
            # (a text that occurs several times, such as "各位代表！", is the same text
            # wherever it is: take the occurrence nearest the recorded index)
            moved = [p.index for p in paras if paragraph_hash(p.text) == r["hash"]]
            idx = min(moved, key=lambda i: (abs(i - r["para"]), i)) if moved else -1
        if idx < 0:
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
