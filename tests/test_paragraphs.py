import re

import opencc
import pytest
from hypothesis import given, settings, strategies as st

from policytag import normalize, paragraphs
from policytag.paragraphs import is_furniture

_T2S = opencc.OpenCC("t2s")

FURNITURE = re.compile(
    r"首页|^返回|所在位置|当前位置|您的位置|发布时间|发表于|浏览次数|阅读量|【字号|字号[:：+]|我要评论|"
    r"##paid|下载附件|温馨提示|版权所有|ICP备|Copyright|扫码关注|本站|转载请|相关文章|网友点评|"
    r"发表评论|色情|\||制图|来源[:：]|作者[:：]|编辑[:：]|Public domain|本作品"
)
BROKEN_END = re.compile(r"[“（(《—]$")
CONTINUATION_START = re.compile(r"^[，。、；：！？）》”’,.;:!?)]")


def _texts(paras):
    return [p.text for p in paras]


# --- per-seed expectations ---------------------------------------------------

def test_no_furniture_in_any_seed_paragraph(seed_paragraphs):
    for doc, paras in seed_paragraphs.items():
        for p in paras:
            assert not FURNITURE.search(p.text), (doc, p.index, p.text[:60])


def test_seed_000_paywall_and_headings(seed_paragraphs):
    paras = seed_paragraphs["seed-000"]
    assert paras[0].text == "关于全区经济社会高质量发展的调研报告" and paras[0].is_heading
    heads = [p.text for p in paras if p.is_heading]
    assert "一、我市高质量发展的“三大理念”" in heads
    assert "三、推动我市高质量发展的路径思考" in heads
    # the paywall marker sat in front of a real paragraph: the text is kept
    assert any(p.text.startswith("（一）坚持创新深化。") for p in paras)
    assert 14 <= len(paras) <= 18


def test_seed_001_navigation_and_byline_dropped(seed_paragraphs):
    paras = seed_paragraphs["seed-001"]
    assert paras[0].text.startswith("聚焦“深化改革、强基固本”主题主线")
    assert paras[-1].text.startswith("第三、以奋进“两个先行”展现头雁风采")
    assert not any("杭州有理" in p.text and len(p.text) < 20 for p in paras)
    assert not any(p.text.startswith("(作者系") for p in paras)
    assert paras[2].text == "在深化改革中破除制约高质量发展的体制机制障碍" and paras[2].is_heading


def test_seed_002_spam_pinyin_and_attachment(seed_paragraphs):
    paras = seed_paragraphs["seed-002"]
    assert paras[0].text.startswith("(浙江省)绍兴市越城区国民经济和社会发展十四五规划(2022年更新)")
    joined = "\n".join(_texts(paras))
    assert "“三个越城”" in joined
    assert "(qū)" not in joined and "(fā)" not in joined
    assert "五水共治" in joined
    assert any(p.text == "(一)活力越城绽放发展光彩" and p.is_heading for p in paras)
    assert "前言" in _texts(paras)
    assert paras[-1].text.startswith("进一步梳理各类政策")
    han = [c for c in joined if "\u4e00" <= c <= "\u9fff"]
    assert sum(_T2S.convert(c) == c for c in han) / len(han) >= 0.99


def test_seed_003_speech(seed_paragraphs):
    paras = seed_paragraphs["seed-003"]
    assert paras[0].text.startswith("贯彻实施长三角一体化发展国家战略") and "(扩大)" in paras[0].text
    assert paras[-1].text.startswith("同志们,全面推进长三角一体化发展的大幕已经拉开")
    assert paras[3].is_heading and paras[3].text.startswith("一、充分认识")


def test_seed_004_plan(seed_paragraphs):
    paras = seed_paragraphs["seed-004"]
    assert paras[0].text == "衢州市国民经济和社会发展第十四个五年规划和2035年远景目标纲要"
    assert paras[-1].text.startswith("实现“十四五”规划和二〇三五年远景目标")
    assert any("“1433”发展战略体系" in p.text for p in paras)
    assert len(paras) > 200


# --- the whole reference corpus ------------------------------------------------

def test_every_corpus_document_splits(corpus_paragraphs, corpus_docs):
    assert len(corpus_docs) == 97
    for d in corpus_docs:
        paras = corpus_paragraphs[d.id]
        assert len(paras) >= 1, d.id
        if d.meta["kind"] == "report":
            assert len(paras) >= 25, d.id


def test_no_broken_word_lines_left(corpus_paragraphs):
    for doc, paras in corpus_paragraphs.items():
        for p in paras:
            where = (doc, p.index, p.text[:40])
            assert re.search(r"[\u4e00-\u9fff]", p.text), where
            assert not CONTINUATION_START.match(p.text), where
            assert not BROKEN_END.search(p.text), where
            assert "\n" not in p.text, where
            if not p.is_heading and len(p.text) < 4:
                pytest.fail(f"stray fragment {where}")
            assert not FURNITURE.search(p.text[:30]) or "来源" in p.text, where


def test_hard_wraps_rejoined(corpus_docs, corpus_paragraphs):
    res = {d.id: d for d in corpus_docs}
    doc = next(d for d in corpus_docs if d.meta.get("kind") == "resolution" and "所作的\n政府工作报告\n。" in d.text)
    first = corpus_paragraphs[doc.id][0].text
    assert "所作的政府工作报告。" in first
    p1954 = corpus_paragraphs["gwr-1954"]
    assert any("在听了刘少奇同志关于宪法草案的报告并进行了三天的讨论以后" in p.text for p in p1954)
    p2019 = corpus_paragraphs["gwr-2019"]
    assert any("细颗粒物（PM2.5）浓度继续下降" in p.text for p in p2019)
    assert res["gwr-2021"]


def test_spans_map_back_to_the_original_exactly(corpus_docs, corpus_paragraphs, seed_docs, seed_paragraphs):
    pairs = [(d, corpus_paragraphs[d.id]) for d in corpus_docs]
    pairs += [(seed_docs[k], v) for k, v in seed_paragraphs.items()]
    for d, paras in pairs:
        prev_end = 0
        for p in paras:
            assert 0 <= p.start < p.end <= len(d.text)
            assert p.start >= prev_end, (d.id, p.index)
            prev_end = p.end
            # every character comes from the original character it points at
            assert p.offsets[0] == p.start and p.offsets[-1] + 1 == p.end
            src = "".join(d.text[o] for o in p.offsets)
            assert normalize(src).text == p.text or _T2S.convert(src).translate(_WIDTH) == p.text, (d.id, p.index)
            # and the original span, normalized, contains the paragraph's text
            region = normalize(d.text[p.start:p.end]).text.replace("\n", "")
            assert p.text in region or len(p.text) > 5000, (d.id, p.index)


_WIDTH = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)} | {0xFF05: 0x25}


def test_is_furniture_examples():
    for line in ["下载", "【字号：", "来源：解放日报", "时间：2026-02-09", "首页 > 政务信息", "省长王予波",
                 "2019-08-20 09:42:21 浏览次数:2517", "《杭州》杂志社 版权所有 浙ICP备09038607号",
                 "一区二区|美女福利视频导航网址|久久经典|男人的天堂|亚洲在线视频"]:
        assert is_furniture(line), line
    for line in ["各位代表：", "一、2025年工作回顾", "深化“最多跑一次”改革，企业开办时间压缩至1个工作日。"]:
        assert not is_furniture(line), line


@given(st.text(alphabet=st.sampled_from(list("各位代表：现在。一、（二）\n\n 下载打印首页>政府工作报告，")), max_size=200))
@settings(max_examples=300, deadline=None)
def test_paragraph_properties(text):
    paras = paragraphs(text)
    last = 0
    for i, p in enumerate(paras):
        assert p.index == i
        assert p.text and "\n" not in p.text
        assert 0 <= p.start < p.end <= len(text) and p.start >= last
        last = p.end
        assert len(p.offsets) == len(p.text)


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_never_raises(text):
    paragraphs(text)


def test_report_prose_with_a_spam_looking_word_is_kept():
    """"久久为功" (persist for the long haul) is common in reports; a report's
    sentence about fighting pornography is not spam either."""
    from policytag.paragraphs import is_furniture

    assert not is_furniture("各位代表！我们要稳扎稳打、久久为功，一张蓝图绘到底。")
    assert not is_furniture("深入开展“扫黄打非”，依法打击淫秽色情信息，净化网络环境。")
    assert is_furniture("美女福利视频导航网址|久久经典")
    assert is_furniture("在线视频 无码 国产精品")


def test_no_report_paragraph_is_lost_to_the_spam_filter(corpus_docs):
    """Every line of a reference report that says 久久为功 stays in a paragraph."""
    n = 0
    for doc in corpus_docs:
        if "久久为功" in doc.text:
            n += 1
            assert any("久久为功" in p.text for p in paragraphs(doc.text)), doc.id
    assert n >= 5


def test_no_sentence_of_a_national_report_is_dropped_as_furniture(corpus_docs):
    """Every line of 40+ characters that starts with a Han character and ends a
    sentence in the State Council reports is report text (the Wikisource licence
    footers are fragments ending in 《 or 在): none may be lost to the furniture rules (侵权, 技术支持 and 久久
    are ordinary words in reports: 打击盗版侵权, 提供技术支持, 久久为功)."""
    lost = []
    for doc in corpus_docs:
        if not doc.id.startswith("gwr-"):
            continue
        kept = "".join(p.text for p in paragraphs(doc.text)).replace(" ", "")
        for line in normalize(doc.text).text.split("\n"):
            s = line.strip().replace(" ", "")
            if len(s) >= 40 and "\u4e00" <= s[0] <= "\u9fff" and s[-1] in "。！？；”" and s not in kept:
                lost.append((doc.id, s[:40]))
    assert lost == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="。！？!?；;：:…”’」』)）.，、“（(《—\n a发展", max_size=30))
def test_end_anchored_checks_equal_a_full_search(s):
    """_ends_with scans only the end of a line: same answer as searching all of it."""
    from policytag.paragraphs import _MID_SENTENCE, _TERMINAL, _ends_with

    assert _ends_with(_TERMINAL, s, 3) == bool(_TERMINAL.search(s))
    assert _ends_with(_MID_SENTENCE, s, 1) == bool(_MID_SENTENCE.search(s))


_NOTICE_REFERENCE = re.compile(  # the notice rule as one regex (slow on long lines: the reference)
    r"版权所有|copyright|all rights reserved|ICP备|ICP证|技术支持[:：]|\S 技术支持\b|免责声明|"
    r"侵权必究|如有侵权|侵权请|侵权删|转载请|不得转载|请勿转载|本站|扫码关注|扫一扫|e-mail[:：]|办公室电话|"
    r"联系电话[:：]|请自觉遵守|著作权法》第五条|下载附件|\.pdf|\.docx?\b|提醒您|温馨提示|点击图片进入|大牛|约稿",
    re.IGNORECASE,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["版权所有", "技术支持", "：", ":", " ", "Copyright", "ALL RIGHTS RESERVED", "icp备",
                                 "E-mail", ".PDF", ".docx", ".doc", "x", "侵权", "请", "本站", "打击盗版", "。", "公司"]),
                max_size=12))
def test_notice_rule_equals_its_single_regex(parts):
    from policytag.paragraphs import _is_notice

    s = "".join(parts)
    assert _is_notice(s) == bool(_NOTICE_REFERENCE.search(s))
