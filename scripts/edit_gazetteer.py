"""Apply reviewed changes to the shipped gazetteer, keeping its hand-made layout.

    python scripts/edit_gazetteer.py changes.jsonl [--dry-run]

Each line of ``changes.jsonl`` is one change, decided by a reviewer or curator
and recorded in labeled/ (gazetteer_review.tsv, gazetteer_additions.tsv):

    {"op": "category", "entry": NAME, "category": "concept"}
    {"op": "level", "entry": NAME, "level": "national", "region": "全国"}
    {"op": "drop", "entry": NAME}
    {"op": "remove_forms", "entry": NAME, "forms": [...]}   # a removed name gives way to the first alias
    {"op": "add_forms", "entry": NAME, "forms": [...], "seen_in": [...]}
    {"op": "add", "entry": NAME, "aliases": [...], "category": ..., "level": ..., "region": ...,
     "themes": [...], "seen_in": [...], "section": "comment line opening the appended block"}

Only the [[program]] tables that change are rewritten; comments and every other
table stay as they are.  The result is parsed again with the package's own
loader, and its surface forms are checked to belong to one entry each, so a
change that breaks the schema (an unknown category, a surface form in two
entries) stops here with a message naming it and the file is not written.
Whether each form occurs in a document of its seen_in is left to the test suite
(tests/test_programs.py), which reads the corpora.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policytag.corpus import InputError, iter_json_lines  # noqa: E402
from policytag.programs import _programs_from_toml, _surface_key  # noqa: E402

GAZ = ROOT / "policytag" / "data" / "programs.toml"
HEAD = "[[program]]\n"


def _array(key: str, items: list[str], width: int = 110) -> str:
    one = f"{key} = [" + ", ".join(json.dumps(x, ensure_ascii=False) for x in items) + "]"
    if len(one) <= width:
        return one
    lines, cur = [], "   "
    for x in items:
        piece = " " + json.dumps(x, ensure_ascii=False) + ","
        if len(cur) + len(piece) > width and cur.strip():
            lines.append(cur)
            cur = "   "
        cur += piece
    lines.append(cur)
    return f"{key} = [\n" + "\n".join(lines) + "\n]"


def _table(e: dict) -> str:
    return "\n".join([
        f"name = {json.dumps(e['name'], ensure_ascii=False)}",
        _array("aliases", e.get("aliases", [])),
        f"category = {json.dumps(e['category'])}",
        f"level = {json.dumps(e['level'])}",
        f"region = {json.dumps(e['region'], ensure_ascii=False)}",
        _array("themes", e.get("themes", [])),
        _array("seen_in", e.get("seen_in", [])),
    ]) + "\n"


def _split(text: str) -> tuple[str, list[list[str]]]:
    """The header, then per table [body, trailing text (blank lines, comments)]."""
    parts = text.split(HEAD)
    blocks = []
    for part in parts[1:]:
        m = re.search(r"^seen_in = \[.*?\]\n|^seen_in = \[\n.*?^\]\n", part, re.S | re.M)
        if m is None:
            raise SystemExit(f"{GAZ}: a [[program]] table without seen_in: {part[:60]!r}")
        blocks.append([part[: m.end()], part[m.end():]])
    return parts[0], blocks


def apply(text: str, changes: list[dict]) -> str:
    header, blocks = _split(text)
    entries = [tomllib.loads(b[0]) for b in blocks]
    index = {e["name"]: i for i, e in enumerate(entries)}
    dropped: set[int] = set()
    appended: list[str] = []
    added: set[str] = set()
    for n, c in enumerate(changes, 1):
        op = c["op"]
        if op == "add":
            if c["entry"] in index or c["entry"] in added:  # e.g. a changes file applied twice
                raise SystemExit(f"change {n}: an entry named {c['entry']!r} is already in {GAZ}")
            added.add(c["entry"])
            e = {k: c[k] for k in ("aliases", "category", "level", "region", "themes", "seen_in")}
            e["name"] = c["entry"]
            if c.get("section"):
                appended.append(f"\n# {c['section']}\n")
            appended.append("\n" + HEAD + _table(e))
            continue
        if c["entry"] not in index:
            raise SystemExit(f"change {n}: no entry named {c['entry']!r} in {GAZ}")
        i = index[c["entry"]]
        e = entries[i]
        if op == "drop":
            dropped.add(i)
            continue
        if op == "category":
            e["category"] = c["category"]
        elif op == "level":
            e["level"], e["region"] = c["level"], c["region"]
        elif op == "remove_forms":
            forms = [e["name"]] + e["aliases"]
            unknown = [f for f in c["forms"] if f not in forms]
            if unknown:
                raise SystemExit(f"change {n}: {unknown} are not forms of {e['name']!r}")
            keep = [f for f in forms if f not in c["forms"]]
            if not keep:
                raise SystemExit(f"change {n}: removing every form of {e['name']!r}; use op drop")
            if e["name"] in c["forms"]:
                index[keep[0]] = index.pop(e["name"])
            e["name"], e["aliases"] = keep[0], keep[1:]
        elif op == "add_forms":
            e["aliases"] = e["aliases"] + [f for f in c["forms"] if f not in e["aliases"] and f != e["name"]]
            e["seen_in"] = e["seen_in"] + [d for d in c.get("seen_in", []) if d not in e["seen_in"]]
        else:
            raise SystemExit(f"change {n}: unknown op {op!r}")
        blocks[i][0] = _table(e)
    out = header + "".join(HEAD + b + t for i, (b, t) in enumerate(blocks) if i not in dropped)
    return out.rstrip("\n") + "\n" + "".join(appended)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("changes", type=Path)
    ap.add_argument("--dry-run", action="store_true", help="check the result, do not write it")
    args = ap.parse_args(argv)
    try:  # a bad line is named by file and line number
        changes = [c for _, c in iter_json_lines(args.changes)]
    except InputError as exc:
        raise SystemExit(str(exc)) from None
    new = apply(GAZ.read_text(encoding="utf-8"), changes)
    entries = _programs_from_toml(new, str(GAZ))  # the loader's checks, before anything is written
    owner: dict[str, str] = {}
    for p in entries:
        for form in p.surface_forms:
            if owner.setdefault(_surface_key(form), p.name) != p.name:
                raise SystemExit(f"{form!r} would belong to {owner[_surface_key(form)]!r} and {p.name!r}")
    print(f"{len(changes)} changes -> {len(entries)} entries", file=sys.stderr)
    if not args.dry_run:
        GAZ.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
