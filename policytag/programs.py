"""Named programs: a gazetteer shipped as data and a fast matcher.

The gazetteer (``policytag/data/programs.toml``) lists programs, campaigns,
strategies, reforms, projects, plans and slogans with their aliases,
category, level, region and the themes they imply.  :class:`ProgramMatcher`
compiles it (plus any user gazetteer) into an Aho-Corasick automaton and a
few patterns for templated names (numbered five-year plans, numbered slogans
in quotes, "X大工程"), and reports every mention with its span in the
caller's *original* string: traditional characters, pinyin glosses and
spaced-out quotes included.

>>> m = ProgramMatcher()
>>> [(x.name, x.text) for x in m.find("堅持“八八戰略”，深化 “ 最多跑一次 ” 改革")]
[('八八战略', '八八戰略'), ('最多跑一次', '最多跑一次 ” 改革')]
"""
from __future__ import annotations

import bisect
import functools
import itertools
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from .normalize import Normalized, normalize

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover
    import tomli as _toml  # type: ignore[no-redef]

__all__ = ["Program", "Mention", "Gazetteer", "ProgramMatcher", "Candidate", "discover"]

_log = logging.getLogger(__name__)

CATEGORIES = ("strategy", "campaign", "reform", "project", "plan", "slogan", "concept")
# "concept": ideology and theory names, guiding concepts and national goals
# (习近平新时代中国特色社会主义思想, 新发展理念, 中国式现代化, 新常态 ...).  They are
# kept in the gazetteer so a user can count them, but they are not programs by
# labeled/GUIDE.md's definition, so the matcher skips them unless asked.
CONCEPT = "concept"
LEVELS = ("national", "provincial", "city", "district")
_THEMES = ("innovation", "openness", "ecology", "governance", "livelihood")
_QUOTES = "“”‘’\"'「」『』"
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Program:
    """One gazetteer entry."""

    name: str
    aliases: tuple[str, ...] = ()
    category: str = "slogan"
    level: str = "national"
    region: str = "全国"
    themes: tuple[str, ...] = ()
    seen_in: tuple[str, ...] = ()

    @property
    def surface_forms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Mention:
    """A program mentioned in a text.

    ``start``/``end`` index the string passed to the matcher (the original,
    before normalization); ``text`` is that original substring.
    """

    name: str
    text: str
    start: int
    end: int
    category: str = "slogan"
    themes: tuple[str, ...] = ()
    source: str = "gazetteer"  # or "pattern" for templated names not in the gazetteer

    def to_dict(self) -> dict:
        return {"name": self.name, "text": self.text, "start": self.start, "end": self.end,
                "category": self.category, "themes": list(self.themes), "source": self.source}


class Gazetteer:
    """A collection of :class:`Program` entries with unique surface forms.

    >>> g = Gazetteer.default()
    >>> g["五水共治"].themes
    ('ecology',)
    """

    def __init__(self, programs: Iterable[Program] = ()) -> None:
        self.programs: list[Program] = []
        self._by_name: dict[str, Program] = {}
        self._by_surface: dict[str, Program] = {}
        for p in programs:
            self.add(p)

    def __len__(self) -> int:
        return len(self.programs)

    def __iter__(self) -> Iterator[Program]:
        return iter(self.programs)

    def __getitem__(self, name: str) -> Program:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def lookup(self, surface: str) -> Optional[Program]:
        """The program a surface form (simplified, without quotes) belongs to."""
        return self._by_surface.get(surface)

    def add(self, program: Program) -> None:
        """Add a program; a later entry with the same name replaces the earlier one."""
        old = self._by_name.get(program.name)
        if old is not None:
            self.programs.remove(old)
            for s in old.surface_forms:
                if self._by_surface.get(s) is old:
                    del self._by_surface[s]
        self.programs.append(program)
        self._by_name[program.name] = program
        for s in program.surface_forms:
            key = _surface_key(s)
            if key:
                self._by_surface[key] = program

    @classmethod
    def default(cls) -> "Gazetteer":
        """The gazetteer shipped with policytag."""
        return _default_gazetteer()

    @classmethod
    def from_file(cls, path: Union[str, Path]) -> "Gazetteer":
        """Read a user gazetteer: TOML (``[[program]]`` tables) or TSV.

        TSV columns: ``name, aliases (separated by ;), category, level,
        region, themes (separated by ;)``; a header line starting with
        ``name`` is skipped.
        """
        path = Path(path)
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix.lower() == ".toml":
            return cls(_programs_from_toml(text, str(path)))
        return cls(_programs_from_tsv(text, str(path)))

    def merged(self, other: "Gazetteer") -> "Gazetteer":
        """This gazetteer plus ``other``'s entries; ``other`` wins.

        An entry of ``other`` with the same name replaces the one here; a surface
        form of ``other`` that belonged to a different entry here moves to the new
        entry, with a warning naming both (so a user file cannot silently change
        what a shipped name means).
        """
        g = Gazetteer(self.programs)
        for p in other:
            for s in p.surface_forms:
                old = g.lookup(_surface_key(s))
                if old is not None and old.name != p.name:
                    _log.warning("gazetteer: %r now belongs to %r (it was a form of %r)", s, p.name, old.name)
            g.add(p)
        return g


def _surface_key(s: str) -> str:
    """How a surface form is matched: normalized, quotes and spaces removed."""
    t = normalize(s).text
    return "".join(c for c in t if c not in _QUOTES and not c.isspace())


def _check_program(d: dict, where: str) -> Program:
    name = d.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: every program needs a non-empty 'name'")
    cat = d.get("category", "slogan")
    if cat not in CATEGORIES:
        raise ValueError(f"{where}: program {name!r} has category {cat!r}; use one of {CATEGORIES}")
    level = d.get("level", "national")
    if level not in LEVELS:
        raise ValueError(f"{where}: program {name!r} has level {level!r}; use one of {LEVELS}")
    themes = tuple(d.get("themes", ()))
    bad = [t for t in themes if t not in _THEMES]
    if bad:
        raise ValueError(f"{where}: program {name!r} has unknown themes {bad}; use {_THEMES}")
    return Program(
        name=name.strip(),
        aliases=tuple(a.strip() for a in d.get("aliases", ()) if a and a.strip()),
        category=cat,
        level=level,
        region=d.get("region", "全国"),
        themes=themes,
        seen_in=tuple(d.get("seen_in", ())),
    )


def _programs_from_toml(text: str, where: str) -> list[Program]:
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise ValueError(f"{where}: not valid TOML ({exc})") from exc
    entries = data.get("program", [])
    return [_check_program(d, f"{where} [[program]] #{i + 1}") for i, d in enumerate(entries)]


def _programs_from_tsv(text: str, where: str) -> list[Program]:
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#") or (lineno == 1 and line.lower().startswith("name")):
            continue
        cols = line.split("\t")
        cols += [""] * (6 - len(cols))
        d = {
            "name": cols[0],
            "aliases": [a for a in cols[1].split(";") if a],
            "category": cols[2] or "slogan",
            "level": cols[3] or "national",
            "region": cols[4] or "全国",
            "themes": [t for t in cols[5].split(";") if t],
        }
        out.append(_check_program(d, f"{where}:{lineno}"))
    return out


@functools.lru_cache(maxsize=None)
def _default_gazetteer() -> Gazetteer:
    text = resources.files("policytag").joinpath("data/programs.toml").read_text(encoding="utf-8")
    return Gazetteer(_programs_from_toml(text, "policytag/data/programs.toml"))


# --- templated names ------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十百千万两双"
_PLAN_ORD = {"六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12,
             "十三": 13, "十四": 14, "十五": 15, "十六": 16}
# "十四五" followed by a plan word, or quoted; "第十四个五年规划"
_PLAN = re.compile(
    r"(?P<q>“)?(?P<n>十[一二三四五六]|[六七八九十])五(?(q)”|(?=规划|计划|时期|期间|末|初|以来|开局|收官|目标|发展))"
    r"(?P<suffix>规划|计划)?"
    r"|第(?P<n2>[一二三四五六七八九十]{1,3})个五年(?P<s2>规划|计划)"
)
_NUMBERED_QUOTED = re.compile(
    rf"“(?P<body>(?:[{_CN_NUM}]+|\d{{1,6}})[^“”，。；：、\s\x00]{{0,10}}?)”"
    r"(?P<tail>(?:发展)?(?:战略体系|战略|工程|行动|计划|改革|总体工作部署|工作部署|目标|体系|攻坚战)?)"
)
# Quoted numbered phrases that are not programs: streaks of records ("18连增",
# "二十二连丰") and spans of time ("15分钟", "一刻钟" service circles) ...
_NOT_A_PROGRAM = re.compile(
    rf"(?:[{_CN_NUM}]+|\d+)(?:连[增丰升涨冠胜降]|分钟|小时|刻钟|秒)$"
)
# ... and phrases the text criticises or rejects: 反对“一切向钱看”, 搞“两个中国”,
# 切忌搞“一刀切”, 解决企业之间的“三角债”, “四风”问题 (the guide excludes criticised
# phenomena).  Only for quoted templates with no program word after the quote.
_CRITICISED_BEFORE = re.compile(
    r"(?:反对|搞(?![好活])|切忌|防止|杜绝|克服|纠正|整治|摆脱|破解|清理|遏制|抵制|根治|解决|制造|鼓吹)"
    r"[^，。；：“”\x00]{0,6}“$"
)
_CRITICISED_AFTER = re.compile(r"(?:问题|现象|困境|阴谋|倾向|顽疾|之风|歪风|论调)")
_SEP = "\x00"  # between paragraphs in find_in_paragraphs; no pattern crosses it


class _JoinedOffsets:
    """The offset map of paragraphs joined with _SEP, looked up one index at a time:
    ``self[i]`` is the original offset of character ``i`` of the joined text.

    The matcher maps back only the few characters that start or end a
    mention, so this beats concatenating every paragraph's offsets.
    """

    def __init__(self, paras) -> None:  # noqa: ANN001
        self._arrays = [p.offsets for p in paras]
        self._starts = list(itertools.accumulate((len(p.text) + 1 for p in paras), initial=0))[:-1]

    def __getitem__(self, i: int) -> int:
        k = bisect.bisect_right(self._starts, i) - 1
        return int(self._arrays[k][i - self._starts[k]])


_QUOTE_OR_NL = re.compile("[" + re.escape(_QUOTES) + "\n]")
# the same, for numpy: a lookup table over the BMP (every quote mark lies in it)
_QUOTE_OR_NL_TABLE = np.zeros(0x10000, bool)
_QUOTE_OR_NL_TABLE[[ord(c) for c in _QUOTES + "\n"]] = True
_PATTERN_HINT = re.compile(r"五|“|[一二三四五六七八九十百千两双]大")
_PROGRAM_WORD_AFTER = re.compile(r"理念|战略|工程|行动|政策|改革|目标|工作|建设|试点|任务|要求|方针")
_BIG_PROJECT = re.compile(rf"[{_CN_NUM}]{{1,3}}大(?:工程|行动|战略|攻坚战|专项行动|计划)")


def _finditer_near(rx: re.Pattern, text: str, anchor: str, max_before: int, after: str) -> Iterator[re.Match]:
    """``rx.finditer(text)`` for a pattern each of whose matches holds ``anchor``
    within ``max_before`` characters after its start, right after one of the
    characters ``after``: the match is tried only at those starts.  (A regex
    whose first item is optional, as in _PLAN, is otherwise tried at every
    position of the text.)"""
    end = 0
    q = text.find(anchor, 1)
    while q >= 0:
        if text[q - 1] in after:
            for p in range(max(end, q - max_before), q):
                m = rx.match(text, p)
                if m is not None and m.end() > m.start():
                    yield m
                    end = m.end()
                    break
        q = text.find(anchor, max(q + 1, end))


def _plan_name(m: re.Match) -> Optional[str]:
    n = m.group("n")
    if n is not None:
        return f"{n}五规划" if _PLAN_ORD.get(n, 0) >= 11 else f"{n}五计划"
    n2 = m.group("n2")
    ordinal = _PLAN_ORD.get(n2)
    if ordinal is None:
        return None
    return f"{n2}五规划" if ordinal >= 11 else f"{n2}五计划"


# --- the matcher ---------------------------------------------------------------


class ProgramMatcher:
    """Find named programs in text; spans refer to the caller's original string.

    Parameters
    ----------
    gazetteer:
        A :class:`Gazetteer` (default: the shipped one).
    user_files:
        Extra gazetteer files (TOML or TSV) whose entries are added to it.
    patterns:
        Also report templated names not in the gazetteer (numbered slogans in
        quotes, "X大工程", five-year plans).  A quoted template is skipped where
        the text criticises it (反对“…”, 搞“一刀切”, “四风”问题), where it is a
        streak ("18连增") or a span of time ("15分钟"): these are not programs.
    include_concepts:
        Also report gazetteer entries of category ``"concept"`` (ideology and
        theory names, guiding concepts and national goals such as 新发展理念,
        中国式现代化, 新常态), which are not programs by the annotation guide.

    Building the automaton happens on first use, not in ``__init__``.

    >>> m = ProgramMatcher()
    >>> [x.name for x in m.find("实施“十四五”规划，推进长三角一体化发展")]
    ['十四五', '长三角一体化']
    """

    def __init__(
        self,
        gazetteer: Optional[Gazetteer] = None,
        user_files: Sequence[Union[str, Path]] = (),
        patterns: bool = True,
        include_concepts: bool = False,
    ) -> None:
        self.gazetteer = gazetteer
        self.user_files = tuple(user_files)
        self.patterns = patterns
        self.include_concepts = include_concepts

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    @functools.cached_property
    def _gaz(self) -> Gazetteer:
        g = self.gazetteer if self.gazetteer is not None else Gazetteer.default()
        for f in self.user_files:
            g = g.merged(Gazetteer.from_file(f))
        return g

    @functools.cached_property
    def _automaton(self):  # noqa: ANN202
        """An Aho-Corasick automaton (ahocorasick-rs) of the surface forms, and the forms.

        The contiguous NFA, not the DFA: alone, the DFA scans the reference
        corpora faster (about 0.04 s against 0.07 s), but it takes 17 MB against
        1 MB for the gazetteer's 2,020 surface forms, and in the tagger, where
        the tokenizer's dictionary and the classifier's tables compete for the
        same caches, tagging ran 3-8% faster with the NFA (three A/B runs of
        tag_document on ../shared/corpora).
        """
        import ahocorasick_rs

        keys = self._surface_keys(self.include_concepts)
        return ahocorasick_rs.AhoCorasick(keys, implementation=ahocorasick_rs.Implementation.ContiguousNFA), keys

    @functools.cached_property
    def _tokenizer(self):  # noqa: ANN202
        """A tokenizer that keeps program names whole (for discovery)."""
        from .tokenize import Tokenizer

        tok = Tokenizer()
        tok.add_words(self.surface_forms())
        return tok

    @functools.cached_property
    def _plain_tokenizer(self):  # noqa: ANN202
        """jieba's own segmentation, to tell a short name from part of a word."""
        from .tokenize import Tokenizer

        return Tokenizer()

    def surface_forms(self) -> list[str]:
        """All surface forms (simplified, no quotes), e.g. for :meth:`Tokenizer.add_words`."""
        return self._surface_keys(include_concepts=True)

    def _surface_keys(self, include_concepts: bool) -> list[str]:
        """Sorted distinct surface keys of two characters or more (of concepts too, if asked)."""
        return sorted({k for p in self._gaz if p.category != CONCEPT or include_concepts
                       for s in p.surface_forms for k in (_surface_key(s),) if len(k) >= 2})

    @property
    def programs(self) -> Gazetteer:
        return self._gaz

    def find(self, text: Union[str, Normalized]) -> list[Mention]:
        """All program mentions in ``text``, longest match first, no overlaps.

        Offsets index the original string (``text`` itself, or
        ``text.original`` for a :class:`Normalized`).
        """
        norm = text if isinstance(text, Normalized) else normalize(text)
        return self._find(norm.text, norm.offsets, norm.original)

    def find_in_paragraph(self, paragraph, original: str) -> list[Mention]:  # noqa: ANN001
        """Mentions in a :class:`~policytag.paragraphs.Paragraph` of ``original``."""
        return self._find(paragraph.text, paragraph.offsets, original)

    def find_in_paragraphs(self, paragraphs, original: str) -> list[list[Mention]]:  # noqa: ANN001
        """Mentions in each of a document's paragraphs: the same as calling
        :meth:`find_in_paragraph` on each, in one pass over the document."""
        paras = list(paragraphs)
        if not paras:
            return []
        joined = _SEP.join(p.text for p in paras)  # normalized text never holds _SEP
        out: list[list[Mention]] = [[] for _ in paras]
        starts = [p.start for p in paras]
        k = 0
        for m in self._find(joined, _JoinedOffsets(paras), original):  # in text order
            while k + 1 < len(paras) and m.start >= starts[k + 1]:
                k += 1
            out[k].append(m)
        return out

    # The work: strip quotes (keeping an offset map), run the automaton and the
    # patterns on the stripped text, resolve overlaps, map back to the original.
    def _find(self, text: str, offsets: Union[np.ndarray, _JoinedOffsets], original: str) -> list[Mention]:
        if not text:
            return []
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        quote = _QUOTE_OR_NL_TABLE[np.minimum(cps, 0xFFFF)]  # (U+FFFF is not a quote mark)
        if quote.any():
            keep = np.flatnonzero(~quote)
            stripped = cps[keep].tobytes().decode("utf-32-le", "surrogatepass")
        else:
            keep = range(len(text))
            stripped = text
        cands: list[tuple[int, int, str, Optional[Program], str]] = []
        automaton, keys = self._automaton
        lookup = self._gaz.lookup
        for i, start, end in automaton.find_matches_as_indexes(stripped, overlapping=True):
            key = keys[i]
            cands.append((start, end, key, lookup(key), "gazetteer"))
        if self.patterns and _PATTERN_HINT.search(text):
            cands += self._pattern_candidates(text, keep)
        if not cands:
            return []
        cands.sort(key=lambda c: (-(c[1] - c[0]), c[0], c[4] != "gazetteer"))
        taken = bytearray(len(stripped) + 1)
        chosen = []
        for c in cands:
            s, e = c[0], c[1]
            if any(taken[s:e]):
                continue
            if c[4] == "gazetteer" and not self._plausible_short(text, keep, stripped, s, e):
                continue
            if stripped.startswith("普法", e) and (c[3] is None or c[3].category == "plan"):
                continue  # “七五”普法 is the legal-education plan, not the five-year plan
            taken[s:e] = b"\x01" * (e - s)
            chosen.append(c)
        chosen.sort(key=lambda c: c[0])
        out = []
        for s, e, key, prog, source in chosen:
            if prog is not None and prog.category == CONCEPT and not self.include_concepts:
                continue  # a template that spelled a concept's name
            o_start = int(offsets[keep[s]])
            o_end = int(offsets[keep[e - 1]]) + 1
            if prog is not None:
                out.append(Mention(prog.name, original[o_start:o_end], o_start, o_end,
                                   prog.category, prog.themes, "gazetteer"))
            else:
                out.append(Mention(key, original[o_start:o_end], o_start, o_end, "slogan", (), source))
        return out

    def _pattern_candidates(self, text: str, keep) -> list:  # noqa: ANN001
        found: list[tuple[int, int, str, Optional[str]]] = []  # start, end (in text), name, quoted body
        # _PLAN's 五 follows its ordinal (十四五) or 个 (第十四个五年); _BIG_PROJECT's 大 a numeral
        for m in _finditer_near(_PLAN, text, "五", 5, "一二三四五六七八九十个"):
            name = _plan_name(m)
            if name:
                found.append((m.start(), m.end(), name, None))
        for m in _NUMBERED_QUOTED.finditer(text):
            body = m.group("body")
            name = body + m.group("tail")
            if not _HAN.search(name) or len(body) < 2 or _NOT_A_PROGRAM.match(body):
                continue
            if not m.group("tail") and (_CRITICISED_BEFORE.search(text, max(0, m.start() - 8), m.start() + 1)
                                        or _CRITICISED_AFTER.match(text, m.end())):
                continue
            found.append((m.start(), m.end(), name, body))
        for m in _finditer_near(_BIG_PROJECT, text, "大", 3, _CN_NUM):
            found.append((m.start(), m.end(), m.group(0), None))
        if not found:
            return []
        # positions in text -> positions in the quote-stripped text (one searchsorted for all)
        if isinstance(keep, range):  # nothing was stripped: positions are unchanged
            starts = [f[0] for f in found]
            ends = [f[1] for f in found]
        else:
            se = np.searchsorted(np.asarray(keep), [x for f in found for x in f[:2]]).tolist()
            starts, ends = se[0::2], se[1::2]
        n_kept = len(keep)
        lookup = self._gaz.lookup
        out = []
        for (_, _, name, body), ss, ee in zip(found, starts, ends):
            if ee <= ss:
                continue
            key = _QUOTE_OR_NL.sub("", name)
            prog = lookup(key)
            if prog is None and body is not None:  # “三区一中心”战略: the entry 三区一中心
                prog = lookup(body)
            out.append((ss, min(ee, n_kept), key, prog, "pattern"))
        return out

    def _plausible_short(self, text: str, keep: list[int], stripped: str, s: int, e: int) -> bool:
        """Short names are ambiguous: a two-character name ("两山", "双减") counts
        only in quotes or before a program word; a three-character one only
        where jieba does not cut through its edges (not inside another word)."""
        n = e - s
        if n > 3:
            return True
        i, j = int(keep[s]), int(keep[e - 1])
        quoted = (i > 0 and text[i - 1] in "“‘\"'「") or (j + 1 < len(text) and text[j + 1] in "”’\"'」")
        if quoted:
            return True
        if n == 2:
            return bool(_PROGRAM_WORD_AFTER.match(stripped, e))
        lo, hi = max(0, s - 8, stripped.rfind(_SEP, 0, s) + 1), min(len(stripped), e + 8)
        sep = stripped.find(_SEP, e, hi)
        hi = hi if sep < 0 else sep  # the window stays inside the paragraph
        bounds = {0}
        acc = 0
        for t in self._plain_tokenizer.cut(stripped[lo:hi]):
            acc += len(t)
            bounds.add(acc)
        return (s - lo) in bounds and (e - lo) in bounds


# --- discovery ------------------------------------------------------------------

_SUFFIXES = ("工程", "行动", "战略", "计划", "改革", "示范区", "经验", "攻坚战", "保卫战", "专项行动")
_STOP = set("实施 推进 深化 加快 推动 开展 启动 落实 坚持 建设 全面 深入 持续 大力 积极 着力 "
            "继续 进一步 的 和 与 及 等 为 以 在 对 了 是 把 将 新 好 重大 重点 各项 一批 有 "
            "领域 方面 各 项 这 个 一 其他 相关 一系列 这些 各类".split())


@dataclass
class Candidate:
    """A possible program name found by :func:`discover`."""

    name: str
    count: int
    documents: int
    examples: list[str] = field(default_factory=list)


def discover(
    texts: Iterable[Union[str, tuple[str, str]]],
    matcher: Optional[ProgramMatcher] = None,
    min_count: int = 2,
    max_examples: int = 3,
) -> list[Candidate]:
    """Candidate program names in ``texts`` that the gazetteer does not know.

    ``texts`` are strings or ``(doc_id, text)`` pairs.  Candidates are quoted
    names, numbered slogans and "…工程/行动/战略/计划/改革" phrases, ranked by
    frequency, each with a few example contexts.
    """
    matcher = matcher or ProgramMatcher()
    known = set(matcher.surface_forms())
    tok = matcher._tokenizer
    counts: Counter = Counter()
    docs_with: dict[str, set] = defaultdict(set)
    examples: dict[str, list[str]] = defaultdict(list)
    quoted = re.compile(r"“([^“”，。；：、\s]{2,12})”((?:战略|工程|行动|计划|改革|经验|示范区)?)")
    for k, item in enumerate(texts):
        doc_id, raw = item if isinstance(item, tuple) else (str(k), item)
        text = normalize(raw).text
        found: list[tuple[int, int, str]] = []
        for m in quoted.finditer(text):
            found.append((m.start(), m.end(), m.group(1) + m.group(2)))
        for line in text.split("\n"):
            base = text.find(line)
            toks = tok.cut(line)
            pos = 0
            starts = []
            for t in toks:
                starts.append(pos)
                pos += len(t)
            for i, t in enumerate(toks):
                if t in _SUFFIXES or any(t.endswith(s) and len(t) > len(s) for s in _SUFFIXES):
                    j = i
                    while j > 0 and i - j < 3 and _HAN.search(toks[j - 1]) and toks[j - 1] not in _STOP:
                        j -= 1
                    name = "".join(toks[j : i + 1])
                    stem = next((t[: -len(x)] for x in _SUFFIXES if t.endswith(x)), t)
                    if j == i and (stem in _STOP or len(stem) < 2):
                        continue
                    if j < i or t not in _SUFFIXES:
                        found.append((base + starts[j], base + starts[i] + len(t), name))
        for s, e, name in found:
            key = _surface_key(name)
            if len(key) < 3 or key in known or key in _SUFFIXES:
                continue
            counts[key] += 1
            docs_with[key].add(doc_id)
            if len(examples[key]) < max_examples:
                examples[key].append(f"{doc_id}: …{text[max(0, s - 15):e + 15]}…".replace("\n", " "))
    out = [Candidate(n, c, len(docs_with[n]), examples[n]) for n, c in counts.items() if c >= min_count]
    out.sort(key=lambda c: (-c.count, -c.documents, c.name))
    return out
