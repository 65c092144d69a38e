import re

import numpy as np
import opencc
import pytest
from hypothesis import given, settings, strategies as st

from policytag import normalize
from policytag.normalize import _PINYIN_SYL

_T2S = opencc.OpenCC("t2s")
PINYIN_LEFT = re.compile(rf"[\u4e00-\u9fff][(（](?:{_PINYIN_SYL})[)）]")


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("區(qū)", "区"),
        ("發(fā)展", "发展"),
        ("紹興市越城區(qū)國民經(jīng)濟", "绍兴市越城区国民经济"),
        ("市委十二届七次全体(扩大)会议", "市委十二届七次全体(扩大)会议"),
        ("通过区(县、市)协作", "通过区(县、市)协作"),
        ("十四五规划(2022年更新)", "十四五规划(2022年更新)"),
        ("奋力推动 “ 三個越城 ” 宏偉藍圖", "奋力推动“三个越城”宏伟蓝图"),
        ("格局基本形成??v深推進", "格局基本形成深推进"),
        ("１９９６年ＧＤＰ增长５％", "1996年GDP增长5%"),
        ("\u3000\u3000现在我代表", "现在我代表"),
        ("政府\u200b工作\u200d报告\ufeff", "政府工作报告"),
        ("##paidbegin##（一）坚持创新深化。", "（一）坚持创新深化。"),
        ("突破 1000 億元 ,人均 13.1 萬元", "突破1000亿元,人均13.1万元"),
        ("Belt  and   Road", "Belt and Road"),
        ("第一行\r\n第二行", "第一行\n第二行"),
    ],
)
def test_cases_seen_in_shared(raw, clean):
    assert normalize(raw).text == clean


def test_offsets_point_at_the_source_characters():
    raw = "奋力推动 “ 三個越城 ” 宏偉(扩大)區(qū)"
    n = normalize(raw)
    for i, ch in enumerate(n.text):
        src = raw[n.offsets[i]]
        assert _T2S.convert(src) == ch or src == ch
    s, e = n.span_to_original(n.text.index("“"), n.text.index("”") + 1)
    assert raw[s:e] == "“ 三個越城 ”"


def test_type_error_names_the_problem():
    with pytest.raises(TypeError, match="str"):
        normalize(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["000", "001", "002", "003", "004"])
def test_seeds_are_simplified_and_clean(seed_docs, name):
    n = normalize(seed_docs[f"seed-{name}"].text)
    han = [c for c in n.text if "\u4e00" <= c <= "\u9fff"]
    simplified = sum(_T2S.convert(c) == c for c in han) / len(han)
    assert simplified >= 0.99
    assert not PINYIN_LEFT.search(n.text)
    assert "##paid" not in n.text
    assert "??" not in n.text
    assert not re.search(r"[\u200b\u200d\ufeff\u3000]", n.text)


def test_national_reports_lose_fullwidth_digits_and_traditional(corpus_docs):
    for d in corpus_docs:
        n = normalize(d.text)
        assert not re.search("[０-９]", n.text), d.id
        if d.id in ("gwr-1954", "gwr-1957"):
            han = [c for c in n.text if "\u4e00" <= c <= "\u9fff"]
            assert sum(_T2S.convert(c) == c for c in han) / len(han) > 0.999


# --- properties -------------------------------------------------------------

chinese = st.text(
    alphabet=st.sampled_from(
        list("區發展國經濟规划改革“”‘’（）()，。、；： \u3000\u200b\n?？ａ１２abcqūfāzhǎnde#paidbegin区县市")
    ),
    max_size=80,
)
anything = st.text(max_size=120)


@given(st.one_of(chinese, anything))
@settings(max_examples=400, deadline=None)
def test_idempotent(text):
    once = normalize(text).text
    assert normalize(once).text == once


@given(st.one_of(chinese, anything))
@settings(max_examples=400, deadline=None)
def test_offsets_monotonic_and_in_range(text):
    n = normalize(text)
    assert len(n.offsets) == len(n.text)
    if len(n.offsets):
        assert np.all(np.diff(n.offsets) > 0)
        assert n.offsets[0] >= 0 and n.offsets[-1] < len(text)
    for i in range(len(n.text) + 1):
        assert 0 <= n.to_original(i) <= len(text)
    s, e = n.span_to_original(0, len(n.text))
    assert 0 <= s <= e <= len(text)


@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=60))
@settings(max_examples=300, deadline=None)
def test_never_raises_on_any_unicode(text):
    normalize(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="发展?？()（）\nabcāǎ;：。，  ", max_size=80))
def test_mojibake_search_by_lines_finds_what_the_whole_text_search_finds(text):
    import importlib

    mod = importlib.import_module("policytag.normalize")
    assert list(mod._mojibake_spans(text)) == [m.span() for m in mod._MOJIBAKE.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="区發(（)）qūfāyōuzhdele ?\n一。a", max_size=60))
def test_cleanup_finders_equal_their_regex_scans(text):
    """_pinyin_spans and _space_spans find with str.find what a regex scan finds."""
    from policytag.normalize import _PINYIN, _SPACE_DROP_AFTER, _SPACE_DROP_BEFORE, _pinyin_spans, _space_spans

    assert list(_pinyin_spans(text)) == [m.span() for m in _PINYIN.finditer(text)]
    want = []
    for m in re.finditer(r" +", text):
        s, e = m.span()
        before = text[s - 1] if s else "\n"
        after = text[e] if e < len(text) else "\n"
        if _SPACE_DROP_AFTER.match(before) or _SPACE_DROP_BEFORE.match(after):
            want.append((s, e))
        elif e - s > 1:
            want.append((s + 1, e))
    assert list(_space_spans(text)) == want


def test_idempotent_beside_supplementary_han():
    """Hypothesis found "0\\t\\U0002F809": OpenCC maps some Han characters outside the BMP (the compatibility
    supplement, Extension B) to BMP ones, so the space beside them must be dropped in the first pass."""
    for ch in ("\U0002F809", "\U0002F800", "\U00020547", "\U0003134A"):
        for text in (f"0\t{ch}", f"{ch} 0", f"a {ch} b"):
            once = normalize(text).text
            assert normalize(once).text == once, text
            assert " " not in once
