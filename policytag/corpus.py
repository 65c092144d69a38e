"""Documents and the readers that produce them.

A :class:`Document` is an id, a text and metadata.  This module reads the
project's reference corpora (``../shared/corpora``) with stable document ids
that ``labeled/`` refers to:

* national reports: ``gwr-YEAR`` (``gwr-2025``), NPC resolutions (no year):
  ``gwr-res-LN`` with N the 1-based line number in ``gwr_national.jsonl``;
* provincial reports: ``prov2026-PROVINCE`` (``prov2026-上海市``);
* seeds: ``seed-000`` … (the first three characters of the file name).
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Union

__all__ = ["Document", "read_shared_corpora", "read_seeds", "default_corpus_root"]

PathLike = Union[str, Path]


@dataclass(frozen=True)
class Document:
    """A document to tag: an id, its raw text and metadata.

    >>> Document("doc-1", "各位代表：", {"year": 2026}).meta["year"]
    2026
    """

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


def default_corpus_root() -> Path:
    """``../shared/corpora`` relative to the working directory or this checkout."""
    candidates = [Path.cwd() / ".." / "shared" / "corpora"]
    here = Path(__file__).resolve().parent.parent
    candidates.append(here / ".." / "shared" / "corpora")
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    return candidates[0]


def _read_national(path: Path) -> Iterator[Document]:
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
            year = rec.get("year")
            if year:
                doc_id = f"gwr-{year}"
                kind = "report"
            else:
                doc_id = f"gwr-res-L{lineno}"
                kind = "resolution"
            yield Document(
                doc_id,
                rec.get("content") or "",
                {
                    "source": "gwr_national",
                    "level": "national",
                    "region": "全国",
                    "year": int(year) if year else None,
                    "kind": kind,
                    "title": rec.get("title"),
                },
            )


def _read_provincial(folder: Path) -> Iterator[Document]:
    csv.field_size_limit(2**31 - 1)
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                prov = row.get("province") or path.stem
                yield Document(
                    f"prov2026-{prov}",
                    row.get("full_text") or "",
                    {
                        "source": "prov2026",
                        "level": "provincial",
                        "region": prov,
                        "year": int(row["year"]) if (row.get("year") or "").isdigit() else None,
                        "kind": "report",
                        "title": row.get("title"),
                    },
                )


def read_shared_corpora(root: PathLike | None = None) -> Iterator[Document]:
    """Yield every document of the reference corpora (national, then provincial).

    >>> docs = list(read_shared_corpora())  # doctest: +SKIP
    >>> docs[0].id, docs[0].meta["year"]     # doctest: +SKIP
    ('gwr-2025', 2025)
    """
    root = Path(root) if root is not None else default_corpus_root()
    if not root.is_dir():
        raise FileNotFoundError(
            f"corpus folder {root} not found; pass corpus_root= pointing at ../shared/corpora"
        )
    yield from _read_national(root / "gwr_national.jsonl")
    yield from _read_provincial(root / "prov2026")


def read_seeds(folder: PathLike | None = None) -> Iterator[Document]:
    """Yield the evaluation seeds (``../shared/seeds``) as documents ``seed-NNN``."""
    folder = Path(folder) if folder is not None else default_corpus_root().parent / "seeds"
    for path in sorted(folder.glob("*.txt")):
        yield Document(
            f"seed-{path.name[:3]}",
            path.read_text(encoding="utf-8"),
            {"source": "seeds", "file": path.name},
        )
