"""Named programs: a gazetteer shipped as data and a fast matcher.

The gazetteer (``policytag/data/programs.toml``) lists programs, campaigns,
strategies, reforms, projects, plans and slogans with their aliases,
category, level, region and the themes they imply.  :class:`ProgramMatcher`
compiles it (plus any user gazetteer) into an Aho-Corasick automaton and a
few patterns for templated names (numbered five-year plans, numbered slogans
in quotes, "X大工程"); a small learned scorer adds names built on a program
word ("粮食节约行动", "民营银行试点") that no list could hold.  Every mention
comes with its span in the caller's *original* string: traditional
characters, pinyin glosses and spaced-out quotes included.

>>> m = ProgramMatcher()
>>> [(x.name, x.text) for x in m.find("堅持“八八戰略”，深化 “ 最多跑一次 ” 改革")]
[('八八战略', '八八戰略'), ('最多跑一次', '最多跑一次 ” 改革')]
"""
from __future__ import annotations

import bisect
import functools
import itertools
import logging
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Sequence, Union

import numpy as np

from .normalize import Normalized, normalize

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover
    import tomli as _toml  # type: ignore[no-redef]

__all__ = ["Program", "Mention", "Gazetteer", "ProgramMatcher", "Candidate", "discover"]

_log = logging.getLogger(__name__)

CATEGORIES = ("strategy", "campaign", "reform", "project", "plan", "slogan", "concept")
# "concept": named things that are not programs by labeled/GUIDE.md's definition:
# ideology and theory names, guiding concepts and principles, the constitutional aims
# (习近平新时代中国特色社会主义思想, 新发展理念, 中国式现代化, 新常态, 社会主义现代化强国),
# titles awarded to many places (国家生态文明建设示范区), metropolitan areas (武汉都市圈),
# trade agreements, expos, censuses and party regulations (中央八项规定).  Construction
# goals a government carries out (制造强国, 教育强省, 健康中国) are programs (J05's rulings).
# They are kept in the gazetteer so a user can count them, but the matcher skips
# them unless asked.
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
    def default(cls, extended: bool = False) -> "Gazetteer":
        """The gazetteer shipped with policytag.

        ``extended=True`` adds ``policytag/data/programs_discovered.tsv``: 156
        names that :func:`discover` listed over the reference corpora and one
        curator accepted but a second reader did not (the 703 both kept are in
        the shipped file).  It is for counting a corpus where missing a program
        costs more than a false mention.

        >>> len(Gazetteer.default(extended=True)) - len(Gazetteer.default())
        156
        """
        return _extended_gazetteer() if extended else _default_gazetteer()

    @classmethod
    def from_file(cls, path: Union[str, Path]) -> "Gazetteer":
        """Read a user gazetteer: TOML (``[[program]]`` tables) or TSV.

        TSV columns: ``name, aliases (separated by ;), category, level,
        region, themes (separated by ;)``; a header line (first column
        ``name``) and lines starting with ``#`` are skipped.
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
        if not line.strip() or line.startswith("#") or line.split("\t", 1)[0].strip().lower() == "name":
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


@functools.lru_cache(maxsize=None)
def _extended_gazetteer() -> Gazetteer:
    text = resources.files("policytag").joinpath("data/programs_discovered.tsv").read_text(encoding="utf-8")
    return _default_gazetteer().merged(Gazetteer(_programs_from_tsv(text, "policytag/data/programs_discovered.tsv")))


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
    rf"(?:[{_CN_NUM}]+|\d+)(?:连[增丰升涨冠胜降优好A]|分钟|小时|刻钟|秒)$"
    # ... and policy documents of measures, which the guide treats like regulations
    # (出台“40条”, “十条”措施), and political consensus formulas (“九二共识”, a principle)
    rf"|(?:[{_CN_NUM}]+|\d+)条$|.*共识$"
)
# ... and, with no program word after the quote, outcomes reported as counts: 实现“双提升”,
# 持续“双缩减” (but 实施“双提升”工程 is a program, and so is “双减”)
_OUTCOME = re.compile(rf"[{_CN_NUM}]+个?(?:明显)?(?:提升|提高|缩减|下降|降低|增长|减少|增加|全覆盖|翻番)$"
                      rf"|(?:[{_CN_NUM}]+[降减增升]){{2,}}$")  # 火灾“一降三减”
# ... and phrases the text criticises or rejects: 反对“一切向钱看”, 搞“两个中国”,
# 切忌搞“一刀切”, 解决企业之间的“三角债”, “四风”问题 (the guide excludes criticised
# phenomena).  Only for quoted templates with no program word after the quote.
_CRITICISED_BEFORE = re.compile(
    r"(?:反对|搞(?![好活])|切忌|防止|杜绝|克服|纠正|纠(?=“)|纠治|整治|摆脱|破解|清理|遏制|抵制|根治|解决|制造|鼓吹|所谓"
    r"|严打|打击)"
    r"[^，。；：“”\x00]{0,6}“$"
)
_CRITICISED_AFTER = re.compile(r"(?:问题|现象|困境|阴谋|倾向|顽疾|之风|歪风|论调)")
# ... and numbered labels of a class of people, firms, industries or costs, not of a
# program: “两院”院士, “三资”企业, “两高”行业/项目, “三公”消费/经费, “五险一金”缴费,
# “双师型”教师, “三甲”医院, “四上”单位, “六特”产业; of a platform (“万卷府抵”服务平台); and of a principle or way of
# thinking: “六个坚持”(的)重大原则, “一盘棋”思想 (the guide records none of these) ...
_CLASS_NOUN_AFTER = re.compile(
    r"(?:院士|企业|行业|产业|单位|项目|教师|人员|干部|消费|经费|缴费|费用|医院|学校|(?:服务)?平台"
    r"|的?(?:重大|重要|基本|根本)原则|思想|意识|规律|理念|精神)"
)
# ... and a few fixed phrases that are never a program: the numbered name of a political
# clique; the formulas of Taiwan's separation that the reports reject, also where they
# stand in a list after the verb (反对“两个中国”、“一中一台”或“一国两府”); idioms of
# manner (“一刀切”, “一盘棋”, “一揽子”, “四梁八柱”); kinds of assets and payments (农村集体“三资”,
# “五险一金”); and the label of a policy area (“三医”, like 三农; adj06, adj07).
_NOT_A_PROGRAM_NAMES = frozenset({"四人帮", "两个中国", "一中一台", "一国两府", "一刀切", "一盘棋",
                                  "一揽子", "三资", "三医", "两个大局", "五险一金", "四梁八柱"})
# ... and, for labels the gazetteer does not know, the numbered label of a spatial layout
# or a set of facilities, which the guide treats as places (“一群三带”, “四纵三横”,
# “三站一场”, “三区一村”; adj07), and a label ending in a class of things counted
# (“十小项目”, “四类管线”, “六要素”, “两个10亿元”).
_LAYOUT = re.compile(rf"(?:(?:[{_CN_NUM}]{{1,2}}|\d{{1,2}})[站场纵横圈带区村轴群核廊极片环翼线网]){{2,}}$")
_CLASS_LABEL = re.compile(r".*(?:项目|管线|要素|能力|慢病|设施|资金|万元|亿元)$")
# ... and, for labels the gazetteer does not know, a count label that sums up the list
# just before it (算力、数据、人工智能、电子信息“四大产业”) or names the parts of a
# program named just before it (攻坚行动“七大工程”, 攻坚“七个专项行动”): the guide
# records neither (adj05 rulings).
_COUNT_LABEL = re.compile(rf"(?P<n>[{_CN_NUM}]{{1,3}}|\d{{1,2}})(?:大|个|项|类|张)")
_PROGRAM_WORD_BEFORE = re.compile(r"(?:行动|攻坚|工程|计划|战略|规划|方案|改革)$")
_LIST_CLAUSE = re.compile(r"[^，。；：！？\n\x00“”]*$")
_LIST_AND = re.compile(r"[^、]*(?:和|及|与|以及)[^、]*$")
_CN_DIGIT = {"一": 1, "两": 2, "双": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}


def _count(numeral: str) -> Optional[int]:
    """The number a short numeral writes (三 -> 3, 十二 -> 12, 12 -> 12), else None."""
    if numeral.isdigit():
        return int(numeral)
    if numeral in _CN_DIGIT:
        return _CN_DIGIT[numeral]
    tens, sep, ones = numeral.partition("十")
    if not sep or (tens and tens not in _CN_DIGIT) or (ones and ones not in _CN_DIGIT):
        return None
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


def _clause_before(text: str, pos: int) -> str:
    """The text before ``pos`` back to the last clause mark or quote (at most 80 characters)."""
    return _LIST_CLAUSE.search(text, max(0, pos - 80), pos).group(0)


def _is_part_or_sum_label(text: str, start: int, body: str) -> bool:
    """Whether the quoted count label ``body`` at ``start`` (the opening quote) names
    the parts of the program just before it or sums up the list just before it."""
    m = _COUNT_LABEL.match(body)
    if m is None:
        return False
    if _PROGRAM_WORD_BEFORE.search(text, max(0, start - 4), start):
        return True
    n = _count(m.group("n"))
    if n is None or n < 2:
        return False
    if "一批" in body:  # “四个一批”: the name of a way of sorting projects, not a sum
        return False
    parts = _clause_before(text, start).split("、")
    if len(parts) < 2 or not all(_HAN.search(x) for x in parts[1:]):
        return False  # no list, or a list of quoted labels (“两个屏障”、“两个基地”)
    return len(parts) + (1 if _LIST_AND.match(parts[-1]) else 0) == n


# ... and a program's name where it only names something that bears it: an honorary title
# (双拥模范城), a title a ministry awards to places that apply (国家乡村振兴示范区, 新型工业化示范区;
# J19), a model village (和美乡村样板村), a meeting (闽宁协作联席会, 定点帮扶推进会), a showcase
# (母亲河复苏行动典型案例), a school or a course named after a project (“徐特立项目”学校,
# 新工科专业; J19); and a name that only qualifies a place or a stance: the source area named after
# a project (南水北调水源及沿线, 水源涵养区), the partner provinces of an aid programme (对口援青省份),
# a posture (依法严打高压态势; J12, J13, J23).  Not 工作, 品牌, 平台, 中心, 先行区 or 示范村, which the
# gold standard records with the program about as often as not (“千万工程”示范村, “投资重庆”品牌).
_HOLDER_AFTER = re.compile(r"(?:模范城|模范县|样板村|联席会|推进会|现场会|典型案例|学校|专业|示范区|大会|场所"
                           r"|水源|省份|高压态势)")


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
# An unknown quoted template that a program word ends or follows (“三大攻坚战”,
# “双提升”工程, “五个一”机制) is kept at this probability; a bare quoted label
# (“两委”, “一节四季”) needs the scorer's pattern_threshold (0.9).  Left out one
# studied set at a time (pg12-pg22), the first kind were 9 of 9 right, bare
# labels scoring 0.5-0.9 only 30 of 59 (scripts/train_program_scorer.py).
_NAMED_TEMPLATE_THRESHOLD = 0.5
_TEMPLATE_WORDS = "工程|行动|战略|攻坚战|计划|规划|改革|试点|示范区|机制|政策|方针|保卫战|战役"
_TEMPLATE_WORD_AFTER = re.compile(_TEMPLATE_WORDS)  # matched at the closing quote
_TEMPLATE_WORD_END = re.compile(f"(?:{_TEMPLATE_WORDS})$")
_COUNT_FIRST = frozenset("一二两三四五六七八九十百千万")  # 两山, 六稳: a count as often as a name
_PROGRAM_WORD_AFTER = re.compile(r"理念|战略|工程|行动|政策|改革|目标|工作|建设|试点|任务|要求|方针")
_BIG_PROJECT = re.compile(rf"[{_CN_NUM}]{{1,3}}大(?:工程|行动|战略|攻坚战|专项行动|计划)")


# --- learned names: "X行动", "X工程", "X试点" ... scored by a linear model -----------
#
# Names built on a program word ("稳岗扩容提质行动", "农村信用社改革", "民营银行试点")
# are too many to list, and most phrases ending in such a word are not names
# ("深化改革", "社会保障体系").  Each place a program word ends a jieba token gives
# a few candidate spans (the token, then one more word to the left at a time,
# stopping at punctuation and at verbs and function words); a logistic model
# trained on the program gold standard (scripts/train_program_scorer.py,
# weights in policytag/data/program_scorer.json) keeps the best-scoring span
# if it scores above its threshold.  The same model scores the quoted numbered
# templates that the gazetteer does not know.

_SPAN_SUFFIXES = ("行动计划", "专项行动", "攻坚战", "保卫战", "示范区", "试验区", "责任制",
                  "改革", "行动", "试点", "工程", "制度", "补贴", "计划", "战略", "战役")
_SPAN_SUFFIX_RX = re.compile("|".join(_SPAN_SUFFIXES))
_SUFFIX_OF = {x: x for x in _SPAN_SUFFIXES}
_SPAN_CATEGORY = {"改革": "reform", "制度": "reform", "责任制": "reform", "机制": "reform",
                  "体系": "reform", "政策": "reform", "补贴": "reform",
                  "行动": "campaign", "专项行动": "campaign", "攻坚战": "campaign",
                  "保卫战": "campaign", "战役": "campaign",
                  "工程": "project", "试点": "project", "示范区": "project", "试验区": "project",
                  "计划": "plan", "行动计划": "plan", "规划": "plan", "方案": "plan",
                  "战略": "strategy"}
_SPAN_STOP = frozenset(
    "实施 推进 深化 加快 推动 开展 启动 落实 坚持 建设 全面 深入 持续 大力 积极 着力 继续 进一步 "
    "的 和 与 及 等 为 以 在 对 了 是 把 将 新 好 重大 重点 各项 一批 有 领域 方面 各 项 这 个 一 "
    "其他 相关 一系列 这些 各类 完善 健全 建立 推行 探索 组织 实行 扩大 做好 抓好 搞好 加强 强化 "
    "提高 支持 鼓励 引导 促进 打好 打赢 统筹 谋划 出台 制定 落地 纵深 试行 开创 稳妥 有序 稳步 "
    "扎实 认真 切实 加大 力度 工作 我们 要 把握 通过 围绕 按照 根据 贯彻 执行 今年 去年 并 或 也 "
    "都 还 已 已经 正在 进行 取得 成效 不断".split())
# Words that do not make a name on their own: "专项行动", "综合改革", "制度改革",
# "提升工程" are kinds of program, not programs; a candidate needs one other word.
_SPAN_GENERIC = frozenset(
    "专项 专题 三年 十年 综合 配套 体制 制度 机制 体系 试点 示范 提升 攻坚 创新 重点 集中 整治 "
    "系列 改革 行动 工程 计划 战略 政策 保障 建设 发展 管理 服务 能力 综合性 一揽子 若干 多项 "
    "几项 多个 新一轮 这项 此项 该项 本轮 首批 第一批 第二批 年度 整体 总体".split())
_SPAN_CONJ = frozenset({"和", "与"})  # crossed once inside a name, never at its edge
_SPAN_MAX = 20  # characters in a candidate name
_SPAN_WINDOW = 24  # characters tokenized to the left of a program word
_CLAUSE_END = re.compile(r"[，。；：、！？,.;:!?（）()《》〈〉【】\[\]\n\x00\s]")
_LAST_CLAUSE_END = re.compile(r"(?s:.*)" + _CLAUSE_END.pattern)  # to the last mark in a window
_ALL_HAN = re.compile(r"[\u4e00-\u9fff]+")


class _SpanCandidate(NamedTuple):
    start: int  # in the quote-stripped text
    end: int  # the program word's end: one name at most per end
    logit: float  # the scorer's log-odds (0.0 without a scorer)
    features: Optional[tuple[str, ...]]  # only when asked for (training)


def _left_context(text: str, s: int, n: int) -> str:
    """The ``n`` characters before ``s``, within the paragraph (not across _SEP)."""
    return text[max(0, s - n):s].rpartition(_SEP)[2]


def _right_context(text: str, e: int, n: int) -> str:
    return text[e:e + n].partition(_SEP)[0]


def _context_features(text: str, s: int, e: int) -> list[str]:
    return [f"l1={_left_context(text, s, 1)}", f"l2={_left_context(text, s, 2)}",
            f"r1={_right_context(text, e, 1)}", f"r2={_right_context(text, e, 2)}"]


def _span_features(text: str, s: int, e: int, toks: Sequence[str], left: str, right: str,
                   suffix: str, widest: bool) -> tuple[str, ...]:
    name = text[s:e]
    f = [f"suf={suffix}", f"left={left}", f"right={right}", f"first={toks[0]}",
         f"len={min(len(name), 16)}", f"ntok={len(toks)}", f"c0={name[0]}", f"pre={name[:2]}",
         "src=learned"]
    if widest:
        f.append("widest")
    f += [f"bg={name[k:k + 2]}" for k in range(len(name) - 1)]
    f += [f"tok={t}" for t in toks]
    f.append("lastmod=" + (toks[-2] if len(toks) > 1 else toks[-1][:-len(suffix)]))
    f += _context_features(text, s, e)
    return tuple(dict.fromkeys(f))  # each feature once


def _pattern_features(text: str, s: int, e: int, key: str) -> tuple[str, ...]:
    f = ["src=pattern", f"plen={min(len(key), 10)}", f"pend={key[-2:]}"]
    f += [f"pbg={key[k:k + 2]}" for k in range(len(key) - 1)]
    f += _context_features(text, s, e)
    return tuple(dict.fromkeys(f))


def _nfa(keys: list[str]):  # noqa: ANN202
    """An Aho-Corasick automaton (ahocorasick-rs, contiguous NFA) of ``keys``."""
    import ahocorasick_rs

    return ahocorasick_rs.AhoCorasick(keys, implementation=ahocorasick_rs.Implementation.ContiguousNFA)


def _logit(p: float) -> float:
    return math.inf if p >= 1.0 else -math.inf if p <= 0.0 else math.log(p / (1.0 - p))


class _Scorer:
    """A linear model over string features, read from JSON (data only)."""

    def __init__(self, weights: dict, bias: float, span_threshold: float, pattern_threshold: float) -> None:
        self.weights = weights
        self.bias = bias
        self.span_threshold = span_threshold
        self.pattern_threshold = pattern_threshold

    @classmethod
    def read(cls, path: Union[str, Path, None] = None) -> "_Scorer":
        import json

        if path is None:
            raw = resources.files("policytag").joinpath("data/program_scorer.json").read_text(encoding="utf-8")
            where = "policytag/data/program_scorer.json"
        else:
            raw = Path(path).read_text(encoding="utf-8")
            where = str(path)
        try:
            d = json.loads(raw)
            weights = {str(k): float(v) for k, v in d["weights"].items()}
            return cls(weights, float(d["bias"]), float(d["span_threshold"]), float(d["pattern_threshold"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{where}: not a program scorer file (JSON with weights, bias, span_threshold, "
                             f"pattern_threshold): {exc!r}; rebuild it with scripts/train_program_scorer.py") from exc

    def logit(self, features: Iterable[str]) -> float:
        w = self.weights
        return self.bias + sum(w.get(f, 0.0) for f in features)

    def probability(self, features: Iterable[str]) -> float:
        return 1.0 / (1.0 + math.exp(-min(max(self.logit(features), -500.0), 500.0)))

    @functools.cached_property
    def tables(self) -> dict[str, dict[str, float]]:
        """The weights by feature kind ("bg=改革" -> tables["bg"]["改革"]), so that
        scoring a candidate looks values up without building feature strings."""
        out: dict[str, dict[str, float]] = defaultdict(dict)
        for f, w in self.weights.items():
            kind, _, value = f.partition("=")
            out[kind][value] = w
        return out


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
        Also report gazetteer entries of category ``"concept"``: named things
        that are not programs by the annotation guide, such as ideology names and
        principles (新发展理念, 中国式现代化), titles awarded to many places,
        metropolitan areas, trade agreements, expos, censuses and party regulations.
    learned:
        Use the learned scorer (``policytag/data/program_scorer.json``, or the
        path of a scorer file written by ``scripts/train_program_scorer.py``):
        report names ending in a program word (…行动, …工程, …试点, …改革,
        …制度, …示范区) that the gazetteer lacks when the scorer accepts them
        (``source="learned"``, named by their simplified text), and drop the
        quoted numbered templates it rejects.  ``False``: gazetteer names and
        every template the rules allow, no scorer at all.
    spans:
        With the scorer, also search for the names ending in a program word.
        ``False`` keeps the scorer's judgement of the quoted templates and skips
        that search, which is most of the learned matcher's time: about the
        speed of ``learned=False`` and most of ``learned=True``'s precision
        (on the 300 provincial paragraphs of pg36, held out when measured, the
        rules alone kept 37 templates of which 6 were right; the scorer kept 3).
        The tagger's default.

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
        learned: Union[bool, str, Path] = True,
        spans: bool = True,
    ) -> None:
        self.gazetteer = gazetteer
        self.user_files = tuple(user_files)
        self.patterns = patterns
        self.include_concepts = include_concepts
        self.learned = learned
        self.spans = spans

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    @functools.cached_property
    def _gaz(self) -> Gazetteer:
        g = self.gazetteer if self.gazetteer is not None else Gazetteer.default()
        for f in self.user_files:
            g = g.merged(Gazetteer.from_file(f))
        return g

    @functools.cached_property
    def _scorer(self) -> Optional[_Scorer]:
        if self.learned is False or self.learned is None:
            return None
        return _Scorer.read(None if self.learned is True else self.learned)

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
        keys = self._surface_keys(lambda p: p.category != CONCEPT or self.include_concepts)
        return _nfa(keys), keys

    @functools.cached_property
    def _concept_automaton(self):  # noqa: ANN202
        """The same of the concept names alone (None if there are none), for
        :meth:`_outside_concepts`."""
        keys = self._surface_keys(lambda p: p.category == CONCEPT)
        return (_nfa(keys) if keys else None), keys

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
        return self._surface_keys(lambda p: True)

    def _surface_keys(self, keep: Callable[[Program], bool]) -> list[str]:
        """Sorted distinct surface keys of two characters or more of the entries ``keep`` accepts."""
        return sorted({k for p in self._gaz if keep(p)
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
    def _find(self, text: str, offsets: Union[np.ndarray, _JoinedOffsets], original: str,
              rows: Optional[list] = None) -> list[Mention]:
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
            pats = self._pattern_candidates(text, keep)
            if pats and not self.include_concepts:
                pats = self._outside_concepts(stripped, pats)
            cands += pats
        scorer = self._scorer
        learn = scorer is not None or rows is not None
        if not cands and not learn:
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
            if c[4] == "gazetteer" and _HOLDER_AFTER.match(stripped, e):
                taken[s:e] = b"\x01" * (e - s)  # nor a shorter name inside it
                continue
            if stripped.startswith("普法", e) and (c[3] is None or c[3].category == "plan"):
                continue  # “七五”普法 is the legal-education plan, not the five-year plan
            taken[s:e] = b"\x01" * (e - s)
            chosen.append(c)
        if learn:
            chosen = self._learned(stripped, chosen, taken, scorer, rows)
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
            elif source == "learned":
                suffix = next(x for x in _SPAN_SUFFIXES if key.endswith(x))
                out.append(Mention(key, original[o_start:o_end], o_start, o_end,
                                   _SPAN_CATEGORY[suffix], (), source))
            else:
                out.append(Mention(key, original[o_start:o_end], o_start, o_end, "slogan", (), source))
        return out

    def _outside_concepts(self, stripped: str, pats: list) -> list:
        """The template candidates not inside a longer concept name: “一干两支”
        in “一干两支”机场改造升级工程 is part of that project's name, not a slogan
        of its own.  (Concept names do not otherwise block matches, so that
        改革开放 is still found in 全面深化改革开放.)"""
        automaton, keys = self._concept_automaton
        if automaton is None:
            return pats
        spans = [(s, e) for _, s, e in automaton.find_matches_as_indexes(stripped, overlapping=True)]
        if not spans:
            return pats
        return [c for c in pats if not any(s <= c[0] and c[1] <= e and e - s > c[1] - c[0] for s, e in spans)]

    def _learned(self, stripped: str, chosen: list, taken: bytearray, scorer: Optional[_Scorer],
                 rows: Optional[list]) -> list:
        """The chosen gazetteer and template names, less the templates the scorer
        rejects, plus the best-scoring name ending in a program word at each place
        no chosen name covers.  ``rows`` (for training) collects every scored
        candidate as ``(kind, start, end, name, features)``."""
        kept = []
        for c in chosen:
            if c[4] == "pattern" and c[3] is None:
                feats = _pattern_features(stripped, c[0], c[1], c[2])
                if rows is not None:
                    rows.append(("pattern", c[0], c[1], c[2], feats))
                if scorer is not None:
                    cut = scorer.pattern_threshold
                    if _TEMPLATE_WORD_END.search(c[2]) or _TEMPLATE_WORD_AFTER.match(stripped, c[1]):
                        cut = min(cut, _NAMED_TEMPLATE_THRESHOLD)  # “双提升”工程, not a bare label
                    if scorer.probability(feats) < cut:
                        continue
            kept.append(c)
        cut_z = _logit(scorer.span_threshold) if scorer is not None else 0.0
        best: dict[int, _SpanCandidate] = {}
        search = self.spans or rows is not None  # (training rows always get the span candidates)
        for sc in (self._span_candidates(stripped, taken, scorer, rows is not None) if search else ()):
            if any(taken[sc.start:sc.end]):
                continue  # inside or across a name already found
            if rows is not None:
                rows.append(("span", sc.start, sc.end, stripped[sc.start:sc.end], sc.features))
            if scorer is not None and sc.logit >= cut_z and (sc.end not in best or sc.logit > best[sc.end].logit):
                best[sc.end] = sc
        for sc in sorted(best.values(), key=lambda x: (-x.logit, x.start)):
            if any(taken[sc.start:sc.end]):
                continue
            taken[sc.start:sc.end] = b"\x01" * (sc.end - sc.start)
            kept.append((sc.start, sc.end, stripped[sc.start:sc.end], None, "learned"))
        return kept

    def _pattern_candidates(self, text: str, keep) -> list:  # noqa: ANN001
        found: list[tuple[int, int, str, Optional[str]]] = []  # start, end (in text), name, quoted body
        # _PLAN's 五 follows its ordinal (十四五) or 个 (第十四个五年); _BIG_PROJECT's 大 a numeral
        for m in _finditer_near(_PLAN, text, "五", 5, "一二三四五六七八九十个"):
            name = _plan_name(m)
            if name:
                found.append((m.start(), m.end(), name, None))
        criticised_end = -1  # end of the last quote rejected as criticised
        for m in _NUMBERED_QUOTED.finditer(text):
            body = m.group("body")
            name = body + m.group("tail")
            if (not _HAN.search(name) or len(body) < 2 or _NOT_A_PROGRAM.match(body)
                    or (body in _NOT_A_PROGRAM_NAMES and not m.group("tail"))):  # “两个大局”战略 is one
                continue
            if not m.group("tail"):
                if _OUTCOME.match(body):
                    continue
                if (_CRITICISED_BEFORE.search(text, max(0, m.start() - 8), m.start() + 1)
                        or _CRITICISED_AFTER.match(text, m.end())
                        # the next item of a rejected list: 反对“两个中国”、“一中一台”
                        or (criticised_end >= 0 and m.start() - criticised_end <= 1
                            and text[criticised_end:m.start()] in ("", "、", "或", "和", "与", "及"))):
                    criticised_end = m.end()
                    continue
                if _CLASS_NOUN_AFTER.match(text, m.end()):
                    continue
            found.append((m.start(), m.end(), name, body))
        for m in _finditer_near(_BIG_PROJECT, text, "大", 3, _CN_NUM):
            before = text[m.start() - 1] if m.start() > 0 else ""
            if before in ("“", "等") and self._gaz.lookup(m.group(0)) is None and (
                    # 攻坚行动“七大工程”, or A、B、C“三大行动”: parts of a program, or a sum
                    _is_part_or_sum_label(text, m.start() - 1, m.group(0)) if before == "“"
                    # A、B、C等六大行动: a count label summing up the list before it
                    else "、" in _clause_before(text, m.start())):
                continue
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
        for (start, _, name, body), ss, ee in zip(found, starts, ends):
            if ee <= ss:
                continue
            key = _QUOTE_OR_NL.sub("", name)
            prog = lookup(key)
            if prog is None and body is not None:  # “三区一中心”战略: the entry 三区一中心
                prog = lookup(body)
            if prog is None and body is not None and (
                    _is_part_or_sum_label(text, start, body)
                    or (not name[len(body):] and (_LAYOUT.match(body) or _CLASS_LABEL.match(body)))):
                continue
            out.append((ss, min(ee, n_kept), key, prog, "pattern"))
        return out

    def _span_candidates(self, stripped: str, taken: bytearray, scorer: Optional[_Scorer],
                         with_features: bool) -> list[_SpanCandidate]:
        """Candidate names ending in a program word and not touching a name in
        ``taken``, each with the scorer's log-odds (and its features if asked).

        The log-odds are summed straight from the scorer's tables, growing the
        name one token to the left at a time; they equal
        ``scorer.logit(_span_features(...))`` (tests/test_programs.py checks it).
        """
        out: list[_SpanCandidate] = []
        cut = self._plain_tokenizer.cut
        windows: dict[tuple[int, int], tuple[list[str], list[int]]] = {}
        T = scorer.tables if scorer is not None else defaultdict(dict)
        w_bg, w_tok, w_left, w_first = T["bg"], T["tok"], T["left"], T["first"]
        w_len, w_ntok, w_c0, w_pre, w_l1, w_l2 = T["len"], T["ntok"], T["c0"], T["pre"], T["l1"], T["l2"]
        w_lastmod = T["lastmod"]
        w_widest = T["widest"].get("", 0.0)
        base0 = (scorer.bias if scorer is not None else 0.0) + T["src"].get("learned", 0.0)
        for m in _SPAN_SUFFIX_RX.finditer(stripped):
            a, b = m.start(), m.end()
            if taken[b - 1]:
                continue  # the program word ends inside a name already found
            lo = max(0, b - _SPAN_WINDOW)
            last = _LAST_CLAUSE_END.match(stripped, lo, a)
            if last is not None:
                lo = last.end()
            if lo >= a:
                continue  # nothing to the program word's left in its clause: no name
            end = _CLAUSE_END.search(stripped, b, b + 4)
            hi = min(len(stripped), b + 4) if end is None else end.start()
            win = windows.get((lo, hi))
            if win is None:
                toks = cut(stripped[lo:hi])
                win = windows[(lo, hi)] = (toks, list(itertools.accumulate((len(t) for t in toks), initial=lo)))
            toks, starts = win
            i = bisect.bisect_left(starts, b) - 1  # the token ending at b, if one does
            if i < 0 or starts[i + 1] != b:
                continue  # the program word is inside a longer word (改革开放, 工程师)
            tok = toks[i]
            suffix = _SUFFIX_OF.get(tok[-4:]) or _SUFFIX_OF.get(tok[-3:]) or _SUFFIX_OF.get(tok[-2:])
            if suffix is None:
                continue
            # the widest extent: tokens to the left while they are words, not stop words
            # (one 和 or 与 may be crossed, between two such words: 公务员职务和职级并行制度)
            def word(x: int) -> bool:  # token x can be part of the name
                return (b - starts[x] <= _SPAN_MAX and _ALL_HAN.fullmatch(toks[x]) is not None
                        and toks[x] not in _SPAN_STOP)

            j = i
            crossed = False
            while j > 0:
                if word(j - 1):
                    j -= 1
                elif not crossed and 1 < j < i and toks[j - 1] in _SPAN_CONJ and word(j - 2):
                    j -= 2
                    crossed = True
                else:
                    break
            if j == i and len(tok) <= len(suffix) + 1:
                continue
            head = tok[:-len(suffix)]  # the program word's own token, less the word
            named = bool(head) and head not in _SPAN_GENERIC and head not in _SPAN_STOP
            right = toks[i + 1] if i + 1 < len(toks) else "$"
            shared = (base0 + T["suf"].get(suffix, 0.0) + T["right"].get(right, 0.0)
                      + T["r1"].get(_right_context(stripped, b, 1), 0.0)
                      + T["r2"].get(_right_context(stripped, b, 2), 0.0))
            lastmod_multi = w_lastmod.get(toks[i - 1], 0.0) if i > 0 else 0.0
            seen_bg: set[str] = set()
            seen_tok: set[str] = set()
            acc = 0.0  # bigram and token weights of the name so far (each feature once)
            prev_start = b
            for k in range(i, j - 1, -1):
                s0 = starts[k]
                for q in range(s0, prev_start if k < i else b - 1):
                    bg = stripped[q:q + 2]
                    if bg not in seen_bg:
                        seen_bg.add(bg)
                        acc += w_bg.get(bg, 0.0)
                if toks[k] not in seen_tok:
                    seen_tok.add(toks[k])
                    acc += w_tok.get(toks[k], 0.0)
                prev_start = s0
                if toks[k] in _SPAN_CONJ:
                    continue  # a name does not start with 和
                if k < i and toks[k] not in _SPAN_GENERIC:
                    named = True
                n = b - s0
                if n <= len(suffix) + 1 or not named:
                    continue  # too short, or only generic words before the program word
                left = toks[k - 1] if k > 0 else "^"
                z = (shared + acc + w_left.get(left, 0.0) + w_first.get(toks[k], 0.0)
                     + w_len.get(str(min(n, 16)), 0.0) + w_ntok.get(str(i - k + 1), 0.0)
                     + w_c0.get(stripped[s0], 0.0) + w_pre.get(stripped[s0:s0 + 2], 0.0)
                     + (lastmod_multi if k < i else w_lastmod.get(tok[:-len(suffix)], 0.0))
                     + w_l1.get(_left_context(stripped, s0, 1), 0.0) + w_l2.get(_left_context(stripped, s0, 2), 0.0)
                     + (w_widest if k == j else 0.0))
                feats = None
                if with_features:
                    feats = _span_features(stripped, s0, b, toks[k:i + 1], left, right, suffix, k == j)
                out.append(_SpanCandidate(s0, b, z, feats))
        return out

    def _plausible_short(self, text: str, keep: list[int], stripped: str, s: int, e: int) -> bool:
        """Short names are ambiguous.  A name of two or three characters counts in
        quotes, or where jieba does not cut through its edges (援疆 in 对口援疆,
        双拥 and 扫黄 alone; not 低保 in 最低保障).  A two-character name that
        starts with a number ("两山", "六稳") is a count as often as a name (两山之间),
        so outside quotes it counts only before a program word (两山理念)."""
        n = e - s
        if n > 3:
            return True
        i, j = int(keep[s]), int(keep[e - 1])
        quoted = (i > 0 and text[i - 1] in "“‘\"'「") or (j + 1 < len(text) and text[j + 1] in "”’\"'」")
        if quoted:
            return True
        if n == 2:
            if _PROGRAM_WORD_AFTER.match(stripped, e):
                return True
            if stripped[s] in _COUNT_FIRST:
                return False
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

_QUOTED_NAME = re.compile(r"“([^“”，。；：、\s]{2,12})”((?:" + "|".join(_SPAN_SUFFIXES) + r"|经验)?)")


@dataclass
class Candidate:
    """A possible program name found by :func:`discover`.

    ``score`` is the learned scorer's highest probability for the name in any
    of its contexts (``None`` for a quoted name it does not score): names
    above the matcher's threshold are already reported with ``source="learned"``;
    the rest are for a reader to judge.
    """

    name: str
    count: int  # paragraphs it occurs in
    documents: int
    examples: list[str] = field(default_factory=list)
    score: Optional[float] = None


def discover(
    texts: Iterable[Union[str, tuple[str, str]]],
    matcher: Optional[ProgramMatcher] = None,
    min_count: int = 2,
    max_examples: int = 3,
) -> list[Candidate]:
    """Candidate program names in ``texts`` that the gazetteer does not know.

    ``texts`` are strings or ``(doc_id, text)`` pairs.  The candidates are the
    ones the matcher itself weighs, whatever their score: at each place a
    program word (…改革, …行动, …工程, …试点, …制度, …示范区 …) ends outside a
    known name, the best-scoring name ending there; quoted numbered slogans
    the gazetteer lacks; and any other quoted name.  They are ranked by
    frequency, then score, each with a few example contexts, so that a reader
    can add the real names to a user gazetteer (``ProgramMatcher(user_files=...)``).

    >>> found = discover(["实施“三链协同”行动，推进稻渔综合种养示范工程。"] * 2)
    >>> found[0].name, found[0].count
    ('三链协同行动', 2)
    >>> [c.name for c in found if c.name.endswith("综合种养示范工程")] != []  # where it starts is the scorer's guess
    True
    """
    from .paragraphs import paragraphs

    matcher = matcher or ProgramMatcher()
    scorer = matcher._scorer or _Scorer.read()
    known = set(matcher.surface_forms())
    counts: Counter = Counter()
    docs_with: dict[str, set] = defaultdict(set)
    examples: dict[str, list[str]] = defaultdict(list)
    scores: dict[str, float] = {}
    for k, item in enumerate(texts):
        doc_id, raw = item if isinstance(item, tuple) else (str(k), item)
        for para in paragraphs(raw):
            rows: list = []
            matcher._find(para.text, para.offsets, raw, rows)
            stripped = _QUOTE_OR_NL.sub("", para.text)
            best: dict = {}  # a span's end, or ("pattern", start) -> (probability, start, end, name)
            for kind, s, e, name, feats in rows:
                prob = scorer.probability(feats)
                slot = e if kind == "span" else (kind, s)
                if slot not in best or prob > best[slot][0]:
                    best[slot] = (prob, s, e, name)
            found = [(name, prob, stripped, s, e) for prob, s, e, name in best.values()]
            found += [(m.group(1) + m.group(2), None, para.text, m.start(), m.end())
                      for m in _QUOTED_NAME.finditer(para.text)]
            seen: set[str] = set()  # each name once per paragraph
            for name, prob, where, s, e in found:
                key = _surface_key(name)
                if len(key) < 3 or key in known or key in _SUFFIX_OF:
                    continue
                if prob is not None:
                    scores[key] = max(prob, scores.get(key, 0.0))
                if key in seen:
                    continue
                seen.add(key)
                counts[key] += 1
                docs_with[key].add(doc_id)
                if len(examples[key]) < max_examples:
                    examples[key].append(f"{doc_id}: …{where[max(0, s - 15):e + 15]}…")
    out = [Candidate(n, c, len(docs_with[n]), examples[n], scores.get(n)) for n, c in counts.items()
           if c >= min_count]
    out.sort(key=lambda c: (-c.count, -(c.score or 0.0), -c.documents, c.name))
    return out
