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
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

__all__ = [
    "Document",
    "InputError",
    "decode_bytes",
    "read_text_file",
    "read_documents",
    "iter_json_lines",
    "ReadError",
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
        self.message = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
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


def iter_json_lines(path: PathLike) -> Iterator[tuple[int, dict]]:
    """``(line number, record)`` for each non-blank line of a JSON-lines file.

    Raises :class:`InputError` naming the file and line of a line that is not
    a JSON object.
    """
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(str(path), f"not valid JSON ({exc.msg} at column {exc.colno})", lineno) from exc
            if not isinstance(rec, dict):
                raise InputError(str(path), "a JSON line must be an object", lineno)
            yield lineno, rec


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
    for lineno, rec in iter_json_lines(path):
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


# --- general readers -------------------------------------------------------------

TEXT_FIELDS = ("text", "content", "full_text", "body", "正文", "内容")
ID_FIELDS = ("id", "doc_id", "document_id")
SUPPORTED = (".txt", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet")  # found in directories
MAX_RECORD_CHARS = 5_000_000  # a larger record is reported, not tagged (see read_documents)


@dataclass
class ReadError:
    """A file or record that could not be read; the batch goes on without it."""

    source: str
    line: Optional[int]
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.message}"

    def to_dict(self) -> dict:
        return {"source": self.source, "line": self.line, "error": self.message}


def _expand(inputs: Iterable[PathLike]) -> Iterator[Path]:
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for q in sorted(p.rglob("*")):
                if q.is_file() and q.suffix.lower() in SUPPORTED and not q.name.startswith("."):
                    yield q
        else:
            yield p


def _pick(fields: Sequence[str], record: dict, wanted: Optional[str]) -> Optional[str]:
    if wanted:
        return wanted if wanted in record else None
    for f in fields:
        if f in record:
            return f
    return None


def _meta_from(record: dict, meta_fields: Sequence[str]) -> dict:
    return {k: record.get(k) for k in meta_fields}


def read_documents(
    inputs: Iterable[PathLike],
    text_field: Optional[str] = None,
    id_field: Optional[str] = None,
    meta_fields: Sequence[str] = (),
    errors: Optional[list] = None,
    max_chars: int = MAX_RECORD_CHARS,
) -> Iterator[Document]:
    """Yield documents from files or directories of .txt, .jsonl, .csv/.tsv, .parquet.

    * ``.txt``/``.md``: one document per file, id = file stem;
    * ``.jsonl``: one document per line; text from ``text_field`` (default:
      the first of text/content/full_text/body), id from ``id_field`` (default
      id/doc_id, else ``STEM#LINE``);
    * ``.csv``/``.tsv``: one document per row (BOM and multi-line quoted
      fields handled), same field rules;
    * ``.parquet`` (needs pyarrow): one document per row.

    Encodings are detected (UTF-8, UTF-8 BOM, GB18030/GBK, Big5, UTF-16).
    A document or record longer than ``max_chars`` characters (default 5
    million; a 10 MB line of text is usually a dump, not a document) is
    reported instead of tagged; raise the limit to tag it anyway.
    A bad file or record is appended to ``errors`` as a :class:`ReadError`
    naming file and line, and reading continues with the next one; with
    ``errors=None`` it is logged instead.
    """
    import logging

    log = logging.getLogger("policytag.corpus")

    def fail(source: str, line: Optional[int], message: str) -> None:
        err = ReadError(source, line, message)
        if errors is not None:
            errors.append(err)
        else:
            log.error("%s", err)

    for path in _expand(inputs):
        src = str(path)
        if not path.exists():
            fail(src, None, "no such file")
            continue
        suffix = path.suffix.lower()
        check = functools.partial(_check_text, max_chars=max_chars)
        if suffix == ".parquet":
            yield from _read_parquet(path, text_field, id_field, meta_fields, fail, check)
            continue
        streamed = suffix in (".jsonl", ".ndjson", ".json", ".csv", ".tsv")
        try:
            if streamed:  # memory stays bounded whatever the file size
                enc = _detect_stream_encoding(path)
            else:
                text = decode_bytes(path.read_bytes(), src)[0]
        except InputError as exc:
            fail(src, exc.line, exc.message)
            continue
        except OSError as exc:
            fail(src, None, f"cannot read: {exc.strerror or exc}")
            continue
        if streamed:
            read = _read_csv_stream if suffix in (".csv", ".tsv") else _read_jsonl_stream
            yield from read(path, enc, text_field, id_field, meta_fields, fail, check)
            continue
        if not text.strip():
            fail(src, None, "empty document")
            continue
        if "\x00" in text:
            fail(src, text[: text.index("\x00")].count("\n") + 1, "NUL character in text: binary data?")
            continue
        if len(text) > max_chars:
            longest = max(text.split("\n"), key=len)
            line = text[: text.index(longest)].count("\n") + 1
            fail(src, line, f"document of {len(text):,} characters (longest line {len(longest):,}) exceeds "
                 f"the limit of {max_chars:,}; split it, or raise the limit (--max-chars)")
            continue
        yield Document(path.stem, text, {"source": src})


def _check_text(text, src, line, fail, max_chars: int = MAX_RECORD_CHARS) -> Optional[str]:  # noqa: ANN001
    if not isinstance(text, str):
        fail(src, line, f"text field is {type(text).__name__}, not a string")
        return None
    if not text.strip():
        fail(src, line, "empty text")
        return None
    if "\x00" in text:
        fail(src, line, "NUL character in text: binary data?")
        return None
    if len(text) > max_chars:
        fail(src, line, f"record of {len(text):,} characters exceeds the limit of {max_chars:,}; "
             "raise it (--max-chars) to tag it anyway")
        return None
    return text


def _detect_stream_encoding(path: Path) -> str:
    """Encoding of a line-oriented file, from its first megabyte."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
        more = bool(fh.read(1))
    if not head:
        raise InputError(str(path), "empty file")
    if more and b"\n" in head:
        cut = head.rfind(b"\n")
        # keep the UTF-16 code unit whole
        head = head[: cut + (2 if head[:2] in (b"\xff\xfe", b"\xfe\xff") else 1)]
    return decode_bytes(head, str(path))[1]


def _json_record(line: str, path: Path, lineno: int, text_field, id_field, meta_fields, fail, check):  # noqa: ANN001, ANN202
    src = str(path)
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        fail(src, lineno, f"malformed JSON ({exc.msg} at column {exc.colno})")
        return None
    if not isinstance(rec, dict):
        fail(src, lineno, "a JSON line must be an object")
        return None
    tf = _pick(TEXT_FIELDS, rec, text_field)
    if tf is None:
        fail(src, lineno, f"no text field ({text_field or ' / '.join(TEXT_FIELDS)}); use --text-field")
        return None
    body = check(rec.get(tf), src, lineno, fail)
    if body is None:
        return None
    idf = _pick(ID_FIELDS, rec, id_field)
    doc_id = str(rec[idf]) if idf and rec.get(idf) is not None else f"{path.stem}#{lineno}"
    meta = _meta_from(rec, meta_fields)
    meta.update({"source": src, "line": lineno})
    return Document(doc_id, body, meta)


def _read_jsonl_stream(path, enc, text_field, id_field, meta_fields, fail, check):  # noqa: ANN001, ANN202
    src = str(path)
    if enc.startswith("utf-16"):
        with open(path, encoding=enc, errors="strict") as fh:
            try:
                for lineno, line in enumerate(fh, 1):
                    if line.strip():
                        doc = _json_record(line, path, lineno, text_field, id_field, meta_fields, fail, check)
                        if doc is not None:
                            yield doc
            except UnicodeDecodeError as exc:
                fail(src, None, f"undecodable {enc} data ({exc.reason}); the rest of the file was skipped")
        return
    codec = "utf-8" if enc == "utf-8-sig" else enc
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if b"\x00" in raw:
                fail(src, lineno, "NUL byte in the line: binary data?")
                continue
            try:
                line = raw.decode(codec)
            except UnicodeDecodeError as exc:
                fail(src, lineno, f"cannot decode as {enc} (byte {exc.start} of the line)")
                continue
            if line.strip():
                doc = _json_record(line, path, lineno, text_field, id_field, meta_fields, fail, check)
                if doc is not None:
                    yield doc


def _read_csv_stream(path, enc, text_field, id_field, meta_fields, fail, check):  # noqa: ANN001, ANN202
    src = str(path)
    csv.field_size_limit(2**31 - 1)
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, encoding=enc, errors="strict", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delim)
        try:
            fields = reader.fieldnames or []
        except (csv.Error, UnicodeDecodeError) as exc:
            fail(src, 1, f"malformed CSV header ({exc})")
            return
        fields = [f.lstrip("\ufeff") for f in fields]
        reader.fieldnames = fields
        tf = text_field if text_field in fields else (None if text_field else next((f for f in TEXT_FIELDS if f in fields), None))
        if tf is None:
            fail(src, 1, f"no text column among {fields}; use --text-field")
            return
        idf = id_field if id_field in fields else (None if id_field else next((f for f in ID_FIELDS if f in fields), None))
        row_no = 0
        while True:
            start_line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                fail(src, start_line, f"malformed CSV row ({exc})")
                continue
            except UnicodeDecodeError as exc:
                fail(src, start_line, f"undecodable {enc} data ({exc.reason}); the rest of the file was skipped")
                return
            row_no += 1
            if None in row:
                fail(src, start_line, "row has more fields than the header")
                continue
            body = check(row.get(tf), src, start_line, fail)
            if body is None:
                continue
            doc_id = row[idf] if idf and row.get(idf) else f"{path.stem}#{row_no}"
            meta = _meta_from(row, meta_fields)
            meta.update({"source": src, "line": start_line})
            yield Document(doc_id, body, meta)


def _read_parquet(path, text_field, id_field, meta_fields, fail, check=_check_text):  # noqa: ANN001, ANN202
    src = str(path)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        fail(src, None, "reading .parquet needs pyarrow: pip install 'policytag[parquet]'")
        return
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises many kinds
        fail(src, None, f"cannot read parquet ({exc})")
        return
    cols = table.column_names
    tf = text_field if text_field in cols else next((f for f in TEXT_FIELDS if f in cols), None)
    if tf is None:
        fail(src, None, f"no text column among {cols}; use --text-field")
        return
    idf = id_field if id_field in cols else next((f for f in ID_FIELDS if f in cols), None)
    for i, rec in enumerate(table.to_pylist()):
        body = check(rec.get(tf), src, i + 1, fail)
        if body is None:
            continue
        doc_id = str(rec[idf]) if idf and rec.get(idf) is not None else f"{path.stem}#{i + 1}"
        meta = _meta_from(rec, meta_fields)
        meta.update({"source": src, "line": i + 1})
        yield Document(doc_id, body, meta)
