"""Text normalization with an exact map back to the original string.

Policy documents arrive with every kind of noise: traditional characters,
pinyin glosses after characters ("區(qū)"), full-width digits, ideographic
spaces, zero-width characters, spaces padded inside Chinese text, mojibake
runs and paywall markers.  :func:`normalize` removes all of it and returns a
:class:`Normalized` whose every character remembers which character of the
original input it came from, so that any span found in the clean text (a
program name, a paragraph) can be reported in the caller's own string.

Every step either deletes characters or replaces one character by one
character, which is what makes the offset map exact.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

__all__ = ["Normalized", "Normalizer", "normalize"]

# --- character classes -----------------------------------------------------

# Han: the BMP blocks and, beyond it, Extensions B-H and the compatibility supplement (OpenCC maps
# some of those to BMP characters, so a space beside one must go in the first pass, or
# normalize() would not be idempotent: "0 \U0002F809" -> "0 备" -> "0备")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007\U00020000-\U0003134f"
# Characters next to which a space is never meaningful: Han, kana, CJK
# punctuation, full-width forms and the quotes/dashes used in Chinese text.
_CJK = (
    _HAN
    + "\u2e80-\u2fff\u3001-\u3006\u3008-\u303f\u3040-\u30ff\uff00-\uffef"
    + "\u201c\u201d\u2018\u2019\u2014\u2026\u00b7"
)
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN_SYL = rf"[a-zü]*[{_TONED}][a-zü{_TONED}]*|de|le|men|me|zi|ge|ne|ba|ma|zhe"

# Deleted outright: zero-width and format characters, BOMs, soft hyphens,
# C0/C1 controls other than newline and tab, lone surrogates, private-use
# glyphs (icon fonts, mojibake) and the replacement character.
_DELETE_CHARS = re.compile(
    "[\u200b\u200c\u200d\u200e\u200f\u2060\u2061-\u2064\ufeff\u00ad"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\ud800-\udfff\ue000-\uf8ff\ufffd]"
)

_WIDTH_TABLE = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}  # ０-９
_WIDTH_TABLE.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_WIDTH_TABLE.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_WIDTH_TABLE[0xFF05] = 0x25  # ％
_WIDTH_TABLE.update({c: 0x20 for c in (0x3000, 0x00A0, 0x09, 0x1680, 0x202F, 0x205F)})
_WIDTH_TABLE.update({c: 0x20 for c in range(0x2000, 0x200B)})
_WIDTH_TABLE.update({0x0D: 0x0A, 0x2028: 0x0A, 0x2029: 0x0A, 0x85: 0x0A})
_WIDTH_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_WIDTH_TABLE)) + "]+")

# Pieces of the cleanup loop; each yields spans to delete.
_SPACE_DROP_BEFORE = re.compile(rf"[{_CJK}.,;:!?)\]%\n]")
_SPACE_DROP_AFTER = re.compile(rf"[{_CJK}(\[\n]")
# Patterns start with a literal or a small class so that the regex engine can
# skip ahead; "preceded by a Han character" is checked by a lookbehind placed
# after the first character ([(（](?<=[Han][(（]) rather than (?<=[Han])[(（]).
_PINYIN = re.compile(
    rf"[(（](?<=[{_HAN}][(（])(?:{_PINYIN_SYL})[)）](?:[(（](?:{_PINYIN_SYL})[)）])*"
)
_HAN_RE = re.compile(rf"[{_HAN}]")
_PAYWALL = re.compile(r"##\s*paid\s*(?:begin|end)\s*##", re.IGNORECASE)
# Mojibake: runs of '?' where characters could not be decoded, sometimes with
# a stray letter or the tail of a broken pinyin gloss ("?yōu)").
_MOJIBAKE = re.compile(
    rf"\?[a-zü{_TONED}]*[{_TONED}][a-zü{_TONED}]*\)"
    rf"|\?[;:A-Za-z]{{0,3}}\((?:{_PINYIN_SYL})\)"
    rf"|[A-Za-z](?<=[{_HAN}][A-Za-z])\((?:{_PINYIN_SYL})\)"
    rf"|\?{{2,}}[A-Za-z]?(?=[{_HAN}])"
    r"|\?{2,}"
    rf"|\?(?<=[{_HAN}，。、；：]\?)(?=[{_HAN};；，。、])"
)
_CR_LF = re.compile(r"\r(?=\n)")


@dataclass(frozen=True)
class Normalized:
    """Clean text plus a map from each of its characters to the original.

    >>> n = normalize("紹興市越城區(qū) “ 三個越城 ” ")
    >>> n.text
    '绍兴市越城区“三个越城”'
    >>> s, e = n.span_to_original(6, 12)
    >>> n.original[s:e]
    '“ 三個越城 ”'
    """

    text: str
    original: str
    offsets: np.ndarray = field(repr=False)
    """``offsets[i]`` is the index in ``original`` of ``text[i]``."""

    def __len__(self) -> int:
        return len(self.text)

    def __str__(self) -> str:
        return self.text

    def to_original(self, i: int) -> int:
        """Map an offset of ``text`` (0..len) to an offset of ``original``.

        An offset at the end maps just past the last original character that
        produced text (trailing noise is not included).
        """
        n = len(self.text)
        if not 0 <= i <= n:
            raise IndexError(f"offset {i} is outside the normalized text (length {n})")
        if i < n:
            return int(self.offsets[i])
        return int(self.offsets[-1]) + 1 if n else 0

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``text[start:end]`` to ``(start, end)`` in ``original``.

        The original span covers exactly the characters that produced the
        clean span, plus whatever noise lay between them.
        """
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise IndexError(f"span ({start}, {end}) is outside the normalized text (length {n})")
        if start == end:
            o = self.to_original(start)
            return o, o
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1


# --- the pipeline ----------------------------------------------------------

_Spans = Iterable[tuple[int, int]]


def _delete(text: str, offs: np.ndarray, spans: _Spans) -> tuple[str, np.ndarray]:
    """Delete the (sorted, non-overlapping) spans from text and offsets."""
    pieces: list[str] = []
    keep: list[np.ndarray] = []
    pos = 0
    for s, e in spans:
        if s > pos:
            pieces.append(text[pos:s])
            keep.append(offs[pos:s])
        pos = max(pos, e)
    if pos == 0:
        return text, offs
    pieces.append(text[pos:])
    keep.append(offs[pos:])
    return "".join(pieces), (np.concatenate(keep) if keep else offs[:0])


def _regex_spans(pattern: re.Pattern[str]) -> Callable[[str], _Spans]:
    return lambda text: (m.span() for m in pattern.finditer(text))


def _space_spans(text: str) -> _Spans:
    """Spaces to delete: next to CJK text or punctuation, at line ends, and
    all but one of any remaining run."""
    n = len(text)
    s = text.find(" ")
    while s >= 0:  # each run of spaces (str.find skips ahead faster than a regex scan)
        e = s + 1
        while e < n and text[e] == " ":
            e += 1
        before = text[s - 1] if s else "\n"
        after = text[e] if e < n else "\n"
        if _SPACE_DROP_AFTER.match(before) or _SPACE_DROP_BEFORE.match(after):
            yield s, e
        elif e - s > 1:
            yield s + 1, e
        s = text.find(" ", e)


def _pinyin_spans(text: str) -> _Spans:
    """_PINYIN's matches (a gloss starts at a bracket after a Han character):
    the brackets are found with str.find and the pattern is tried there only."""
    pos = 0
    a, b = text.find("("), text.find("（")  # the next bracket of each kind at or after pos, or -1
    while a >= 0 or b >= 0:
        p = a if b < 0 or 0 <= a < b else b
        m = _PINYIN.match(text, p) if p > 0 and _HAN_RE.match(text, p - 1) else None
        pos = m.end() if m is not None else p + 1
        if m is not None:
            yield m.span()
        if 0 <= a < pos:
            a = text.find("(", pos)
        if 0 <= b < pos:
            b = text.find("（", pos)


_MOJIBAKE_HINT = re.compile(r"[?(]")  # every _MOJIBAKE match holds one of these


def _mojibake_spans(text: str) -> _Spans:
    """_MOJIBAKE's matches, searched only in the lines that hold a "?" or "(".

    A match never crosses a line break, and the regex (whose alternatives
    start with an optional-looking class) is slow to scan across the long
    clean lines of a report, which rarely hold either character.
    """
    pos = 0
    for h in _MOJIBAKE_HINT.finditer(text):
        if h.start() < pos:
            continue
        start = text.rfind("\n", 0, h.start()) + 1
        end = text.find("\n", h.start())
        end = len(text) if end < 0 else end
        for m in _MOJIBAKE.finditer(text, max(start, pos), end):
            yield m.span()
        pos = end + 1


_CLEANUP_STEPS: tuple[Callable[[str], _Spans], ...] = (
    _regex_spans(_PAYWALL),
    _space_spans,
    _pinyin_spans,
    _mojibake_spans,
)


class Normalizer:
    """A configured normalizer (OpenCC conversion plus cleanup).

    Build one and reuse it; :func:`normalize` uses a shared default.

    >>> Normalizer().normalize("１９９６年 發(fā)展").text
    '1996年发展'
    """

    def __init__(self, opencc_config: str = "t2s") -> None:
        self.opencc_config = opencc_config

    @functools.cached_property
    def _converter(self):  # noqa: ANN202 - opencc has no type stubs
        import opencc

        return opencc.OpenCC(self.opencc_config)

    def _convert(self, text: str) -> str:
        """Traditional -> simplified, keeping the length (one char per char)."""
        if not text:
            return text
        conv = self._converter.convert
        out = conv(text)
        if len(out) == len(text):
            return out
        lines = text.split("\n")
        fixed = []
        for line in lines:
            c = conv(line)
            if len(c) != len(line):  # a phrase rule changed the length
                c = "".join(x if len(x := conv(ch)) == 1 else ch for ch in line)
            fixed.append(c)
        return "\n".join(fixed)

    def normalize(self, text: str) -> Normalized:
        """Normalize ``text``; see :func:`normalize`."""
        if not isinstance(text, str):
            raise TypeError(
                f"normalize() takes a str, not {type(text).__name__}; "
                "decode bytes first (policytag.corpus reads files with encoding detection)"
            )
        offs = np.arange(len(text), dtype=np.int64)
        cur = text
        if "\r" in cur:
            cur, offs = _delete(cur, offs, _regex_spans(_CR_LF)(cur))
        cur, offs = _delete(cur, offs, _regex_spans(_DELETE_CHARS)(cur))
        if _WIDTH_CHARS.search(cur):
            cur = _WIDTH_CHARS.sub(lambda m: m.group().translate(_WIDTH_TABLE), cur)
        # Deletions can make new neighbours: run the steps in turn to a fixpoint,
        # that is until every step has run on the current text and deleted
        # nothing (at most 8 rounds).
        clean_runs = 0
        n_steps = len(_CLEANUP_STEPS)
        for i in range(8 * n_steps):
            before = cur
            cur, offs = _delete(cur, offs, _CLEANUP_STEPS[i % n_steps](cur))
            clean_runs = clean_runs + 1 if len(cur) == len(before) else 0
            if clean_runs == n_steps:
                break
        cur = self._convert(cur)
        return Normalized(cur, text, offs)


@functools.lru_cache(maxsize=None)
def _default_normalizer() -> Normalizer:
    return Normalizer()


def normalize(text: str) -> Normalized:
    """Clean a Chinese text and convert it to simplified characters.

    Handles traditional characters (OpenCC ``t2s``), pinyin glosses after
    characters ("區(qū)" -> "区"), full-width digits and letters, ideographic
    and non-breaking spaces, zero-width characters, spaces padded inside
    Chinese text and around quotes, mojibake runs ("??v"), and paywall
    markers.  Newlines are kept (paragraph splitting needs them).  It is
    idempotent and never raises on a ``str``.

    >>> n = normalize("發(fā)展 “ 十四五 ” 規劃，ＧＤＰ增長５％")
    >>> n.text
    '发展“十四五”规划，GDP增长5%'
    >>> n.original[slice(*n.span_to_original(2, 7))]
    '“ 十四五 ”'
    """
    return _default_normalizer().normalize(text)
