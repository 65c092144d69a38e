"""The ``policytag`` command: a thin layer over the library.

Every subcommand calls a public function and prints its result; nothing is
computed here that a notebook user could not get from the Python API.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence

log = logging.getLogger("policytag")

EPILOG = """\
examples:
  policytag paragraphs report.txt            split a document, one JSON line per paragraph
  policytag normalize report.txt             print the cleaned, simplified text
  policytag programs report.txt              named programs with their spans
  policytag programs discover ../shared/corpora   candidate names missing from the gazetteer

Run 'policytag COMMAND --help' for the options of each command.
"""


def _read_text_arg(value: str) -> tuple[str, str]:
    """A file path, '-' for stdin, or literal text.  Returns (name, text)."""
    if value == "-":
        return "<stdin>", sys.stdin.read()
    p = Path(value)
    if p.is_file():
        from .corpus import read_text_file

        return str(p), read_text_file(p)
    if len(value) < 260 and (("/" in value or value.endswith((".txt", ".md"))) and not p.exists()):
        raise SystemExit(f"policytag: error: {value}: no such file (pass text directly, a file path, or -)")
    return "<text>", value


def cmd_normalize(args: argparse.Namespace) -> int:
    from .normalize import normalize

    for item in args.input:
        _, text = _read_text_arg(item)
        sys.stdout.write(normalize(text).text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
    return 0


def cmd_paragraphs(args: argparse.Namespace) -> int:
    from .paragraphs import paragraphs

    for item in args.input:
        name, text = _read_text_arg(item)
        for p in paragraphs(text):
            row = {"source": name, "index": p.index, "start": p.start, "end": p.end,
                   "heading": p.is_heading, "text": p.text}
            print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_programs(args: argparse.Namespace) -> int:
    from .programs import ProgramMatcher, discover

    matcher = ProgramMatcher(user_files=args.gazetteer or ())
    items = list(args.input)
    if items and items[0] == "list":
        for p in matcher.programs:
            row = {"name": p.name, "aliases": list(p.aliases), "category": p.category, "level": p.level,
                   "region": p.region, "themes": list(p.themes), "seen_in": list(p.seen_in)}
            if args.format == "tsv":
                print("\t".join([p.name, ";".join(p.aliases), p.category, p.level, p.region, ";".join(p.themes)]))
            else:
                print(json.dumps(row, ensure_ascii=False))
        return 0
    if items and items[0] == "discover":
        from .corpus import read_documents

        if len(items) < 2:
            raise SystemExit("policytag programs discover: give one or more corpus files or directories")
        errors: list = []
        docs = ((d.id, d.text) for d in read_documents(items[1:], text_field=args.text_field, errors=errors))
        cands = discover(docs, matcher=matcher, min_count=args.min_count)
        for c in cands[: args.top]:
            if args.format == "tsv":
                print(f"{c.name}\t{c.count}\t{c.documents}\t{' | '.join(c.examples)}")
            else:
                print(json.dumps({"name": c.name, "count": c.count, "documents": c.documents,
                                  "examples": c.examples}, ensure_ascii=False))
        for e in errors:
            log.error("%s", e)
        return 1 if errors else 0
    if not items:
        raise SystemExit("policytag programs: give text, a file, '-', 'list' or 'discover CORPUS...'")
    for item in items:
        name, text = _read_text_arg(item)
        for m in matcher.find(text):
            row = {"input": name, **m.to_dict()}
            if args.format == "tsv":
                print(f"{name}\t{m.name}\t{m.text}\t{m.start}\t{m.end}\t{m.category}\t{','.join(m.themes)}")
            else:
                print(json.dumps(row, ensure_ascii=False))
    return 0


PROGRAMS_HELP = """\
examples:
  policytag programs "深化“最多跑一次”改革，实施五水共治"     mentions in a text
  policytag programs report.txt --format tsv                    mentions in a file
  policytag programs list                                       the gazetteer
  policytag programs discover ../shared/corpora --top 50        names the gazetteer lacks
  policytag programs report.txt --gazetteer my_programs.tsv     add your own programs

A user gazetteer is TOML ([[program]] tables like policytag/data/programs.toml)
or TSV with columns: name, aliases (;-separated), category, level, region, themes.
Offsets (start, end) index the ORIGINAL text, before normalization.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policytag",
        description="Tag Chinese policy documents paragraph by paragraph with policy themes "
        "(innovation, openness, ecology, governance, livelihood) and named programs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("normalize", help="print text cleaned and converted to simplified characters",
                       description="Clean text (traditional->simplified, pinyin glosses, full-width "
                       "characters, zero-width and padded spaces, mojibake, paywall markers).")
    p.add_argument("input", nargs="+", help="file path, '-' for stdin, or literal text")
    p.set_defaults(func=cmd_normalize)

    p = sub.add_parser("paragraphs", help="split documents into paragraphs (JSON lines)",
                       description="Split documents into paragraphs, dropping page furniture; one "
                       "JSON object per paragraph with its span in the original file.")
    p.add_argument("input", nargs="+", help="file path, '-' for stdin, or literal text")
    p.set_defaults(func=cmd_paragraphs)

    p = sub.add_parser("programs", help="find named programs; 'list' the gazetteer; 'discover' new ones",
                       description="Find named programs (八八战略, 最多跑一次, 一带一路 …) with exact spans, "
                       "list the gazetteer, or discover candidate names a corpus uses that the gazetteer lacks.",
                       epilog=PROGRAMS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", nargs="*", help="text, file, '-', or the word 'list' / 'discover' followed by corpora")
    p.add_argument("--gazetteer", action="append", metavar="FILE", help="extra gazetteer file (TOML or TSV); repeatable")
    p.add_argument("--format", choices=("jsonl", "tsv"), default="jsonl", help="output format (default jsonl)")
    p.add_argument("--min-count", type=int, default=2, help="discover: minimum occurrences (default 2)")
    p.add_argument("--top", type=int, default=100, help="discover: how many candidates to print (default 100)")
    p.add_argument("--text-field", help="discover: text field of .jsonl/.csv input")
    p.set_defaults(func=cmd_programs)

    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.ERROR if args.quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose + 1, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `policytag ... | head`
        return 0
    except (FileNotFoundError, ValueError, LookupError) as exc:
        print(f"policytag: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
