"""Batch tagging of corpora to a file: streaming, parallel, resumable.

:func:`tag_corpus` reads documents (see :func:`policytag.corpus.read_documents`),
tags them paragraph by paragraph and writes one row per paragraph to
``.jsonl``, ``.csv`` or ``.parquet``.

Safety of the output:

* rows go to ``OUT.partial``; a checkpoint ``OUT.partial.ckpt`` records,
  after each document, its id and the byte length of the partial file;
* an interrupted run leaves both; ``resume=True`` truncates the partial
  file to the last checkpoint (dropping a half-written document) and skips
  the documents already done, so nothing is lost or duplicated;
* at the end the partial file is renamed to ``OUT`` in one step (for
  parquet, converted in chunks), and the checkpoint is removed.

Bad input never stops the batch: each unreadable file or record is reported
(file and line) in ``OUT.errors.jsonl`` and counted in the result.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from .corpus import Document, ReadError, read_documents
from .tagger import json_line

__all__ = ["BatchResult", "tag_corpus", "OUTPUT_FORMATS"]

log = logging.getLogger(__name__)
OUTPUT_FORMATS = (".jsonl", ".csv", ".parquet")
_CSV_COLUMNS = ("doc_id", "paragraph", "start", "end", "heading", "chars", "themes", "score_*", "programs")


@dataclass
class BatchResult:
    output: Optional[Path]
    documents: int = 0
    paragraphs: int = 0
    characters: int = 0
    skipped: int = 0  # already done in an earlier run (resume)
    errors: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


def _row_text(row: dict, fmt: str, columns: Optional[list]) -> str:
    if fmt == ".csv":
        buf = io.StringIO()
        flat = {k: ("|".join(v) if k in ("themes", "programs") else json.dumps(v, ensure_ascii=False))
                if isinstance(v, (list, dict)) else v for k, v in row.items() if k != "program_mentions"}
        flat["program_mentions"] = json.dumps(row.get("program_mentions", []), ensure_ascii=False)
        csv.writer(buf).writerow([flat.get(c, "") for c in columns])
        return buf.getvalue()
    return json_line(row)


def _read_checkpoint(ckpt: Path) -> tuple[set, int, Optional[list]]:
    done: set = set()
    offset = 0
    columns = None
    if ckpt.exists():
        for line in ckpt.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break  # a torn last line: everything before it is valid
            if "columns" in rec:
                columns = rec["columns"]
                offset = max(offset, rec.get("offset", 0))
                continue
            done.add(rec["doc"])
            offset = rec["offset"]
    return done, offset, columns


def tag_corpus(
    tagger,  # noqa: ANN001 - a policytag.Tagger
    inputs: Sequence[Union[str, Path]],
    output: Union[str, Path, None],
    text_field: Optional[str] = None,
    id_field: Optional[str] = None,
    meta_fields: Sequence[str] = (),
    n_jobs: int = 1,
    resume: bool = False,
    with_text: bool = False,
    progress: Optional[bool] = None,
    stream=None,  # noqa: ANN001 - where to write rows when output is None (default stdout)
    max_chars: Optional[int] = None,
) -> BatchResult:
    """Tag every document of ``inputs`` and write one row per paragraph.

    Returns a :class:`BatchResult`; ``result.errors`` lists the inputs that
    failed (they are also written to ``OUT.errors.jsonl``).
    """
    import sys

    from tqdm import tqdm

    t0 = time.time()
    errors: list[ReadError] = []
    out = Path(output) if output is not None else None
    fmt = out.suffix.lower() if out else ".jsonl"
    if out and fmt not in OUTPUT_FORMATS:
        raise ValueError(f"{out}: output must end in one of {OUTPUT_FORMATS}")
    result = BatchResult(output=out)
    partial = out.with_name(out.name + ".partial") if out else None
    ckpt = out.with_name(out.name + ".partial.ckpt") if out else None
    done: set = set()
    columns: Optional[list] = None
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        if resume and partial.exists():
            done, offset, columns = _read_checkpoint(ckpt)
            with open(partial, "r+b") as fh:
                fh.truncate(offset)
            log.info("resuming %s: %d documents already done", partial, len(done))
        else:
            if resume:
                log.warning("--resume: no interrupted run found for %s; starting from the beginning", out)
            for p in (partial, ckpt):
                if p.exists():
                    p.unlink()
    write_fmt = ".csv" if fmt == ".csv" else ".jsonl"
    sink = open(partial, "a", encoding="utf-8", newline="") if out else (stream or sys.stdout)
    ck = open(ckpt, "a", encoding="utf-8") if out else None
    seen_ids: dict[str, int] = {}

    def docs() -> Iterable[Document]:
        limit = {"max_chars": max_chars} if max_chars else {}
        for d in read_documents(inputs, text_field=text_field, id_field=id_field, meta_fields=meta_fields,
                                errors=errors, **limit):
            n = seen_ids.get(d.id, 0)
            seen_ids[d.id] = n + 1
            doc = d if n == 0 else Document(f"{d.id}~{n + 1}", d.text, d.meta)
            if doc.id in done:
                result.skipped += 1
                continue
            yield doc

    bar = tqdm(desc="tagging", unit="doc", disable=(not progress) if progress is not None else None,
               dynamic_ncols=True, file=sys.stderr)
    def csv_rows():  # noqa: ANN202 - (id, paragraphs, characters, text) per document, as _iter_json_lines
        nonlocal columns
        for doc_tags in tagger.iter_documents(docs(), n_jobs=n_jobs):
            chunk = []
            for pt in doc_tags:
                row = pt.to_row(with_text)
                if columns is None:
                    columns = [k for k in row if k != "program_mentions"] + ["program_mentions"]
                    if out:
                        ck.write(json.dumps({"columns": columns, "offset": 0}) + "\n")
                    chunk.insert(0, _header(columns))
                chunk.append(_row_text(row, write_fmt, columns))
            yield (doc_tags[0].doc_id if doc_tags else ""), len(doc_tags), (doc_tags[-1].end if doc_tags else 0), \
                "".join(chunk)

    documents = csv_rows() if write_fmt == ".csv" else tagger._iter_json_lines(docs(), n_jobs, with_text)
    try:
        for doc_id, n_paragraphs, chars, text in documents:
            if not n_paragraphs:
                continue
            sink.write(text)
            sink.flush()
            if out:
                ck.write(json.dumps({"doc": doc_id, "offset": sink.tell()}, ensure_ascii=False) + "\n")
                ck.flush()
            result.documents += 1
            result.paragraphs += n_paragraphs
            result.characters += chars
            bar.update(1)
            elapsed = max(time.time() - t0, 1e-9)
            bar.set_postfix_str(f"{result.characters / elapsed / 1000:.0f}k chars/s", refresh=False)
    finally:
        bar.close()
        if out:
            sink.close()
            ck.close()
    # the run is complete: publish the output in one step
    if out:
        if fmt == ".parquet":
            _jsonl_to_parquet(partial, out)
            partial.unlink()
        else:
            partial.replace(out)
        ckpt.unlink(missing_ok=True)
        err_path = out.with_name(out.name + ".errors.jsonl")
        if errors:
            with open(err_path, "w", encoding="utf-8") as fh:
                for e in errors:
                    fh.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")
        elif err_path.exists():
            err_path.unlink()
    result.errors = errors
    result.seconds = time.time() - t0
    return result


def _header(columns: list) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(columns)
    return buf.getvalue()


def _jsonl_to_parquet(src: Path, dst: Path, chunk_rows: int = 50_000) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError("writing .parquet needs pyarrow: pip install 'policytag[parquet]'") from exc
    tmp = dst.with_name(dst.name + ".tmp")
    writer = None
    schema = None
    try:
        with open(src, encoding="utf-8") as fh:
            batch: list = []
            for line in fh:
                row = json.loads(line)
                row["program_mentions"] = json.dumps(row.get("program_mentions", []), ensure_ascii=False)
                batch.append(row)
                if len(batch) >= chunk_rows:
                    writer, schema = _write_batch(batch, tmp, writer, schema, pa, pq)
                    batch = []
            if batch or writer is None:
                writer, schema = _write_batch(batch, tmp, writer, schema, pa, pq)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(dst)


def _write_batch(batch, tmp, writer, schema, pa, pq):  # noqa: ANN001, ANN202
    table = pa.Table.from_pylist(batch, schema=schema) if schema is not None else pa.Table.from_pylist(batch)
    if writer is None:
        schema = table.schema
        writer = pq.ParquetWriter(tmp, schema)
    writer.write_table(table)
    return writer, schema
