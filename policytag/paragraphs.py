"""Split a document into paragraphs, dropping page furniture.

Real documents come as web pages and transcriptions: lines hard-wrapped in
the middle of a word ("政府工作报\\n告"), navigation and share widgets one
word per line, bylines, view counters, paywall markers, copyright notices and
spam link lists.  :func:`paragraphs` keeps the content, rejoins broken lines,
marks headings, and reports for every paragraph its span in the original
string.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

import numpy as np

from .normalize import Normalized, normalize

__all__ = ["Paragraph", "paragraphs", "is_furniture"]


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a document.

    ``text`` is normalized (simplified, cleaned, hard wraps rejoined);
    ``start``/``end`` is its span in the original input; ``index`` counts
    the kept paragraphs of the document from 0.

    >>> p = paragraphs("一、總體要求\\n\\n堅持發(fā)展，\\n改善民生。")[1]
    >>> p.text, p.index, p.is_heading
    ('坚持发展，改善民生。', 1, False)
    """

    index: int
    text: str
    start: int
    end: int
    is_heading: bool = False
    offsets: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    """``offsets[i]`` is the index in the original input of ``text[i]``."""

    def __len__(self) -> int:
        return len(self.text)

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map ``text[start:end]`` to a span of the original document."""
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise IndexError(f"span ({start}, {end}) is outside paragraph {self.index} (length {n})")
        if start == end:
            o = int(self.offsets[start]) if start < n else self.end
            return o, o
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1


# --- line classes ----------------------------------------------------------

_TERMINAL = re.compile(r"(?:[。！？!?；;：:…]|[。！？!?][”’」』)）]|\.{3})$")
_CONTINUES = re.compile(r"^[，。、；：！？）》”’」』,.;:!?)\]]")
_MID_SENTENCE = re.compile(r"[，、“（(《—]$")
_NUMBERED = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇\d]+[章节部分篇条]"
    r"|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十\d]{1,3}[）)]"
    r"|\d{1,2}[、.．](?!\d)"
    r"|[①②③④⑤⑥⑦⑧⑨⑩])"
)
_MARKER_ONLY = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[、.．])$")
_HEADING_WORDS = {"前言", "序言", "引言", "结束语", "结语", "附录", "总则", "附则"}

_WIDGETS = {
    "下载", "打印", "全屏", "收藏", "分享", "加大", "还原", "减小", "大", "中", "小",
    "【", "】", "[", "]", ">", "|", "×", "返回", "详情", "正文", "首页", "打印本页",
    "关闭窗口", "关闭", "我要评论", "分享到微信", "分享到", "评价", "附件", "纠错",
    "【字号", "【字体", "字号", "字体", "更多", "上一篇", "下一篇", "相关链接",
    "顶部", "返回顶部", "二维码", "微信", "微博", "网友点评", "发表评论", "相关文章",
}
_META_PREFIX = re.compile(
    r"^[【\[（(]?(?:来源|时间|发布时间|发表时间|发表于|发布日期|日期|作者|编辑|责任编辑|"
    r"浏览次数|阅读量|阅读次数|点击数|点击量|字号|字体|所在位置|当前位置|您的位置|"
    r"您现在的位置|分享到|分享|信息来源|文章来源|稿源)\s*[:：]"
)
_META_ANYWHERE = re.compile(
    r"浏览次数|阅读量|阅读次数|点击数|我要评论|字号[:：+]|责任编辑|发表于[:：]|发布时间[:：]"
    r"|\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}"
)
_DATE_LINE = re.compile(
    r"^[（(]?\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?[）)]?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
)
_NAV = re.compile(r"首页\s*[>›»]|^[>›»]$|^(?:返回|返 回)$|位置\s*[:：]")
_BYLINE = re.compile(
    r"^[\u4e00-\u9fff]{0,16}(?:省长|市长|主席|总理|书记|区长|县长|州长|盟长|旗长)"
    r"\s*[\u4e00-\u9fff·]{1,12}$"
)
_CAPTION = re.compile(
    r"(?:记者|摄影|通讯员).{0,20}摄$|^(?:制图|摄影|图片|图)[:：\s]?[\u4e00-\u9fff·]{2,5}$"
)
# Copyright, licence and contact notices.  Three patterns: Chinese literals
# (a plain alternation of literals is scanned fast), a word before a spaced
# " 技术支持" (the technical-support credit of a web page), and Latin words,
# case-insensitive, searched only in lines that have a Latin letter or a dot.
# (Not bare 侵权 or 技术支持: reports say 打击盗版侵权, 提供技术支持.)
_NOTICE = re.compile(
    r"版权所有|技术支持[:：]|免责声明|侵权必究|如有侵权|侵权请|侵权删|"
    r"转载请|不得转载|请勿转载|本站|扫码关注|扫一扫|办公室电话|联系电话[:：]|"
    r"请自觉遵守|著作权法》第五条|下载附件|提醒您|温馨提示|点击图片进入|大牛|约稿"
)
_NOTICE_CREDIT = re.compile(r"\S 技术支持\b")
_NOTICE_LATIN = re.compile(r"copyright|all rights reserved|ICP备|ICP证|e-mail[:：]|\.pdf|\.docx?\b", re.IGNORECASE)
_LATIN_OR_DOT = re.compile(r"[A-Za-z.]")


def _is_notice(s: str) -> bool:
    return bool(
        _NOTICE.search(s)
        or (" 技术支持" in s and _NOTICE_CREDIT.search(s))
        or (_LATIN_OR_DOT.search(s) and _NOTICE_LATIN.search(s))
    )


_AUTHOR_NOTE = re.compile(r"^[（(]作者(?:系|为|是|单位)")
_SPAM_WORDS = re.compile(
    r"色情|无码|三级片|毛片|黄片|操逼|人妻|福利视频|成人网|av成人|国产精品|博彩|娱乐城|赌场|"
    r"六合彩|时时彩|百家乐|视频导航|在线视频|久久(?!为功)"
)
_PROSE_PUNCT = re.compile(r"[。，；]")
# After one of these alone on a line, the rest of the page is furniture.
_TAIL_MARKERS = re.compile(
    r"^(?:相关报道|相关文章|相关文档|相关阅读|相关新闻|相关链接|温馨提示|网友点评|"
    r"网友评论|发表评论|扫一扫在手机打开当前页)[:：]?$"
    r"|^本作品"  # Wikisource licence footer
)
_BOILERPLATE_LATIN = re.compile(r"^(?:public domain|false|true|null|none|undefined)+$", re.IGNORECASE)
_BARE_LABEL = re.compile(r"^(?:来源|时间|发布时间|发表时间|作者|编辑|信息来源|阅读量|浏览次数)[:：]$")
_NAV_START = re.compile(r"^(?:首页|[>›»]|.{0,6}位置[:：]?)$")
_HAS_HAN = re.compile(r"[\u4e00-\u9fff]")


def is_furniture(line: str) -> bool:
    """True if a (normalized, stripped) line is page furniture, not content.

    >>> is_furniture("来源：解放日报"), is_furniture("首页 > 政务信息"), is_furniture("深化改革。")
    (True, True, False)
    """
    s = line.strip()
    if not s:
        return True
    core = s.rstrip(":：").strip()
    if core in _WIDGETS or s in _WIDGETS:
        return True
    if _BOILERPLATE_LATIN.match(s):
        return True
    if len(s) < 100 and (_META_PREFIX.search(s) or _META_ANYWHERE.search(s)):
        return True
    if len(s) < 40 and _DATE_LINE.match(s):
        return True
    if len(s) < 80 and _NAV.search(s):
        return True
    if len(s) <= 30 and _BYLINE.match(s):
        return True
    if len(s) < 160 and _CAPTION.search(s):
        return True
    if len(s) < 200 and (_is_notice(s) or _AUTHOR_NOTE.match(s)):
        return True
    if s.count("|") >= 3 and "。" not in s:
        return True
    spam = _SPAM_WORDS.findall(s)
    # one spam word in running prose is a real report's word (打击淫秽色情); spam
    # lines are lists of link titles, or pile such words up
    if spam and (len(set(spam)) >= 2 or not _PROSE_PUNCT.search(s)):
        return True
    return False


def _ends_with(rx: re.Pattern, s: str, tail: int) -> bool:
    """``rx.search(s)`` for a pattern anchored at the end (``…$``) whose matches are
    at most ``tail`` characters long: only the end of ``s`` is scanned."""
    return rx.search(s, max(0, len(s) - tail - 1)) is not None  # (+1: "$" also matches before a final \n)


def _is_numbered_heading(s: str) -> bool:
    if not _NUMBERED.match(s) or len(s) > 60 or _MID_SENTENCE.search(s):
        return False
    body = s[:-1] if _TERMINAL.search(s) else s
    return not re.search(r"[。；;！？!?]", body)


def _is_fragment(s: str) -> bool:
    """A piece of a broken line: a bracket, a number, a unit with no Han."""
    return len(s) <= 12 and not _HAS_HAN.search(s) and not _DATE_LINE.match(s)


def _looks_like_heading(s: str) -> bool:
    if _is_numbered_heading(s) or s in _HEADING_WORDS:
        return True
    return len(s) <= 30 and not _TERMINAL.search(s) and not re.search(r"[。；]", s) and not _MID_SENTENCE.search(s)


# --- splitting -------------------------------------------------------------


@dataclass
class _Line:
    start: int  # offsets into the normalized text
    end: int
    text: str
    blank_before: bool
    dropped_before: bool


def _lines(norm: Normalized) -> tuple[list[_Line], int]:
    text, offs, original = norm.text, norm.offsets, norm.original
    lines: list[_Line] = []
    pos = 0
    blank = False
    dropped = False
    n_blank_gaps = 0
    tail = False
    nav_run = False  # inside a breadcrumb trail ("首页 > 要闻 > …")
    meta_value = False  # the value line after a bare "来源：" label
    for raw in text.split("\n"):
        s, e = pos, pos + len(raw)
        pos = e + 1
        while s < e and text[s] == " ":
            s += 1
        while e > s and text[e - 1] == " ":
            e -= 1
        line = text[s:e]
        if not line:
            # A line that is empty only because normalization deleted its
            # content (zero-width characters left by a web transcription)
            # is not a paragraph break.
            lo = int(offs[s - 1]) + 1 if s > 0 else 0
            hi = int(offs[e]) if e < len(text) else len(original)
            if original[lo:hi].strip(" \t\r\n\u3000\xa0"):
                continue
            if lines and not blank:
                n_blank_gaps += 1
            blank = True
            continue
        if tail:
            continue
        if _TAIL_MARKERS.match(line):
            tail = True
            continue
        short_plain = len(line) <= 15 and not _TERMINAL.search(line) and not _NUMBERED.match(line)
        if (nav_run or meta_value) and short_plain:
            meta_value = False
            dropped = True
            continue
        meta_value = bool(_BARE_LABEL.match(line))
        if is_furniture(line):
            nav_run = nav_run or bool(_NAV_START.match(line))
            dropped = True
            continue
        nav_run = False
        lines.append(_Line(s, e, line, blank, dropped))
        blank = dropped = False
    return lines, n_blank_gaps


def _drop_top_nav(lines: list[_Line]) -> list[_Line]:
    """Short word-per-line items at the top of a page are navigation."""
    out = []
    for i, ln in enumerate(lines):
        if (
            i < 15
            and (len(ln.text) <= 6 and not out or len(ln.text) <= 4 and len(out) < 6)
            and not _TERMINAL.search(ln.text)
            and not _NUMBERED.match(ln.text)
            and ln.text not in _HEADING_WORDS
            and _HAS_HAN.search(ln.text)
        ):
            continue
        out.append(ln)
    return out


def _drop_bottom_nav(lines: list[_Line]) -> list[_Line]:
    """Short tag/category lines after the end-of-article furniture."""
    end = len(lines)
    while end > 0:
        ln = lines[end - 1]
        if len(ln.text) <= 20 and not _TERMINAL.search(ln.text) and ln.dropped_before:
            end -= 1
            continue
        break
    return lines[:end]


def _split_long(text: str, limit: int) -> list[tuple[int, int]]:
    """Cut an over-long paragraph at sentence ends into pieces <= limit."""
    pieces = []
    start = 0
    n = len(text)
    while n - start > limit:
        window = text[start : start + limit]
        cut = max(window.rfind(c) for c in "。！？；!?;")
        end = start + (cut + 1 if cut > 0 else limit)
        pieces.append((start, end))
        start = end
    pieces.append((start, n))
    return pieces


def paragraphs(
    text: Union[str, Normalized], *, max_chars: int = 5000
) -> list[Paragraph]:
    """Split a document into paragraphs.

    Hard-wrapped lines are rejoined; navigation, bylines, dates, view
    counters, share and font-size widgets, paywall markers, attachment and
    copyright notices and spam link lists are dropped; headings are kept as
    their own paragraphs with ``is_heading=True``.  Paragraphs longer than
    ``max_chars`` are cut at sentence ends.  Spans refer to the original
    string (before normalization).

    >>> [p.text for p in paragraphs("下载\\n打印\\n各位代表：\\n现在，我代表國務院\\n報告。\\n\\n（一）")]
    ['各位代表：', '现在，我代表国务院报告。', '（一）']
    """
    norm = text if isinstance(text, Normalized) else normalize(text)
    lines, n_gaps = _lines(norm)
    lines = _drop_bottom_nav(_drop_top_nav(lines))
    block_mode = n_gaps >= 0.3 * max(len(lines) - 1, 1)

    groups: list[list[_Line]] = []
    for ln in lines:
        if groups:
            prev = groups[-1][-1]
            fragment = _is_fragment(ln.text) or _is_fragment(prev.text)
            if (
                _CONTINUES.match(ln.text) or _MARKER_ONLY.match(prev.text) or fragment
            ) and not ln.dropped_before and not (fragment and ln.blank_before):
                groups[-1].append(ln)
                continue
            separated = ln.blank_before or ln.dropped_before
            prev_open = (
                not _ends_with(_TERMINAL, prev.text, 3)
                and not _is_numbered_heading(prev.text)
                and prev.text not in _HEADING_WORDS
            )
            if block_mode:
                join = not separated and prev_open and not _is_numbered_heading(ln.text)
            else:
                join = (
                    not separated
                    and prev_open
                    and _ends_with(_MID_SENTENCE, prev.text, 1)
                    and not _is_numbered_heading(ln.text)
                )
            if join:
                groups[-1].append(ln)
                continue
        groups.append([ln])

    out: list[Paragraph] = []
    for g in groups:
        ptext = "".join(x.text for x in g)
        if len(g) > 1 and is_furniture(ptext):
            continue  # a byline or notice that was split over lines
        offs = norm.offsets[g[0].start : g[0].end] if len(g) == 1 else np.concatenate(
            [norm.offsets[x.start : x.end] for x in g])
        heading = len(g) == 1 and _looks_like_heading(ptext) if not block_mode else (
            _looks_like_heading(ptext) and (len(g) == 1 or len(ptext) <= 30)
        )
        for s, e in _split_long(ptext, max_chars) if len(ptext) > max_chars else [(0, len(ptext))]:
            o = offs[s:e]
            out.append(
                Paragraph(
                    index=len(out),
                    text=ptext[s:e],
                    start=int(o[0]),
                    end=int(o[-1]) + 1,
                    is_heading=bool(heading) and e - s == len(ptext),
                    offsets=o,
                )
            )
    return out
