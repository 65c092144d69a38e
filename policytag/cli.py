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
  policytag tag report.txt                   themes and programs of every paragraph (JSON lines)
  policytag tag corpus/ -o tagged.csv --jobs 2   a whole corpus to a file
  policytag evaluate                         the shipped model against baselines on the dev split
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
    from .programs import Gazetteer, ProgramMatcher, discover

    matcher = ProgramMatcher(Gazetteer.default(extended=True) if args.extended else None,
                             user_files=args.gazetteer or (), include_concepts=args.include_concepts,
                             learned=not args.no_learned)
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
            score = "" if c.score is None else f"{c.score:.2f}"
            if args.format == "tsv":
                print(f"{c.name}\t{c.count}\t{c.documents}\t{score}\t{' | '.join(c.examples)}")
            else:
                print(json.dumps({"name": c.name, "count": c.count, "documents": c.documents,
                                  "score": None if c.score is None else round(c.score, 3),
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
                print(f"{name}\t{m.name}\t{m.text}\t{m.start}\t{m.end}\t{m.category}\t{','.join(m.themes)}"
                      f"\t{m.source}")
            else:
                print(json.dumps(row, ensure_ascii=False))
    return 0


def _load_tagger(args: argparse.Namespace):  # noqa: ANN202
    from .tagger import load

    return load(args.model, combine=args.combine, gazetteer=args.gazetteer or (),
                learned_names=getattr(args, "learned_names", False))


def cmd_tag(args: argparse.Namespace) -> int:
    from .batch import tag_corpus

    tagger = _load_tagger(args)
    files = [i for i in args.input if i == "-" or Path(i).exists()]
    if len(files) < len(args.input):
        missing = [i for i in args.input if i not in files]
        looks_like_paths = [m for m in missing if "/" in m or Path(m).suffix in (".txt", ".jsonl", ".csv", ".parquet")]
        if looks_like_paths:
            raise SystemExit(f"policytag tag: error: no such file or directory: {', '.join(looks_like_paths)}")
        if files:
            raise SystemExit("policytag tag: error: give either files/directories or one literal text, not both")
        text = "\n".join(missing)
        for pt in tagger.tag_document(text, "<text>"):
            row = pt.to_row(with_text=True)
            row.pop("program_mentions")
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if files == ["-"]:
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
            fh.write(sys.stdin.read())
        files = [fh.name]
    meta = [m for m in (args.meta or "").split(",") if m]
    result = tag_corpus(tagger, files, args.output, text_field=args.text_field, id_field=args.id_field,
                        meta_fields=meta, n_jobs=args.jobs, resume=args.resume, with_text=args.with_text,
                        max_chars=args.max_chars,
                        progress=None if not args.quiet else False)
    rate = result.characters / max(result.seconds, 1e-9)
    log.warning("tagged %d documents, %d paragraphs, %d characters in %.1fs (%.0f chars/s)%s",
                result.documents, result.paragraphs, result.characters, result.seconds, rate,
                f"; {result.skipped} already done" if result.skipped else "")
    if result.errors:
        where = f" (listed in {args.output}.errors.jsonl)" if args.output else ""
        log.error("%d input(s) failed%s:", len(result.errors), where)
        for e in result.errors[:20]:
            log.error("  %s", e)
        return 1
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .evaluate import format_report
    from .training import train

    params = json.loads(args.params) if args.params else None
    grid = None if args.no_select else __import__("policytag.training", fromlist=["DEFAULT_GRID"]).DEFAULT_GRID
    clf, meta = train(args.labels, args.corpus, args.output, grid=grid, params=params)
    for row in meta["selection"]:
        print(f"cv  {json.dumps(row['params'], ensure_ascii=False):<55} macro-F1 {row['cv_macro_f1']:.4f}")
    for name, rep in meta.get("dev", {}).items():
        print(format_report(f"dev: {name}", rep))
    print(f"combination chosen on dev: {meta['combine']}; model written to {args.output}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import format_report
    from .training import evaluate_on_dev, read_labels

    from .datasets import default_labeled_path

    tagger = _load_tagger(args)
    data = read_labels(args.labels or default_labeled_path(), args.corpus, tagger.themes)
    reports = evaluate_on_dev(tagger.classifier, data["train"], data["dev"], tagger.matcher,
                              baselines=not args.no_baselines)
    if args.json:
        print(json.dumps(reports, indent=2, ensure_ascii=False))
        return 0
    for name, rep in reports.items():
        print(format_report(f"dev: {name}", rep))
        print()
    summary = {k: round(v["macro"]["f1"], 4) for k, v in reports.items()}
    print("macro-F1: " + ", ".join(f"{k} {v:.3f}" for k, v in summary.items()))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from . import stats

    df = stats.load_tagged(args.tagged)
    if args.programs:
        out = stats.program_stats(df, by=args.by or None, time=args.time)
    elif args.by:
        out = stats.group_shares(df, args.by, weight=args.weight, n_boot=args.bootstrap, ci=args.ci)
    else:
        out = stats.document_shares(df, weight=args.weight)
    if args.output:
        out.to_csv(args.output, index=False)
        log.warning("wrote %d rows to %s", len(out), args.output)
    elif not args.plot:
        print(out.to_csv(index=False), end="")
    if args.plot:
        from . import plots

        if args.programs:
            if not args.time:
                raise SystemExit("policytag stats: --plot with --programs needs --time (e.g. --time year)")
            plots.program_timeline(out, args.plot)
        elif not args.by:
            raise SystemExit("policytag stats: --plot needs --by (a trend over years, or a group x theme heatmap)")
        elif len(args.by) == 1 and str(out[args.by[0]].dtype).startswith(("int", "float")):
            plots.trend(out, x=args.by[0], path=args.plot)
        else:
            plots.heatmap(out, row=args.by[0], path=args.plot)
        log.warning("plot written to %s", args.plot)
    return 0


TAG_HELP = """\
examples:
  policytag tag "深化“最多跑一次”改革，企业开办时间压缩至1个工作日。"
  policytag tag report.txt                                   rows to stdout (JSON lines)
  policytag tag ../shared/corpora -o tagged.jsonl            a directory, to a file
  policytag tag reports.csv --text-field full_text --meta province,year -o tagged.csv
  policytag tag corpus/ -o tagged.parquet --jobs 2 --resume  parallel; continue an interrupted run

Inputs: .txt (one document each), .jsonl (--text-field, --id-field), .csv/.tsv
(BOM and multi-line fields fine), .parquet (pip install 'policytag[parquet]');
directories are searched recursively. Encodings are detected (UTF-8, GB18030,
Big5, UTF-16). One output row per paragraph: doc_id, paragraph, start, end
(span in the original document), heading, chars, themes, score_<theme>,
programs, program_mentions, metadata columns, and text with --with-text.

A bad file or record is reported with file and line in OUT.errors.jsonl and
the batch goes on; the exit status is 1 when any input failed.
"""

PROGRAMS_HELP = """\
examples:
  policytag programs "深化“最多跑一次”改革，实施五水共治"     mentions in a text
  policytag programs report.txt --format tsv                    mentions in a file
  policytag programs list                                       the gazetteer
  policytag programs discover ../shared/corpora --top 50        names the gazetteer lacks
  policytag programs report.txt --gazetteer my_programs.tsv     add your own programs

A user gazetteer is TOML ([[program]] tables like policytag/data/programs.toml)
or TSV with columns: name, aliases (;-separated), category, level, region, themes.

Extending the gazetteer for a new corpus: 'discover --min-count 1 --top 100000
--format tsv' lists every candidate (columns: name, paragraphs, documents,
score, examples); read them, keep the real names in a TSV gazetteer and pass it
with --gazetteer. The score is the learned scorer's probability; the matcher
already reports names above its threshold, the rest need a reader.
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
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr, no progress bar")
    # the same two options are accepted after the command name too
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add = sub.add_parser

    def add_parser(*a, **k):  # noqa: ANN002, ANN003, ANN202
        return _add(*a, parents=[common], **k)

    sub.add_parser = add_parser  # type: ignore[method-assign]

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
    p.add_argument("--include-concepts", action="store_true",
                   help="also report gazetteer entries of category 'concept': named things that are not programs "
                   "(ideology names and principles: 新发展理念, 中国式现代化; titles awarded to many places, "
                   "metropolitan areas, trade agreements, expos, censuses, party regulations)")
    p.add_argument("--no-learned", action="store_true",
                   help="only gazetteer names and templates: skip the names ending in a program word "
                   "(…行动, …工程, …试点, …改革) that the learned scorer accepts (source 'learned'), "
                   "and keep every quoted numbered template")
    p.add_argument("--extended", action="store_true",
                   help="add the 156 names one curator accepted from 'discover' over the reference corpora "
                        "and a second reader did not (policytag/data/programs_discovered.tsv): a little more recall, less precision")
    p.add_argument("--min-count", type=int, default=2,
                   help="discover: minimum number of paragraphs a candidate occurs in (default 2; 1 lists every candidate, for reviewing a corpus in full)")
    p.add_argument("--top", type=int, default=100, help="discover: how many candidates to print (default 100)")
    p.add_argument("--text-field", help="discover: text field of .jsonl/.csv input")
    p.set_defaults(func=cmd_programs)

    def add_model_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", help="model directory (default: the shipped model)")
        p.add_argument("--combine", choices=("classifier", "rules", "or"),
                       help="how program rules combine with the classifier (default: as measured best, "
                       "recorded in the model)")
        p.add_argument("--gazetteer", action="append", metavar="FILE",
                       help="extra program gazetteer (TOML or TSV); repeatable")
        p.add_argument("--learned-names", action="store_true",
                       help="also report names ending in a program word (…行动, …工程, …试点, …改革) that "
                       "the learned scorer accepts, as 'policytag programs' does; more recall, about "
                       "25%% more tagging time (see README, Programs)")

    p = sub.add_parser("tag", help="tag texts, files or whole corpora (one row per paragraph)",
                       description="Tag documents paragraph by paragraph with themes, calibrated scores "
                       "and named programs.", epilog=TAG_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", nargs="+", help="files, directories, '-' for stdin, or a literal text")
    p.add_argument("-o", "--output", help="output file: .jsonl, .csv or .parquet (default: JSON lines on stdout)")
    p.add_argument("--text-field", help="text field/column of .jsonl/.csv/.parquet input")
    p.add_argument("--id-field", help="document id field/column")
    p.add_argument("--meta", help="comma-separated metadata fields copied to every row, e.g. year,province,title")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run into the same -o file")
    p.add_argument("--with-text", action="store_true", help="include each paragraph's text in the rows")
    p.add_argument("--max-chars", type=int, help="longest document/record to tag, in characters (default 5,000,000)")
    add_model_options(p)
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("train", help="train a theme classifier from labeled paragraphs",
                       description="Select features and model by grouped cross-validation on the train "
                       "split, fit, measure on the dev split against baselines, and save the model as data.",
                       epilog="examples:\n  policytag train --labels labeled/paragraphs.jsonl --corpus "
                       "../shared/corpora -o models/policytag-themes\n  policytag train --labels my_labels.jsonl "
                       "-o my-model   (JSON lines with text, labels[, split, group])",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--labels", required=True, help="labels file (labeled/paragraphs.jsonl or text+labels JSON lines)")
    p.add_argument("--corpus", help="corpus the labels refer to (default ../shared/corpora)")
    p.add_argument("-o", "--output", required=True, help="model directory to write")
    p.add_argument("--params", help='fixed estimator parameters as JSON, e.g. \'{"C": 3.0}\'')
    p.add_argument("--no-select", action="store_true", help="skip the cross-validated selection")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="dev-split scores of a model against rules and baselines",
                       description="Per-theme precision/recall/F1 and micro/macro F1 on the dev split for "
                       "the classifier, the program rules, their combination and the baselines (keyword "
                       "dictionary, fastText if installed, most frequent label set), in one run.")
    p.add_argument("--labels", default=None, help="labels file (default: the project's labeled/paragraphs.jsonl)")
    p.add_argument("--corpus", help="corpus the labels refer to (default ../shared/corpora)")
    p.add_argument("--no-baselines", action="store_true", help="only the model, the rules and their combination")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")
    add_model_options(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("stats", help="theme shares per document or group, with bootstrap CIs; program counts",
                       description="Statistics from tagged paragraphs (the output of 'policytag tag'): theme "
                       "shares per document, or per group with bootstrap confidence intervals (paragraphs "
                       "resampled within documents), or program frequencies with first/last appearance.",
                       epilog="examples:\n  policytag stats tagged.jsonl                     shares per document\n"
                       "  policytag stats tagged.jsonl --by year -o stats.csv\n"
                       "  policytag stats tagged.csv --by region --weight chars\n"
                       "  policytag stats tagged.jsonl --programs --by region --time year\n"
                       "  policytag stats tagged.jsonl --by year --plot trend.png",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tagged", help="output of 'policytag tag' (.jsonl, .csv or .parquet)")
    p.add_argument("--by", help="grouping column(s), comma-separated (e.g. year or region,year)",
                   type=lambda v: [x for x in v.split(",") if x])
    p.add_argument("--weight", choices=("paragraphs", "chars"), default="paragraphs",
                   help="share of paragraphs (default) or of characters")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates (0 for none; default 1000)")
    p.add_argument("--ci", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--programs", action="store_true", help="program frequencies instead of theme shares")
    p.add_argument("--time", help="with --programs: column for first/last appearance (e.g. year)")
    p.add_argument("-o", "--output", help="CSV file to write (default: stdout)")
    p.add_argument("--plot", metavar="FILE.png", help="also draw it: trend lines with CI bands (numeric --by), "
                   "a group x theme heatmap (other --by), or a program timeline (--programs --time); "
                   "needs pip install 'policytag[plot]'")
    p.set_defaults(func=cmd_stats)

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
    except (FileNotFoundError, ValueError, LookupError, ImportError) as exc:
        print(f"policytag: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
