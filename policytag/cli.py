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
from typing import Callable, Optional, Sequence

log = logging.getLogger("policytag")

EPILOG = """\
examples:
  policytag paragraphs report.txt            split a document, one JSON line per paragraph
  policytag normalize report.txt             print the cleaned, simplified text

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

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


_EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


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
