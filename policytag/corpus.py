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
from typing import Any, Iterator, Optional, Union

__all__ = [
    "Document",
    "InputError",
    "decode_bytes",
    "read_text_file",
    "read_shared_corpora",
    "read_seeds",
    "default_corpus_root",
]

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


class InputError(ValueError):
    """Bad input: names the file (and line, where there is one) and what to do."""

    def __init__(self, source: str, message: str, line: Optional[int] = None) -> None:
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _han_score(text: str) -> float:
    """Share of Han characters that are common simplified characters (GB2312),
    after conversion to simplified; low for text decoded with the wrong codec."""
    sample = text[:20000]
    han = [c for c in sample if "\u4e00" <= c <= "\u9fff"]
    wide = sum(1 for c in sample if ord(c) > 0x7F and not c.isspace())
    if not han:
        return 0.0
    from .normalize import normalize

    simp = normalize("".join(han)).text
    ok = 0
    for c in simp:
        try:
            c.encode("gb2312")
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / max(wide, 1)


def decode_bytes(data: bytes, source: str = "<bytes>") -> tuple[str, str]:
    """Decode a Chinese text file's bytes; return ``(text, encoding)``.

    Detects UTF-8 (with or without BOM), UTF-16 (BOM or NUL pattern),
    GB18030/GBK and Big5.  Raises :class:`InputError` naming the source for
    binary or undecodable data.

    >>> decode_bytes("政府工作报告".encode("gbk"))
    ('政府工作报告', 'gb18030')
    >>> decode_bytes("政府工作報告".encode("big5"))
    ('政府工作報告', 'big5')
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise InputError(source, f"starts with a {enc} byte-order mark but is not valid {enc} "
                                 f"(byte {exc.start})", _line_of(data, exc.start)) from exc
    if data[:2000].count(b"\x00") > len(data[:2000]) // 4:
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text and _han_score(text) > 0.5:
                return text, enc
    if b"\x00" in data:
        raise InputError(source, "contains NUL bytes: a binary file, not text; skip it or convert it to text",
                         _line_of(data, data.index(b"\x00")))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        candidates = []
        for enc in ("gb18030", "big5"):
            try:
                candidates.append((_han_score(text := data.decode(enc)), enc, text))
            except UnicodeDecodeError:
                pass
        if candidates:
            score, enc, text = max(candidates)
            if score >= 0.6:
                return text, enc
        raise InputError(
            source,
            "cannot be decoded as UTF-8, GB18030/GBK, Big5 or UTF-16 "
            f"(first bad UTF-8 byte at offset {utf8_error.start}); convert it to UTF-8",
            _line_of(data, utf8_error.start),
        ) from utf8_error


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_text_file(path: PathLike) -> str:
    """Read a text file with encoding detection (see :func:`decode_bytes`)."""
    p = Path(path)
    return decode_bytes(p.read_bytes(), str(p))[0]


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
