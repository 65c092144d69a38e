import subprocess
from importlib import resources
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policytag import normalize
from policytag.programs import Gazetteer, Program, ProgramMatcher, discover


@pytest.fixture(scope="module")
def matcher():
    return ProgramMatcher()


def names(mentions):
    return {m.name for m in mentions}


def test_gazetteer_is_real_and_valid():
    g = Gazetteer.default()
    assert len(g) >= 200
    levels = {p.level for p in g}
    assert {"national", "provincial", "city", "district"} <= levels
    assert g["八八战略"].themes == ()  # umbrella strategy implies no theme
    assert "ecology" in g["五水共治"].themes
    assert all(p.seen_in for p in g)
    surfaces = [s for p in g for s in p.surface_forms]
    assert len(surfaces) == len(set(surfaces))


@pytest.fixture(scope="module")
def keyed_texts(corpus_docs, seed_docs):
    """Document id -> its text as surface forms are matched (normalized; quotes and spaces removed)."""
    from policytag.programs import _surface_key

    texts = {d.id: _surface_key(d.text) for d in corpus_docs}
    texts.update({k: _surface_key(d.text) for k, d in seed_docs.items()})
    return texts


def test_gazetteer_file_surface_forms_are_unique_and_attested(keyed_texts):
    """Read the shipped TOML directly (a Gazetteer would hide a clash: a later
    entry takes the surface form): every surface form belongs to one entry and
    occurs in a document its entry lists in seen_in."""
    from importlib import resources

    from policytag.programs import _programs_from_toml, _surface_key

    text = resources.files("policytag").joinpath("data/programs.toml").read_text(encoding="utf-8")
    entries = _programs_from_toml(text, "programs.toml")
    owner: dict = {}
    for p in entries:
        for s in p.surface_forms:
            k = _surface_key(s)
            assert owner.setdefault(k, p.name) == p.name, f"{s!r} belongs to {owner[k]!r} and {p.name!r}"
    missing = [(p.name, s) for p in entries for s in p.surface_forms
               if not any(_surface_key(s) in keyed_texts.get(d, "") for d in p.seen_in)]
    assert missing == []


def test_every_province_has_its_own_programs(corpus_docs):
    g = Gazetteer.default()
    provinces = {d.meta["region"] for d in corpus_docs if d.meta["level"] == "provincial"}
    for prov in provinces:
        own = [p for p in g if p.level == "provincial" and p.region == prov]
        assert len(own) >= 2, prov


@pytest.mark.parametrize(
    "seed, expected",
    [
        ("seed-000", {"八八战略", "长三角一体化"}),
        ("seed-001", {"八八战略", "新质生产力", "无废城市", "乡村振兴"}),
        ("seed-002", {"五水共治", "枫桥经验", "十四五", "长三角一体化", "乡村振兴"}),
        ("seed-003", {"长三角一体化", "八八战略", "接轨大上海、融入长三角", "京津冀协同发展"}),
        ("seed-004", {"八八战略", "1433发展战略体系", "最多跑一次", "十四五", "山海协作"}),
    ],
)
def test_seed_mentions(matcher, seed_docs, seed, expected):
    doc = seed_docs[seed]
    found = matcher.find(doc.text)
    assert expected <= names(found), expected - names(found)
    for m in found:
        # spans index the ORIGINAL seed text (traditional characters, pinyin, spaces)
        assert doc.text[m.start:m.end] == m.text
        assert m.text.strip() == m.text


def test_traditional_spaced_and_glossed_input_keeps_original_spans(matcher, seed_docs):
    doc = seed_docs["seed-002"]
    found = [m for m in matcher.find(doc.text) if m.name == "枫桥经验"]
    assert found
    assert any(m.text.startswith("楓橋經") and normalize(m.text).text == "枫桥经验" for m in found)
    text = "深化 “ 五水共治 ” 碧水行動，堅持發(fā)展“楓橋經驗”"
    ms = [m for m in matcher.find(text) if m.source == "gazetteer"]
    assert [(m.name, text[m.start:m.end]) for m in ms] == [("五水共治", "五水共治"), ("枫桥经验", "楓橋經驗")]
    # 碧水行动 (Zhejiang's clean-water campaign) is not in the gazetteer; the scorer trained on
    # exact names (2026-11-23) rejects it right after 五水共治 (p 0.004) though it took it in
    # "实施碧水行动" at 0.46: a known miss, not tuned against (the seeds are for evaluation only)


def test_longest_match_and_no_overlap(matcher):
    ms = matcher.find("深化“最多跑一次”改革，推进接轨大上海、融入长三角")
    assert [m.name for m in ms] == ["最多跑一次", "接轨大上海、融入长三角"]
    assert ms[0].text == "最多跑一次”改革"  # the alias 最多跑一次改革 is longer than the name
    spans = [(m.start, m.end) for m in ms]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_short_names_not_inside_unrelated_words(matcher):
    assert matcher.find("我们要把两山之间的隧道打通") == []
    assert names(matcher.find("践行“两山”理念")) == {"绿水青山就是金山银山"}
    assert matcher.find("黄河长治久安") == []
    # a two-character name outside quotes counts where jieba keeps it whole,
    # unless it starts with a number (两山之间 above)
    assert names(matcher.find("扎实做好援疆和双拥，推进棚改")) >= {"对口援疆", "双拥"}
    assert matcher.find("落实最低保障标准") == []


def test_no_template_inside_a_concept_name(matcher):
    # “一干两支” is part of a project name filed as a concept (a single construction
    # project, J03), not a numbered slogan of its own
    text = "实施“一干两支”机场改造升级工程，建设“双环”旅游公路"
    assert matcher.find(text) == []
    assert names(ProgramMatcher(include_concepts=True).find(text)) == {"一干两支机场改造升级工程", "双环旅游公路"}


def test_templated_names(matcher):
    ms = matcher.find("编制“十五五”规划，实施“3815”战略和三大攻坚战，第十一个五年规划")
    got = {(m.name, m.source) for m in ms}
    assert any(n.startswith("十五五") for n, _ in got)
    assert any(n.startswith("3815") for n, _ in got)
    assert ("三大攻坚战", "pattern") in got or ("三大攻坚战", "gazetteer") in got
    assert any(n.startswith("十一五") for n, _ in got)


def test_user_gazetteer_tsv_and_toml(tmp_path):
    tsv = tmp_path / "mine.tsv"
    tsv.write_text("name\taliases\tcategory\tlevel\tregion\tthemes\n"
                   "三服务\t三服务活动\tcampaign\tcity\t浙江省杭州市\tgovernance\n", encoding="utf-8")
    m = ProgramMatcher(user_files=[tsv])
    ms = m.find("开展“三服务”活动")
    assert [(x.name, x.themes) for x in ms] == [("三服务", ("governance",))]
    toml = tmp_path / "mine.toml"
    toml.write_text('[[program]]\nname = "亩均论英雄"\ncategory = "reform"\nlevel = "provincial"\n'
                    'region = "浙江省"\nthemes = ["governance"]\n', encoding="utf-8")
    assert names(ProgramMatcher(user_files=[toml]).find("深化亩均论英雄改革")) == {"亩均论英雄"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[program]]\nname = "x"\ncategory = "dream"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.toml .*category 'dream'"):
        ProgramMatcher(user_files=[bad]).find("x")


def test_names_are_added_to_the_tokenizer(matcher):
    from policytag import Tokenizer

    tok = Tokenizer()
    tok.add_words(matcher.surface_forms())
    assert "1433发展战略体系" in tok.cut("深化1433发展战略体系")
    assert "最多跑一次改革" in tok.cut("深化最多跑一次改革")  # the alias is the longer word
    assert "五水共治" in tok.cut("实施五水共治")


def test_discover_finds_names_missing_from_the_gazetteer(matcher, corpus_docs):
    cands = discover(((d.id, d.text) for d in corpus_docs[:30]), matcher=matcher)
    assert cands, "discovery found nothing"
    known = set(matcher.surface_forms())
    assert all(c.name not in known for c in cands)
    assert all(c.count >= 2 and c.examples and c.documents <= c.count for c in cands)
    top = [c.name for c in cands[:40]]
    assert any(n.endswith(("改革", "工程", "行动", "战略", "计划")) for n in top)
    # the matcher's own program words: names ending in 制度 or 试点 are candidates too
    assert any(c.name.endswith("制度") for c in cands) and any(c.name.endswith("试点") for c in cands)
    assert all(c.score is None or 0.0 <= c.score <= 1.0 for c in cands)


def test_discover_lists_what_a_smaller_gazetteer_lacks(corpus_docs):
    """Without an entry, its name becomes a candidate; every example shows it."""
    full = ProgramMatcher(learned=False)
    smaller = Gazetteer([p for p in full.programs if p.name != "农村税费改革"])
    docs = [(d.id, d.text) for d in corpus_docs if "农村税费改革" in d.text]
    cands = {c.name: c for c in discover(docs, matcher=ProgramMatcher(gazetteer=smaller), min_count=1)}
    assert "农村税费改革" in cands
    assert all("农村税费改革" in e for e in cands["农村税费改革"].examples)
    before = {c.name for c in discover(docs, matcher=full, min_count=1)}
    assert "农村税费改革" not in before


def _labeled_tsv(pattern: str):  # noqa: ANN202
    """The rows (dicts by the header line) of the TSV files of labeled/ matching ``pattern``;
    lines starting with # are comments."""
    import csv
    from pathlib import Path

    for f in sorted((Path(__file__).resolve().parent.parent / "labeled").glob(pattern)):
        with f.open(encoding="utf-8", newline="") as fh:
            yield from csv.DictReader((x for x in fh if not x.startswith("#")), delimiter="\t")


def _gold_vote_round(title: str) -> list:
    """The rows of labeled/gazetteer_goldvote.tsv under the comment line that opens round ``title``
    (up to the next round's comment line)."""
    import csv
    from pathlib import Path

    lines, inside = [], False
    with (Path(__file__).resolve().parent.parent / "labeled" / "gazetteer_goldvote.tsv").open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("# ") and "round (" in line:
                inside = title in line
            elif inside and not line.startswith("#"):
                lines.append(line)
    names = ("proposal", "string", "recorded", "not_recorded", "misses", "decision")
    return list(csv.DictReader(lines, fieldnames=names, delimiter="\t"))


# the category changes of the twelfth and thirteenth sessions' gold votes, which later tests of earlier passes allow
GOLD_VOTE_12 = "twelfth session"
GOLD_VOTE_13 = "Eighth round (2026-11-23, thirteenth session)"
GOLD_VOTE_13B = "Ninth round (2026-11-23, thirteenth session"


def _recategorised_later() -> set:
    """Entries whose category a later pass changed: the twelfth and thirteenth sessions' gold votes
    (labeled/gazetteer_goldvote.tsv), the seventh review (labeled/gazetteer_review7.tsv) and the alignment
    with the second consistency rulings (labeled/gazetteer_consistency02.tsv)."""
    import re

    out = set()
    for r in _gold_vote_round(GOLD_VOTE_12) + _gold_vote_round(GOLD_VOTE_13) + _gold_vote_round(GOLD_VOTE_13B):
        m = re.match(r"(?:entry (\S+) )?category ", r["decision"])
        if m:
            out.add(m.group(1) or r["string"])
    out |= {r["name"] for r in _labeled_tsv("gazetteer_review7.tsv") if r["applied"] == "concept"}
    return out | _aligned_categories()


def _aligned_categories() -> set:
    """Entries whose category the alignment with the second consistency rulings changed
    (labeled/gazetteer_consistency02.tsv)."""
    return {r["entry"] for r in _labeled_tsv("gazetteer_consistency02.tsv") if r["op"] == "category"}


@pytest.mark.parametrize("title, proposals, taken", [
    (GOLD_VOTE_12, 37, 18), (GOLD_VOTE_13, 54, 16), (GOLD_VOTE_13B, 55, 9)])
def test_gold_vote_rounds_applied(title, proposals, taken):
    """Each decision of the twelfth and thirteenth sessions' gold-vote rounds is what the shipped gazetteer
    holds: a demoted entry is a concept, a promoted one has its new category, a form joins its entry, a new
    entry exists; a proposal not applied says why."""
    import re

    from policytag.programs import _surface_key

    rows = _gold_vote_round(title)
    assert len(rows) == proposals
    # the alignment with the second consistency rulings changed a few categories since
    aligned = _aligned_categories()
    base = Gazetteer.default()
    applied = 0
    for r in rows:
        d, key = r["decision"], _surface_key(r["string"])
        if d.startswith("not applied: "):
            assert len(d) > len("not applied: ") + 5, r
            continue
        applied += 1
        if m := re.match(r"(?:entry (\S+) )?category (?:concept -> )?(\w+)", d):
            entry = base.lookup(m.group(1) or key)
            assert entry is not None, r
            assert entry.category == m.group(2) or entry.name in aligned, r
        elif m := re.match(r"form of (\S+)", d):
            entry = base.lookup(key)
            assert entry is not None and entry.name == m.group(1), r
        elif m := re.match(r"new entry (\S+) \((\w+), (\w+)\)", d):
            entry = base.lookup(m.group(1))
            assert entry is not None and (entry.category, entry.level) == m.groups()[1:], r
        else:
            raise AssertionError(f"unread decision: {d}")
    assert applied == taken


def test_gold_vote_changes_what_is_reported():
    """The demoted entries are no longer reported; the promoted and added ones are."""
    m = ProgramMatcher(learned=False)
    assert not [x.name for x in m.find("积极服务雅下水电工程建设，坚持依法治军、从严治军")]
    assert [x.name for x in m.find("提升晋电外送质效，健全村（社区）工作事项准入制度")] == [
        "晋电外送", "村（社区）工作事项准入制度"]
    assert not [x.name for x in m.find("落实研发费用加计扣除政策，推进国际产能合作")]
    assert [x.name for x in m.find("基本扫除青壮年文盲，构建社会主义和谐社会")] == ["扫盲", "社会主义和谐社会"]


def _discover_review() -> list:
    return list(_labeled_tsv("gazetteer_discover01.tsv"))


def test_extended_gazetteer_holds_the_reviewed_discoveries(corpus_docs, keyed_texts):
    """Gazetteer.default(extended=True): the names curators accepted from discover."""
    from policytag.programs import _surface_key

    base, ext = Gazetteer.default(), Gazetteer.default(extended=True)
    added = [p for p in ext if p.name not in base]
    review = _discover_review()
    assert len(review) == 4239 and {r["verdict"] for r in review} == {"name", "not", "fix"}
    taken = {r["corrected"] if r["verdict"] == "fix" else r["candidate"] for r in review if r["applied"] == "added"}
    assert {p.name for p in added} == taken and len(added) == 156
    # 83 of the 859 names were listed again by the national pass and kept by its reviewers, and 620 more kept by a
    # second reader (gazetteer_discover02.tsv): they are shipped now; the extension keeps the 156 the second reader dropped
    moved = {r["corrected"] if r["verdict"] == "fix" else r["candidate"] for r in review if r["applied"] == "default"}
    assert len(moved) == 703 and all(base.lookup(_surface_key(n)) is not None for n in moved)
    assert all(r["verdict"] in ("name", "fix") for r in review if r["applied"] != "-")
    base_forms = {_surface_key(s) for p in base for s in p.surface_forms}
    assert not any(_surface_key(s) in base_forms for p in added for s in p.surface_forms)
    texts = [keyed_texts[d.id] for d in corpus_docs]  # the corpora, not the seeds
    assert all(any(p.name in t for t in texts) for p in added), "a discovered name is not in the corpora"
    assert all(p.level == "national" or p.region != "全国" for p in added)
    m = ProgramMatcher(ext, learned=False)
    assert [x.name for x in m.find("开展全闽乐购活动")] == ["全闽乐购"]
    assert ProgramMatcher(learned=False).find("开展全闽乐购活动") == []


# entries a later pass renamed: the second consistency rulings (thirteenth session) record 增产节约 only as the
# titled 1987 movement, so the entry is named by that title and its bare form is gone
_RENAMED_LATER = {"增产节约": "增产节约、增收节支运动"}


def test_national_pass_applied_as_reviewed():
    """The eleventh session's reading of the national reports (labeled/gazetteer_national01.tsv): curators G24-G29
    listed the names the matcher missed, two reviewers judged every form blind to the gold; what both kept is
    shipped, what either dropped is not."""
    from sklearn.metrics import cohen_kappa_score

    from policytag.programs import _surface_key

    rows = list(_labeled_tsv("gazetteer_national01.tsv"))
    assert len(rows) == 484 and len({r["form"] for r in rows}) == 484
    second_kept = {_surface_key(r["form"]) for r in _labeled_tsv("gazetteer_discover02.tsv") if r["verdict"] != "drop"}
    base = Gazetteer.default()
    for r in rows:
        v = sorted(x.split(":")[1] for x in (r["reviewer1"], r["reviewer2"]))
        assert r["result"] == ("keep" if v == ["keep", "keep"] else "drop" if "drop" in v else "concept"), r["item"]
        shipped = base.lookup(_surface_key(r["form"]))
        if r["result"] != "drop":
            assert shipped is not None and _RENAMED_LATER.get(r["applied"], r["applied"]) == shipped.name, r["form"]
        else:  # not added by this pass (the second reading of the extension kept a few of these: 城镇住房制度改革)
            assert r["applied"] == "-" and (shipped is None or _surface_key(r["form"]) in second_kept), r["form"]
    proposals = list(_labeled_tsv("raw/national01.G2?.tsv"))
    assert len(proposals) == 650 and all(p["surface"] for p in proposals)
    first = [x["reviewer1"].split(":")[1] != "drop" for x in rows]
    second = [x["reviewer2"].split(":")[1] != "drop" for x in rows]
    assert sum(a == b for a, b in zip(first, second)) == 454
    assert round(cohen_kappa_score(first, second), 3) == 0.609


def test_gazetteer_follows_the_second_consistency_rulings():
    """labeled/gazetteer_consistency02.tsv: each change is what the shipped gazetteer holds, and the matcher
    reports the names as the rulings record them."""
    gaz = Gazetteer.default()
    rows = list(_labeled_tsv("gazetteer_consistency02.tsv"))
    assert len(rows) == 16
    for r in rows:
        if r["op"] == "category":
            assert gaz[r["entry"]].category == r["change"], r
        elif r["op"] == "remove_forms":
            for form in r["change"].split(", "):
                found = gaz.lookup(form)
                assert found is None or found.name != r["entry"], r
        elif r["op"] == "add":
            assert r["entry"] in gaz and gaz[r["entry"]].category == r["change"].split(",")[0], r
        elif r["op"] == "add_forms":
            assert gaz.lookup(r["change"]).name == r["entry"], r
        else:
            assert r["op"] == "drop" and r["entry"] not in gaz, r
    m = ProgramMatcher(learned=False)
    assert [x.name for x in m.find("坚持创新驱动，深入实施创新驱动发展战略")] == ["创新驱动发展战略"]
    assert [x.text for x in m.find("开展增产节约、增收节支运动，坚持增产节约")] == ["增产节约、增收节支运动"]
    assert [x.name for x in m.find("实施山水工程，统筹山水林田湖草沙一体化保护和系统治理")] == ["山水工程"]


def test_seventh_review_of_zones_and_layouts_applied():
    """labeled/gazetteer_review7.tsv: two reviewers judged the 163 entries shaped like a zone or a layout;
    what both call concept is a concept, what both keep is still reported, and their agreement is as stated."""
    from sklearn.metrics import cohen_kappa_score

    rows = list(_labeled_tsv("gazetteer_review7.tsv"))
    assert len(rows) == 163
    first, second = [r["R41"] for r in rows], [r["R42"] for r in rows]
    assert set(first) | set(second) == {"keep", "concept"} and all(r["R41_reason"] and r["R42_reason"] for r in rows)
    assert sum(a == b for a, b in zip(first, second)) == 149
    assert round(cohen_kappa_score(first, second), 3) == 0.795
    gaz = Gazetteer.default()
    for r in rows:
        both = {r["R41"], r["R42"]}
        assert r["applied"] == {frozenset({"concept"}): "concept", frozenset({"keep"}): "kept"}.get(
            frozenset(both), "unchanged (reviewers differ)"), r["name"]
        if r["applied"] == "concept":
            assert gaz[r["name"]].category == "concept", r["name"]
        else:
            assert gaz[r["name"]].category == r["category_before"] != "concept", r["name"]
    assert sum(r["applied"] == "concept" for r in rows) == 41


def test_second_reading_of_the_extension_applied():
    """labeled/gazetteer_discover02.tsv: what a second reader kept of the extension is shipped, what it dropped is
    only in the extension."""
    from policytag.programs import _surface_key

    rows = list(_labeled_tsv("gazetteer_discover02.tsv"))
    assert len(rows) == 776 and {r["reviewer"] for r in rows} == {"R37", "R38", "R39", "R40"}
    base, ext = Gazetteer.default(), Gazetteer.default(extended=True)
    later = _recategorised_later()  # a later gold vote may change a category
    for r in rows:
        shipped = base.lookup(_surface_key(r["form"]))
        if r["verdict"] == "drop":
            assert shipped is None and ext.lookup(_surface_key(r["form"])) is not None, r["form"]
        else:
            assert shipped is not None and shipped.name == r["shipped"], r["form"]
            if shipped.name not in later:
                assert (shipped.category == "concept") == (r["verdict"] == "concept"), r["form"]
    assert sum(r["verdict"] != "drop" for r in rows) == 620


# measured: G22 and G23 against the first curators on 301 candidates (68 names both, 3 only the first
# reading, 10 only the second), agreement 0.957, Cohen's kappa 0.884 on name (or fix) against not
# (G22 alone 0.911 on 150, G23 alone 0.857 on 151)
DISCOVER_KAPPA = 0.85


def test_discover_reviewers_agree():
    """A second curator read a sample of the candidates blind (labeled/raw/discover01.G2?.tsv)."""
    from sklearn.metrics import cohen_kappa_score

    first = {r["id"]: r["verdict"] for r in _discover_review()}
    pairs = [(first[r["id"]] != "not", r["verdict"] != "not")  # a name (or a fix) or not
             for r in _labeled_tsv("raw/discover01.G2?.tsv")]
    assert len(pairs) >= 300
    kappa = cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs])
    print(f"discover review: {len(pairs)} candidates read twice, kappa {kappa:.3f}")
    assert kappa >= DISCOVER_KAPPA


# The extended gazetteer, measured once held out (2026-11-23): the pg30 gold against the state it was
# measured on (eca9860) plus the names curators accepted from discover over the corpora with that state's
# gazetteer and scorer (4,239 candidates read, 859 new names): P 0.849 R 0.888 (names only 0.907), against
# P 0.858 R 0.844 (names 0.865) without them; learned=False P 0.848 R 0.883 (names 0.903) against 0.854 / 0.823.
# In-sample (every set below has been studied) it costs 1-3.5 points of precision for 0.5-1.5 of recall with
# the learned scorer, which already finds many of these names, and gains 2-5 points of recall without it.
EXTENDED_FLOORS = {"pg10.adjudicated.jsonl": (0.86, 0.94), "pg20.adjudicated.jsonl": (0.93, 0.96),
                   "pg30.adjudicated.jsonl": (0.88, 0.92), "pg32.adjudicated.jsonl": (0.93, 0.89),
                   "pg34.adjudicated.jsonl": (0.94, 0.85), "pg36.adjudicated.jsonl": (0.9, 0.91),
                   "pg38.adjudicated.jsonl": (0.89, 0.81), "pg40.adjudicated.jsonl": (0.87, 0.89),
                   "pg42.adjudicated.jsonl": (0.93, 0.89), "pg44.adjudicated.jsonl": (0.94, 0.88),
                   "pg46.adjudicated.jsonl": (0.9, 0.84), "pg48.adjudicated.jsonl": (0.9, 0.86)}


@pytest.mark.parametrize("pattern", sorted(EXTENDED_FLOORS))
def test_precision_recall_of_the_extended_gazetteer(matcher, corpus_root, pattern):
    from policytag.evaluate import program_report

    items = _program_gold(pattern, corpus_root)
    r = program_report(items, ProgramMatcher(Gazetteer.default(extended=True)))
    base = program_report(items, matcher)
    print(f"{pattern} extended: precision {r['precision']:.3f} recall {r['recall']:.3f} "
          f"(shipped {base['precision']:.3f} / {base['recall']:.3f})")
    assert r["precision"] >= EXTENDED_FLOORS[pattern][0] and r["recall"] >= EXTENDED_FLOORS[pattern][1]
    assert r["recall"] >= base["recall"]


def test_cli_programs(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("堅持“八八戰略”", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "policytag.cli", "programs", str(f), "--format", "tsv"],
                         capture_output=True, text=True, check=True).stdout
    assert out.split("\t")[1:5] == ["八八战略", "八八戰略", "3", "7"]
    out = subprocess.run([sys.executable, "-m", "policytag.cli", "programs", "list"],
                         capture_output=True, text=True, check=True).stdout
    assert len(out.splitlines()) >= 200
    run = [sys.executable, "-m", "policytag.cli", "programs", "开展全闽乐购活动", "--format", "tsv"]
    assert subprocess.run(run, capture_output=True, text=True, check=True).stdout == ""
    out = subprocess.run(run + ["--extended"], capture_output=True, text=True, check=True).stdout
    assert out.split("\t")[1:5] == ["全闽乐购", "全闽乐购", "2", "6"]


def _gold(records):
    return [(r.text, r.programs) for r in records]


def test_precision_recall_against_annotations(matcher, corpus_root):
    """Measured against the programs the annotators recorded on the dev split.

    The annotators' lists are incomplete (programs mentioned in passing were
    often not recorded), so precision here is a lower bound; see the dedicated
    program annotation below for the fuller gold standard.
    """
    from policytag.datasets import load_labeled
    from policytag.evaluate import program_report

    dev = load_labeled(corpus_root, split="dev")
    r = program_report(_gold(dev), ProgramMatcher(learned=False))
    print(f"dev annotations, learned=False: precision {r['precision']:.3f} recall {r['recall']:.3f} "
          f"({r['found']} found, {r['annotated']} annotated)")
    assert r["annotated"] > 800
    # measured 0.772 / 0.732 after the review; 0.673 / 0.813 with G03's additions (2026-11-23):
    # the 290 more names found are mostly real programs these lists leave out (户籍制度改革,
    # 集体林权制度改革, 最低生活保障制度 ...), so precision against them falls
    # 0.680 / 0.788 after the second review and G06's additions (sixth session); 0.646 / 0.794 after
    # the seventh session's additions (goals such as 教育强省 and many named reforms these lists leave out);
    # 0.623 / 0.785 before and 0.605 / 0.786 after the eleventh session's national pass (44 more names found
    # in these paragraphs: 政务公开, 基本公共卫生服务 ... which these incomplete lists seldom recorded); 0.595 /
    # 0.792 after the second reading moved 620 names of the extension into the shipped file
    assert r["precision"] >= 0.59 and r["recall"] >= 0.78
    # The learned names are mostly the long tail these incomplete lists leave out, too.
    r = program_report(_gold(dev), matcher)
    print(f"dev annotations: precision {r['precision']:.3f} recall {r['recall']:.3f}")
    # measured 0.669 / 0.798; 0.674 / 0.776 (sixth session); 0.637 / 0.784 (seventh); 0.628 / 0.745
    # (eighth: unknown bare quoted labels now need the scorer's probability 0.9); 0.609 / 0.75 after the
    # eighth session's additions (依法行政, 扩大内需 ... which these lists leave out); 0.588 / 0.746 after the
    # eleventh session's national pass
    assert r["precision"] >= 0.58 and r["recall"] >= 0.73


def _gold_records(files, corpus_root):  # noqa: ANN001, ANN202
    """(paragraph text, record) of every line of the program gold ``files``."""
    import json

    from policytag.corpus import read_shared_corpora
    from policytag.datasets import paragraph_hash
    from policytag.paragraphs import paragraphs

    docs = {d.id: d for d in read_shared_corpora(corpus_root)}
    cache: dict = {}
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec["doc"] not in cache:
                cache[rec["doc"]] = {paragraph_hash(p.text): p.text for p in paragraphs(docs[rec["doc"]].text)}
            yield cache[rec["doc"]][rec["hash"]], rec


def _program_gold(pattern: str, corpus_root) -> list:  # noqa: ANN001
    """(paragraph text, annotated programs) of the program gold files matching ``pattern``."""
    from pathlib import Path

    labeled = Path(__file__).resolve().parent.parent / "labeled"
    # reader files in labeled/raw; the adjudicated gold (scripts/adjudicate_programs.py) in labeled/
    files = sorted((labeled / "raw").glob(pattern)) or sorted(labeled.glob(pattern))
    assert files, f"no program gold standard {pattern} in {labeled}"
    return [(text, rec["programs"]) for text, rec in _gold_records(files, corpus_root)]


# Measured 2026-11-22/23 (labeled/README.md, "Program gold standard"); each floor is
# the measured figure minus a small margin, so a regression of the matcher fails.
# The targets (0.95 / 0.90) are not met; see the closing note of the programs issue.
#   pg01 (350 paragraphs, 521 mentions; its errors were studied to design the
#   concept category and the criticised-template filter)
#   pg03 (300 fresh paragraphs, 479 mentions; never used to change the matcher)
# After the second gazetteer pass: pg01 P 0.811 R 0.668, pg03 P 0.726 R 0.666.
# After the precision review of the gazetteer (R01, R02; 2026-11-23, blind to the
# gold files): pg01 P 0.826 R 0.647, pg03 P 0.771 R 0.641.
#   pg05 (a second full reading of the pg03 paragraphs by P07 and P08, 507 mentions,
#   after the GUIDE named the programs the issue lists): P 0.843 R 0.671.
#   pg03.adjudicated (labeled/pg03.adjudicated.jsonl: where pg03 and pg05 agree, the first
#   reading; the 67 paragraphs where they differ decided by J02, adj03): 559 mentions,
#   P 0.873 R 0.623.  Each reading against it: P04/P05 P 0.985 R 0.844, P07/P08 P 1.000
#   R 0.900 (favoured: the adjudicated gold is made of their lists).
#   pg06 (a fresh held-out set: the 231 dev paragraphs in no earlier batch, read by P09 and
#   P10 after the gazetteer review; 371 mentions): P 0.858 R 0.701.
# With the learned scorer (2026-11-23, third session; ProgramMatcher() default): it is
# trained on pg01 and pg03.adjudicated (scripts/train_program_scorer.py), so the figures on
# pg01, pg03, pg05 and pg03.adjudicated are in-sample (pg01 P 0.899 R 0.787, pg03 P 0.823
# R 0.831, pg05 P 0.877 R 0.844, pg03.adjudicated P 0.943 R 0.816); its honest figures are
# the 5-fold cross-validation grouped by document (P 0.855 R 0.720, against P 0.852 R 0.649
# without it) and the held-out sets:
#   pg06: P 0.857 R 0.787 (learned=False: P 0.861 R 0.717).
# Fourth session (2026-11-23): the scorer is trained on exact names (a cut-short "户籍制度"
# beside an annotated "户籍制度改革" is a negative) and a candidate needs a word that is not
# generic (no "专项行动", "制度改革"); program_report also counts exact names.  Cross-validated
# P 0.860 R 0.686, exact names P 0.764 R 0.610 (without the scorer P 0.852 R 0.649, exact
# P 0.763 R 0.582).  In-sample: pg01 P 0.892 R 0.747, pg03 P 0.823 R 0.781, pg05 P 0.877
# R 0.795, pg03.adjudicated P 0.939 R 0.764.  Held out:
#   pg06 (second look, nothing tuned on it): P 0.871 R 0.763, exact P 0.797 R 0.698
#   (learned=False: P 0.861 R 0.717, exact P 0.790 R 0.658).
#   pg08 (300 train-split paragraphs in no earlier batch, read by P12 and P13; 450 mentions;
#   measured once, after every change above): P 0.822 R 0.813, exact P 0.745 R 0.740
#   (learned=False: P 0.835 R 0.800, exact P 0.760 R 0.731; the learned names there: 24
#   found, precision 0.375).
# Fifth session (2026-11-23): pg06 and pg08 become studied sets (their figures above were
# the last held-out ones): the scorer is trained on them too (1181 paragraphs, 264 positive
# candidates; cross-validated P 0.864 R 0.737, exact P 0.776 R 0.663, without the scorer
# P 0.857 R 0.698); a quoted numbered label of a class of people, firms or costs
# (“两院”院士, “三资”企业, “三公”消费) is not a program; a span may cross one 和/与.
# In-sample now: pg01 P 0.891 R 0.754, pg03 P 0.826 R 0.795, pg05 P 0.877 R 0.807,
# pg03.adjudicated P 0.940 R 0.776, pg06 P 0.911 R 0.798, pg08 P 0.881 R 0.842.
# Then G03's gazetteer additions (made from the pg01 and pg03.adjudicated misses, so in-sample
# there), reviewed by R03 and R04 blind to the gold files: 210 entries and 27 aliases kept,
# the scorer retrained (CV P 0.873 R 0.863; without it P 0.868 R 0.853).  pg06: P 0.909
# R 0.836 (before the additions 0.911 / 0.798); pg08: P 0.865 R 0.869 (0.881 / 0.842);
# pg01 P 0.894 R 0.887, pg03.adjudicated P 0.947 R 0.919, pg03 P 0.824 R 0.933,
# pg05 P 0.866 R 0.935.
#   pg10.adjudicated (the held-out set: 300 train-split paragraphs in no earlier batch, read in
#   full by P15/P16 and again by P17/P18, the 48 disputed paragraphs decided by J03; 428
#   mentions; measured once, after every change above): P 0.826 R 0.879, exact P 0.736
#   R 0.783 (learned=False: P 0.827 R 0.862, exact 0.735 / 0.766).  Each reading against
#   it: P 0.966 / 0.990, R 0.925 / 0.925.  (Measured afterwards, not used to decide: the
#   matcher without G03's additions gave P 0.833 R 0.860, learned=False 0.836 / 0.832.)
# Sixth session (2026-11-23): pg10.adjudicated becomes a studied set (trains the scorer); a second
# precision review of the gazetteer (R05, R06, blind to the gold files) of the 223 entries that were
# false positives on the studied sets or share their kind made 108 of them concept and removed 10;
# curator G06's additions from the pg06/pg08/pg10.adjudicated misses, reviewed by R07 and R08 (84
# entries, 22 concept); the scorer retrained (CV P 0.908 R 0.878; without it P 0.908 R 0.869).
# In-sample now: pg01 P 0.934 R 0.873, pg03 P 0.857 R 0.925, pg05 P 0.898 R 0.923, pg03.adjudicated
# P 0.983 R 0.909, pg06 P 0.937 R 0.879, pg08 P 0.919 R 0.904, pg10.adjudicated P 0.913 R 0.935.
#   pg12.adjudicated (the held-out set: 300 train-split paragraphs in no earlier batch, read in full by
#   P19/P20 and again by P21/P22, the 44 disputed paragraphs decided by J04; 446 mentions; measured
#   once, after every change above): P 0.864 R 0.816, exact P 0.767 R 0.722 (learned=False: P 0.852
#   R 0.791, exact 0.755 / 0.697). Each reading against it: P 0.988 / 0.973, R 0.951 / 0.966.  By
#   source: gazetteer 369 found, precision 0.91; templates 39, 0.41; learned 12, 1.00.
# Seventh session (2026-11-23): pg12.adjudicated becomes a studied set (trains the scorer; CV P 0.911
# R 0.870, without it P 0.909 R 0.857); the quoted templates follow the adj05 rulings (no outcome
# counts, no count label summing up the list before it or naming the parts of a program just
# named, the rejected Taiwan formulas also later in their list, no principle or way of thinking).
# In-sample: pg12.adjudicated P 0.915 R 0.854 (templates 16 right of 22 found).
# Then the third gazetteer review (R09, R10; labeled/gazetteer_review3.tsv) aligned the concept entries
# with J05's rulings: 61 entries (X强国/X强省, X中国-type goals, 创新型国家, 新型举国体制, pilot zones ...)
# are reported again.  pg01 (read first, before any ruling; its readers left such goals out) drops to
# P 0.898 R 0.875; pg12.adjudicated P 0.918 R 0.883.  Then G07's additions from the pg12.adjudicated
# misses, reviewed by R11 and R12 (28 entries, 7 aliases); the scorer retrained (CV P 0.902 R 0.894; without
# it P 0.900 R 0.880).  In-sample now: pg01 P 0.893 R 0.875, pg03.adjudicated P 0.977 R 0.909, pg05 P 0.892
# R 0.923, pg06 P 0.930 R 0.892, pg08 P 0.917 R 0.913, pg10.adjudicated P 0.910 R 0.949, pg12.adjudicated
# P 0.923 R 0.951.
#   pg14.adjudicated (the held-out set: 300 train-split paragraphs in no earlier batch, read in full by
#   P23/P24 and again by P25/P26 after J05's rulings were in the guide, the 44 disputed paragraphs decided
#   by J06; 430 mentions; measured once, after every change above): P 0.841 R 0.793, exact P 0.767
#   R 0.719 (learned=False: P 0.838 R 0.774, exact 0.767 / 0.705; patterns=False too: P 0.853 R 0.747).
#   Each reading against it: P 0.976 / 0.985, R 0.953 / 0.923.  By source: gazetteer 373 found,
#   precision 0.85; templates 21, 0.62; learned 9, 0.89.
# Then pg14.adjudicated became a studied set: more template rules from the adj05/adj06 rulings (documents
# of measures “40条”, “九二共识”, “三甲”医院, A、B等六大行动); the fourth precision review (R13, R14; 56
# entries to concept, 4 removed); G08's additions from the pg14 misses reviewed by R15 and R16 (53 entries,
# 15 aliases); the scorer retrained (CV P 0.904 R 0.896; without it P 0.901 R 0.884).  In-sample now: pg01
# P 0.878 R 0.868 (old readings: the new entries fire where its readers, before the rulings, recorded
# nothing), pg03.adjudicated P 0.977 R 0.900, pg05 P 0.895 R 0.917, pg06 P 0.922 R 0.889, pg08 P 0.898
# R 0.907, pg10.adjudicated P 0.920 R 0.946, pg12.adjudicated P 0.944 R 0.951, pg14.adjudicated P 0.926
# R 0.965.
#   pg16.adjudicated (the second held-out set of the session: 300 train-split paragraphs in no earlier batch,
#   read in full by P27/P28 and again by P29/P30, the 47 disputed paragraphs decided by J07; 491 mentions;
#   measured once, after every change above): P 0.859 R 0.796, exact P 0.753 R 0.695 (learned=False:
#   P 0.856 R 0.782; patterns=False too: P 0.874 R 0.754).  Each reading against it: P 0.979 / 0.996,
#   R 0.951 / 0.943.  By source: gazetteer 420 found, precision 0.87; templates 20, 0.60; learned 13, 0.77.
# Third round (pg16.adjudicated studied): “九连好”, “三医”, “一揽子” not programs; the fifth precision review
# (R17, R18; 13 concept: 五位一体, 四个全面 ...); G09's additions from the pg16 misses reviewed by R19 and R20
# (74 forms; 5 concept entries reported: 全面深化改革, 智改数转, 港人治港 ...); the scorer retrained (CV P 0.892
# R 0.901; without it P 0.891 R 0.889).  In-sample now: pg01 P 0.856 R 0.877, pg03.adjudicated P 0.967 R 0.898,
# pg05 P 0.892 R 0.921, pg06 P 0.905 R 0.895, pg08 P 0.882 R 0.900, pg10.adjudicated P 0.906 R 0.951,
# pg12.adjudicated P 0.928 R 0.937, pg14.adjudicated P 0.924 R 0.960, pg16.adjudicated P 0.918 R 0.947.  The
# older sets lose precision as the guide's rulings add kinds their readers did not record.
#   pg18.adjudicated (the third held-out set of the session: 300 train-split paragraphs in no earlier batch,
#   read in full by P31/P32 and again by P33/P34, the 42 disputed paragraphs decided by J08; 515 mentions;
#   measured once, after every change above): P 0.863 R 0.808, exact P 0.789 R 0.726 (learned=False:
#   P 0.857 R 0.784; patterns=False too: P 0.894 R 0.763).  Each reading against it: P 0.996 / 0.988,
#   R 0.946 / 0.957.  By source: gazetteer 434 found, precision 0.89; templates 27, 0.33; learned 13, 0.92.
# Fourth round (pg18.adjudicated studied): quoted spatial layouts, counted classes and outcomes are not
# programs (adj07/adj08); G10's additions from the pg18 misses reviewed by R21 and R22 (79 forms; 爱国者治港,
# 爱国者治澳 reported); the scorer retrained (CV P 0.887 R 0.909; without it P 0.887 R 0.894).  In-sample now:
# pg01 P 0.850 R 0.879, pg03.adjudicated P 0.966 R 0.905, pg05 P 0.886 R 0.923, pg06 P 0.891 R 0.898, pg08
# P 0.875 R 0.902, pg10.adjudicated P 0.902 R 0.951, pg12.adjudicated P 0.924 R 0.939, pg14.adjudicated
# P 0.920 R 0.963, pg16.adjudicated P 0.906 R 0.947, pg18.adjudicated P 0.909 R 0.950.
#   pg20.adjudicated (the fourth held-out set of the session: 300 train-split paragraphs in no earlier batch,
#   read in full by P35/P36 and again by P37/P38, the 24 disputed paragraphs decided by J09; 418 mentions;
#   measured once, after every change above): P 0.885 R 0.837, exact P 0.783 R 0.734 (learned=False:
#   P 0.880 R 0.811; patterns=False too: P 0.898 R 0.785).  Each reading against it: P 0.976 / 0.993,
#   R 0.974 / 0.983.  By source: gazetteer 362 found, precision 0.90; templates 16, 0.62; learned 14, 0.86.
# Fifth round (pg20.adjudicated studied): “四上”单位, “六特”产业, “一降三减”, “五险一金”, “四梁八柱” not programs;
# the sixth precision review (R23, R24; 24 concept); G11's additions from the pg20 misses reviewed by R25 and
# R26 (79 forms; 耕地红线 reported); the scorer retrained (CV P 0.889 R 0.915; without it P 0.887 R 0.898).
# In-sample now: pg01 P 0.840 R 0.877, pg03.adjudicated P 0.960 R 0.907, pg05 P 0.881 R 0.925, pg06 P 0.881
# R 0.898, pg08 P 0.871 R 0.900, pg10.adjudicated P 0.897 R 0.953, pg12.adjudicated P 0.917 R 0.946,
# pg14.adjudicated P 0.911 R 0.960, pg16.adjudicated P 0.908 R 0.947, pg18.adjudicated P 0.923 R 0.950,
# pg20.adjudicated P 0.935 R 0.969.
#   pg22.adjudicated (the fifth held-out set of the session: 300 train-split paragraphs in no earlier batch,
#   read in full by P39/P40 and again by P41/P42, the 34 disputed paragraphs decided by J10; 443 mentions;
#   measured once, after every change above): P 0.868 R 0.822, exact P 0.775 R 0.736 (learned=False:
#   P 0.861 R 0.801; patterns=False too: P 0.891 R 0.779).  Each reading against it: P 0.982 / 0.993,
#   R 0.968 / 0.957.  By source: gazetteer 388 found, precision 0.89; templates 20, 0.35; learned 10, 1.00.
# Sixth round (eighth session, pg22.adjudicated studied): a two-character name outside quotes counts where
# jieba keeps it whole (援疆, 双拥), unless it starts with a number (两山); no template inside a concept name;
# unknown bare quoted labels need the scorer's probability 0.9 (left out one studied set at a time, those
# from 0.5 to 0.9 were right 30 times of 59), labels with a program word 0.5; the gold-vote pass
# (scripts/gold_vote.py, labeled/gazetteer_goldvote.tsv: 9 entries to concept; 18 of the 22 strings the gold
# records made matchable); the scorer retrained (CV P 0.901 R 0.892; without it P 0.892 R 0.892).  In-sample
# now: pg01 P 0.841 R 0.850, pg03.adjudicated P 0.951 R 0.860, pg05 P 0.886 R 0.892, pg06 P 0.888 R 0.873,
# pg08 P 0.870 R 0.880, pg10.adjudicated P 0.892 R 0.925, pg12.adjudicated P 0.926 R 0.928, pg14.adjudicated
# P 0.918 R 0.947, pg16.adjudicated P 0.924 R 0.949, pg18.adjudicated P 0.935 R 0.961, pg20.adjudicated P
# 0.938 R 0.955, pg22.adjudicated P 0.915 R 0.876 (the older sets lose recall: their templates of 0.5-0.9
# were right there, the rules having been written from them).
#   pg24.adjudicated (the held-out set of the eighth session: 300 train-split paragraphs in no earlier
#   batch, read in full by P43/P44 and again by P45/P46, the 28 disputed paragraphs decided by J11; 467
#   mentions; measured once, after every change above): P 0.888 R 0.833, exact P 0.778 R 0.726
#   (learned=False: P 0.875 R 0.812; patterns=False too: P 0.885 R 0.782).  Each reading against it:
#   P 1.000 / 0.991, R 0.955 / 0.970.  By source: gazetteer 410 found, precision 0.89; templates 6, 1.00;
#   learned 20, 0.90.
# Seventh round (eighth session, pg24.adjudicated studied): the gold vote again (17 of 22 strings made matchable:
# 扩大内需, 一件事, 统一大市场 ...); G12's additions from the pg22/pg24 misses reviewed by R27 and R28 (91 forms kept;
# 依法行政 per J10, 服务型政府 ...), then a third gold vote (医疗救助制度, 扩大企业自主权 to concept; 三保 added); the
# scorer retrained (CV P 0.887 R 0.909; without it P 0.878 R 0.903).  The older sets lose precision where the new
# entries follow rulings their readers did not have (依法行政: 23 unconfirmed reports, 17 of them in sets read
# before J10).  In-sample now: pg01 P 0.825 R 0.858, pg03.adjudicated P 0.934 R 0.862, pg06 P 0.855 R 0.871, pg08
# P 0.850 R 0.882, pg10 P 0.860 R 0.930, pg12 P 0.912 R 0.930, pg14 P 0.911 R 0.956, pg16 P 0.920 R 0.961, pg18
# P 0.918 R 0.967, pg20 P 0.930 R 0.957, pg22 P 0.912 R 0.966, pg24 P 0.898 R 0.949 (all adjudicated from pg10).
#   pg26.adjudicated (the second held-out set of the eighth session: 300 train-split paragraphs in no earlier
#   batch, read in full by P47/P48 and again by P49/P50, the 45 disputed paragraphs decided by J12; 497 mentions;
#   measured once, after every change above): P 0.853 R 0.751, exact P 0.762 R 0.658 (learned=False: P 0.831
#   R 0.716; patterns=False too: P 0.859 R 0.702).  Each reading against it: P 0.985 / 0.956, R 0.942 / 0.934;
#   the readings agree at F1 0.929, the lowest since pg10.  By source: gazetteer 397 found, precision 0.86;
#   templates 6, 0.83; learned 26, 0.77.  By part: provincial 2026 P 0.820 R 0.767 (262 mentions), national from
#   1990 P 0.897 R 0.753 (182), national before 1990 P 0.897 R 0.660 (53: written-out 方针 items and campaigns).
# Eighth round (pg26.adjudicated studied): a consistency adjudication of the studied gold (J13, J14: 41 names read in
# all 422 occurrences, blind to how they had been recorded, one ruling each; 89 occurrences added, 26 removed, in 103
# paragraphs; labeled/consistency01_rulings.tsv); the fourth gold vote (好房子, 依法治军方针 ... concept; 美丽乡村 ...
# added); G13's additions from the pg26 misses reviewed by R29 and R30 (kappa 0.785; 94 forms kept, 3 concept, 20 not
# added); the scorer retrained (CV P 0.894 R 0.912; without it P 0.885 R 0.904).  In-sample now (the adjudicated sets
# with the corrections): pg01 P 0.822 R 0.860, pg03.adjudicated P 0.922 R 0.862, pg10 P 0.901 R 0.931,
# pg12 P 0.941 R 0.935, pg14 P 0.925 R 0.957, pg16 P 0.936 R 0.964, pg18 P 0.929 R 0.964,
# pg20 P 0.934 R 0.959, pg22 P 0.919 R 0.969, pg24 P 0.900 R 0.949, pg26 P 0.911 R 0.936.
#   pg28.adjudicated (the third held-out set of the eighth session: 300 train-split paragraphs in no earlier
#   batch, read in full by P51/P52 and again by P53/P54, the 30 disputed paragraphs decided by J15; 458 mentions;
#   measured once, after every change above): P 0.883 R 0.729, exact P 0.771 R 0.633 (learned=False: P 0.860
#   R 0.716; patterns=False too: P 0.880 R 0.692).  Each reading against it: P 0.995 / 0.991, R 0.943 / 0.978;
#   the readings agree at F1 0.957.  By source: gazetteer 358 found, precision 0.88; templates 3 of 3; learned
#   14, 0.93.  By part: provincial 2026 P 0.859 R 0.819 (254 mentions), national from 1990 P 0.948 R 0.659 (167),
#   national before 1990 P 0.789 R 0.432 (37).  Most national misses are kinds the later rulings added: items of
#   split 方针 (标本兼治, 惩防并举), reform targets (社会主义市场经济体制, J15), items of reform lists (农垦, 供销社).
# Then pg28.adjudicated became a studied set (the next held-out set, pg30/pg31, drawn first and not read): the fifth
# gold vote (亚欧黄金通道, 农村危房改造 ... concept; 五个必须, 两基, 过境免签 ... added); G14's additions from the pg28
# misses reviewed by R31 and R32 (kappa 0.837; 73 forms kept, 2 concept, 10 not added); the scorer retrained (CV
# P 0.893 R 0.911; without it P 0.883 R 0.901).  Not measured on a held-out set yet.  In-sample: pg10
# P 0.897 R 0.931, pg12 P 0.926 R 0.932, pg14 P 0.921 R 0.957, pg16 P 0.936 R 0.968, pg18
# P 0.931 R 0.965, pg20 P 0.930 R 0.957, pg22 P 0.921 R 0.969, pg24 P 0.899 R 0.949, pg26
# P 0.913 R 0.938, pg28 P 0.912 R 0.893.
#   pg30.adjudicated (the held-out set of the ninth session: 300 train-split paragraphs in no earlier batch,
#   read in full by P55/P56 and again by P57/P58, the 16 disputed paragraphs decided by J16; 463 mentions;
#   measured once, on eca9860, after every change above): P 0.858 R 0.844, exact P 0.760 R 0.739
#   (learned=False: P 0.854 R 0.823; patterns=False too: P 0.861 R 0.803).  Each reading against it: P 0.998 /
#   0.993, R 0.991 / 0.970; the readings agree at F1 0.979, the highest yet.  By source: gazetteer 426 found,
#   precision 0.86; templates 3 of 3; learned 21, 0.76.  By part: provincial 2026 P 0.823 R 0.855 (255
#   mentions), national from 1990 P 0.895 R 0.795 (156), national before 1990 P 0.900 R 0.900 (30), NPC
#   resolutions 22 of 22.
# Then pg30.adjudicated became a studied set (every train paragraph but 61 is now in a batch): the sixth gold
# vote (对口援藏, 全域土地综合整治 concept; 一表通, 两个确保, 海洋强省, 经营责任制 added; forms 内卷式,
# 国企改革行动, 整治群众身边不正之风, 职业伤害保障); the scorer retrained (CV P 0.891 R 0.908; without it
# P 0.882 R 0.897).  Not measured on a held-out set.  In-sample: pg30 P 0.871 R 0.888 (exact 0.779 / 0.784;
# learned=False 0.861 / 0.840; names only 0.905); the other sets as before within 0.005.
#   pg32.adjudicated (the held-out set of the eleventh session: 300 paragraphs that carry no theme label and
#   are in no earlier batch, drawn with --split unlabelled, so 258 national and 42 provincial; read in full by
#   P59/P60 and again by P61/P62, the 33 disputed paragraphs decided by J17; 371 mentions, 355 names; measured
#   once, on a87c02d): P 0.928 R 0.744, exact P 0.795 R 0.628, names only R 0.772 (learned=False: P 0.899
#   R 0.704, names 0.730; patterns=False too: P 0.929 R 0.677); with the extended gazetteer P 0.918 R 0.801,
#   names 0.825.  Each reading against it: P 0.983 / 0.978, R 0.954 / 0.973.  By source: gazetteer 270
#   found, precision 0.93; learned 19, 0.89; templates 4, 0.75.  By part: provincial 2026 P 0.902 R 0.816
#   (103 mentions), national from 1990 P 0.939 R 0.718 (195), national before 1990 P 0.944 R 0.712 (73).
#   Of the 62 names the extended state missed, 43 occur elsewhere in ../shared/corpora (政务公开, 扫盲,
#   公私合营, 基本公共卫生服务, 异地就医直接结算 ...): the national reports have had no curator's full reading.
#   Every hit was also judged for reference (REFERENCE_PRECISION below): 0.99.
# Then pg32.adjudicated became a studied set: 过渡时期的总路线 and 对外政策的总路线 added so that bare 总路线 in
# them is no longer 社会主义建设总路线 (the reference judges' one real error); the scorer retrained with pg32
# (CV P 0.891 R 0.900; without it P 0.882 R 0.887).  In-sample: pg32 P 0.940 R 0.774 (names 0.803); the
# other sets within the floors.
#   pg34.adjudicated (the held-out set of the national pass: 300 unlabelled paragraphs of nine national reports,
#   gwr-1957, 1978, 1984, 1993, 2000, 2006, 2012, 2018, 2025, drawn before curators G24-G29 read the other 43 in
#   full; read by P63/P64 and again by P65/P66, the 16 disputed paragraphs decided by J18; 327 mentions, 288
#   names): before the pass (96526d0) P 0.937 R 0.731, names 0.760 (learned=False 0.922 / 0.700; extended
#   0.930 / 0.786, names 0.823); after it (d8ed4b2) P 0.932 R 0.758, exact 0.807 / 0.651, names 0.788
#   (learned=False 0.919 / 0.734; patterns=False too 0.931 / 0.713; extended 0.926 / 0.810, names 0.847).  Each
#   reading against it: P 0.985 / 0.991, R 0.976 / 0.982.  By part (after): national from 1990 P 0.930 R 0.801
#   (266 mentions), before 1990 P 0.944 R 0.574 (61).  The pass cost the studied sets 1-3.6 points of
#   precision (pg12 0.926 -> 0.890, pg30 0.871 -> 0.856) for up to 6.4 of recall (pg32 0.774 -> 0.838).
# Then the second reading of the extension moved 620 names into the shipped file and the scorer was retrained with pg34.
#   pg36.adjudicated (the held-out set of the final state c7f9505: 300 unlabelled paragraphs of the 25 provincial reports,
#   82 of them Hainan's; read by P67/P68 and again by P69/P70, the 41 disputed paragraphs decided by J19; 605 mentions;
#   measured once): P 0.860 R 0.893, exact 0.764 / 0.788 (learned=False 0.824 / 0.899: its 37 quoted templates are
#   right 0.16 of the time; patterns=False too 0.864 / 0.889; extended 0.853 / 0.901).  Each reading against it:
#   P 0.985 / 0.990, R 0.969 / 0.972.  By source: gazetteer 618 found, precision 0.86; learned 2 of 2; templates 0 of 3.
# Twelfth session: the seventh gold vote (pg10 ... pg32; labeled/gazetteer_goldvote.tsv), then
#   pg38.adjudicated (the held-out set of the twelfth session: the 238 unlabelled paragraphs left in the nine national
#   reports kept out of the national pass, which no curator read; read in full by P71 and again by P72, the 12 disputed
#   paragraphs decided by J20; 218 mentions; measured once, on 2d10177): P 0.878 R 0.798, exact 0.801 / 0.720
#   (learned=False 0.881 / 0.803; patterns=False too 0.889 / 0.789; extended 0.861 / 0.807).  Each reading against
#   it: P 1.000 / 1.000, R 0.982 / 0.936.  By part: national from 1990 P 0.882 R 0.818 (159 mentions), before 1990
#   P 0.865 R 0.746 (59).  By source: gazetteer 190 found, precision 0.89; learned 5, 0.40; templates 1 of 1.  The
#   misses are the long tail of one report each (全国人民学解放军, 对外援助八项原则, 大飞机, 外商直接投资人民币结算).
# Thirteenth session: the holder rule (a name followed by 模范城, 示范区, 联席会 ... is not a mention), then
#   pg40.adjudicated (the held-out set of the thirteenth session: the 292 unlabelled paragraphs left in the 25
#   provincial reports; read in full by P73/P74 and again by P75/P76, F1 0.970; the 22 disputed paragraphs decided
#   by J21; 516 mentions), measured on dcb9514 and on d01f007 (the holder rule never fires there) alike: P 0.858
#   R 0.882, exact 0.765 / 0.781 (learned=False 0.814 / 0.880; extended 0.847 / 0.891); then, after the seventh
#   gazetteer review (41 zones, corridors and layout labels made concept, labeled/gazetteer_review7.tsv), once more:
#   P 0.869 R 0.882, exact 0.775 / 0.781 (learned=False 0.824 / 0.880; patterns=False too 0.874 / 0.880; extended
#   0.858 / 0.891).  By source: gazetteer 516 found, precision 0.87; learned 1 of 2; templates 0 of 2.  Each reading
#   against it: P 1.000 / 0.994, R 0.955 / 0.988.  The wrong ones are a long tail of provincial brands and
#   slogans the readers do not record (雅韵三湘, 鼓岭缘, 海南文明岛) and names as fields of work (双拥 in …等工作).
# Then the eighth gold vote (pg10 ... pg40 studied) and the scorer retrained with pg36, pg38 and pg40, measured on
#   pg42.adjudicated (300 unlabelled paragraphs of the national reports the national pass read, drawn before the
#   round; P77/P78 and again P79/P80, F1 0.971; 15 disputes decided by J22; 279 mentions), before (11eba6a) and
#   after (a42a2d5) alike: P 0.917 R 0.875, exact 0.852 / 0.814 (learned=False 0.911 / 0.864; extended 0.910 /
#   0.882); from 1990 P 0.907 R 0.877, before 1990 P 0.931 R 0.869.  Its recall is of reports the curators read.
# Then the second consistency adjudication (labeled/consistency02_rulings.tsv: J23-J26 re-decided, blind, the 747
#   occurrences of the 65 names the gold of pg10 ... pg42 had recorded both ways; +132 / -43; J27 agrees on 138 of
#   150) corrected the gold of every set.  The held-out states again, on the corrected gold: pg36 (c7f9505) P 0.865
#   R 0.893, pg38 (2d10177) 0.878 / 0.784, pg40 (b06d8e7) 0.873 / 0.884, pg42 (11eba6a) 0.932 / 0.873.
# Tried again and not kept (thirteenth session): the context filter of the tenth session with clause features (the
#   characters and 、 before and after, 等, 工作, headings), left out one of 24 sets at a time over 9,589 found names:
#   AUC 0.79; at 0.5 it removes 140 names of which 53 are right (precision 0.884 -> 0.891).
# Then the gazetteer aligned with those rulings (labeled/gazetteer_consistency02.tsv, first group: bare 创新驱动,
#   就业优先, 科技强军 no longer forms; 增产节约 only the titled movement; 水源/省份/高压态势 as holders), measured on
#   pg44.adjudicated (300 more unlabelled paragraphs of the national reports the curators read, drawn before it;
#   P81/P82 and again P83/P84, F1 0.957; 21 disputes decided by J28; 272 mentions): before (c562423) P 0.939
#   R 0.853, after (e7c876a) P 0.943 R 0.853, exact 0.878 / 0.794 (learned=False 0.935 / 0.842; extended 0.944 /
#   0.864); from 1990 P 0.941 R 0.867, before 1990 P 0.949 R 0.812.  Its misses showed six entries an earlier gold
#   vote had demoted that the rulings always record (互利共赢开放战略, 城乡居民基本医疗保险 ...): promoted after,
#   so pg44 is studied since (0.944 / 0.868 in-sample).
# The final state of the thirteenth session (99aa07c: the scorer retrained with pg44), measured once on
#   pg46.adjudicated (300 more unlabelled national paragraphs drawn after every change; P85/P86 and again P87/P88,
#   F1 0.966; 18 disputes decided by J29; 313 mentions): P 0.915 R 0.827, exact 0.861 / 0.780 (learned=False
#   0.910 / 0.815; extended 0.908 / 0.831); from 1990 P 0.933 R 0.842, before 1990 P 0.871 R 0.785.  Sets of 300
#   paragraphs of the same reports differ by 3 points (pg44 0.943 / 0.853 a few changes earlier).
# Then the ninth gold vote (pg10 ... pg46 on the corrected gold) and the scorer retrained with pg46, measured on
#   pg48.adjudicated (300 more unlabelled national paragraphs drawn before the round; P89/P90 and again P91/P92,
#   F1 0.971; 11 disputes decided by J30; 264 mentions): before (1778738) P 0.916 R 0.871, after (6bae148) P 0.913
#   R 0.871 (learned=False 0.919 / 0.867; extended 0.906 / 0.871); from 1990 P 0.920 R 0.874, before 1990 P 0.892
#   R 0.864.  The round's in-sample gains (pg42 +0.5 / +1.8 points) do not carry over to unseen paragraphs.
# Tried and not kept: training the scorer on names ending in a program word generated as if the gazetteer
# knew none of them (1,584 positives in 9,864 spans, not the few the gazetteer leaves over).  Retrained on
# the state each set was measured on and run on that held-out set: pg28 P 0.876 R 0.729 at span >= 0.4
# (shipped then: 0.883 / 0.729), pg26 0.866 / 0.758 (0.862 / 0.752 on the corrected gold).  Clear names
# still score 0.1-0.45 (产业提质升级行动 0.42, 数字贸易示范区 0.16): a string model cannot tell an
# unseen name from the many generic phrases that end in the same word.
# Tried and not kept (tenth session): a context filter for gazetteer hits, a logistic model over the entry, its
# category and the characters around the hit (l1, l2, r1, r2, quoted), trained on which hits the adjudicated
# gold confirms and tested leaving one of the 12 adjudicated sets out at a time (5,767 found names, 491 wrong).
# The wrong ones are real names used as descriptions (建设和美乡村150个, 依法行政能力, 双拥共建), and the context
# does not tell them apart: at probability 0.5 it removes 38 wrong names for 24 right ones (precision 0.915 to
# 0.921), at 0.8 143 wrong for 300 right (0.935).
GOLD_FLOORS = {"pg01?.*.jsonl": (0.79, 0.84), "pg03.adjudicated.jsonl": (0.88, 0.86),
               "pg03?.*.jsonl": (0.77, 0.88), "pg05?.*.jsonl": (0.82, 0.89), "pg06?.*.jsonl": (0.8, 0.86),
               "pg08?.*.jsonl": (0.77, 0.87), "pg10.adjudicated.jsonl": (0.87, 0.93),
               "pg12.adjudicated.jsonl": (0.91, 0.94), "pg14.adjudicated.jsonl": (0.9, 0.95),
               "pg16.adjudicated.jsonl": (0.92, 0.96), "pg18.adjudicated.jsonl": (0.93, 0.96),
               "pg20.adjudicated.jsonl": (0.94, 0.96), "pg22.adjudicated.jsonl": (0.91, 0.97),
               "pg24.adjudicated.jsonl": (0.9, 0.96), "pg26.adjudicated.jsonl": (0.92, 0.94),
               "pg28.adjudicated.jsonl": (0.91, 0.9), "pg30.adjudicated.jsonl": (0.88, 0.91),
               "pg32.adjudicated.jsonl": (0.94, 0.89), "pg34.adjudicated.jsonl": (0.94, 0.84),
               "pg36.adjudicated.jsonl": (0.91, 0.91), "pg38.adjudicated.jsonl": (0.92, 0.81),
               "pg40.adjudicated.jsonl": (0.88, 0.88), "pg42.adjudicated.jsonl": (0.94, 0.89),
               "pg44.adjudicated.jsonl": (0.94, 0.88), "pg46.adjudicated.jsonl": (0.91, 0.83),
               "pg48.adjudicated.jsonl": (0.91, 0.86)}
# exact names (equal surface forms or the same gazetteer entry)
EXACT_FLOORS = {"pg06?.*.jsonl": (0.73, 0.79), "pg08?.*.jsonl": (0.69, 0.79),
                "pg10.adjudicated.jsonl": (0.8, 0.86), "pg12.adjudicated.jsonl": (0.82, 0.84),
                "pg14.adjudicated.jsonl": (0.84, 0.89), "pg16.adjudicated.jsonl": (0.83, 0.87),
                "pg18.adjudicated.jsonl": (0.87, 0.89), "pg20.adjudicated.jsonl": (0.85, 0.86),
                "pg22.adjudicated.jsonl": (0.85, 0.9), "pg24.adjudicated.jsonl": (0.8, 0.85),
                "pg26.adjudicated.jsonl": (0.86, 0.86), "pg28.adjudicated.jsonl": (0.84, 0.82),
                "pg30.adjudicated.jsonl": (0.79, 0.81), "pg32.adjudicated.jsonl": (0.83, 0.78),
                "pg34.adjudicated.jsonl": (0.84, 0.75), "pg36.adjudicated.jsonl": (0.81, 0.8),
                "pg38.adjudicated.jsonl": (0.84, 0.74), "pg40.adjudicated.jsonl": (0.79, 0.78),
                "pg42.adjudicated.jsonl": (0.88, 0.84), "pg44.adjudicated.jsonl": (0.88, 0.82),
                "pg46.adjudicated.jsonl": (0.86, 0.79), "pg48.adjudicated.jsonl": (0.81, 0.77)}
# the rules alone, no scorer (learned=False; the tagger's default until the thirteenth session)
FAST_FLOORS = {"pg06?.*.jsonl": (0.79, 0.87), "pg08?.*.jsonl": (0.77, 0.88),
               "pg10.adjudicated.jsonl": (0.87, 0.95), "pg12.adjudicated.jsonl": (0.9, 0.95),
               "pg14.adjudicated.jsonl": (0.89, 0.95), "pg16.adjudicated.jsonl": (0.91, 0.96),
               "pg18.adjudicated.jsonl": (0.92, 0.96), "pg20.adjudicated.jsonl": (0.93, 0.96),
               "pg22.adjudicated.jsonl": (0.89, 0.97), "pg24.adjudicated.jsonl": (0.89, 0.96),
               "pg26.adjudicated.jsonl": (0.9, 0.92), "pg28.adjudicated.jsonl": (0.9, 0.89),
               "pg30.adjudicated.jsonl": (0.88, 0.91), "pg32.adjudicated.jsonl": (0.91, 0.88),
               "pg34.adjudicated.jsonl": (0.92, 0.83), "pg36.adjudicated.jsonl": (0.87, 0.91),
               "pg38.adjudicated.jsonl": (0.91, 0.81), "pg40.adjudicated.jsonl": (0.83, 0.88),
               "pg42.adjudicated.jsonl": (0.93, 0.87), "pg44.adjudicated.jsonl": (0.93, 0.85),
               "pg46.adjudicated.jsonl": (0.9, 0.82), "pg48.adjudicated.jsonl": (0.91, 0.86)}


@pytest.mark.parametrize("pattern", sorted(GOLD_FLOORS))
def test_precision_recall_on_program_gold_standard(matcher, corpus_root, pattern):
    """Exhaustive program annotation of dev paragraphs (labeled/GUIDE.md, "Program gold standard")."""
    from policytag.evaluate import program_report

    items = _program_gold(pattern, corpus_root)
    assert len(items) >= 230  # pg06 holds the 231 dev paragraphs left; the others 300 or more
    r = program_report(items, matcher)
    print(f"{pattern}: precision {r['precision']:.3f} recall {r['recall']:.3f} "
          f"({r['found']} found, {r['annotated']} annotated)")
    floor = GOLD_FLOORS[pattern]
    assert r["precision"] >= floor[0] and r["recall"] >= floor[1]
    if pattern in EXACT_FLOORS:
        print(f"  exact names: precision {r['exact_precision']:.3f} recall {r['exact_recall']:.3f}")
        floor = EXACT_FLOORS[pattern]
        assert r["exact_precision"] >= floor[0] and r["exact_recall"] >= floor[1]


# The tagger's matcher (spans=False), measured on the state of the end of the thirteenth session: held out when
# the scorer was last trained, pg48 P 0.919 R 0.864 (learned=False 0.919 / 0.867); in-sample pg40 0.887 / 0.888
# (learned=False 0.837 / 0.888), pg36 0.915 / 0.908 (0.872 / 0.914), pg32 0.942 / 0.882 (0.913 / 0.887).
SPANLESS_FLOORS = {"pg32.adjudicated.jsonl": (0.94, 0.88), "pg36.adjudicated.jsonl": (0.91, 0.9),
                   "pg40.adjudicated.jsonl": (0.88, 0.88), "pg48.adjudicated.jsonl": (0.91, 0.86)}
# the matchers without the search for learned names: the rules alone, and the tagger's (the scorer judges templates)
NO_SPAN_SEARCH = {"learned=False": ({"learned": False}, FAST_FLOORS), "spans=False": ({"spans": False}, SPANLESS_FLOORS)}


@pytest.mark.parametrize("kind, pattern", [(k, p) for k, (_, floors) in NO_SPAN_SEARCH.items() for p in sorted(floors)])
def test_precision_recall_without_the_span_search(corpus_root, kind, pattern):
    from policytag.evaluate import program_report

    options, floors = NO_SPAN_SEARCH[kind]
    r = program_report(_program_gold(pattern, corpus_root), ProgramMatcher(**options))
    print(f"{pattern}, {kind}: precision {r['precision']:.3f} recall {r['recall']:.3f}")
    assert "learned" not in r["by_source"]
    floor = floors[pattern]
    assert r["precision"] >= floor[0] and r["recall"] >= floor[1]



def _program_names_gold(set_name: str, corpus_root) -> list:  # noqa: ANN001
    """(paragraph text, annotated names) of an adjudicated set, keeping the mentions
    that a kind annotator called a name: items of written-out lists and
    descriptions that every annotator called so are left out."""
    from pathlib import Path

    kinds: dict = {}  # (doc, para, mention) -> the kinds its annotators gave it
    for r in _labeled_tsv("raw/kinds01.*.tsv"):
        if r["set"] == set_name:
            kinds.setdefault((r["doc"], int(r["para"]), r["mention"]), set()).add(r["kind"])
    gold = Path(__file__).resolve().parent.parent / "labeled" / f"{set_name}.adjudicated.jsonl"
    items = []
    for text, rec in _gold_records([gold], corpus_root):
        keys = [(rec["doc"], rec["para"], g) for g in rec["programs"]]
        assert all(k in kinds for k in keys), f"{set_name}: a mention without a kind in {keys}"
        items.append((text, [k[2] for k in keys if "name" in kinds[k]]))
    return items


# Recall on names only.  Kind annotators (K01-K04, labeled/README.md) read every mention of the
# adjudicated sets in its paragraph and called it a name, an item of a written-out list (标本兼治 in a
# 方针, 农垦 in a list of reforms) or a description (a reform target such as 社会主义市场经济体制, a
# paraphrase of a campaign).  A mention counts as a name where any annotator called it one.
# Held out (each set on the state it was measured on): pg24 R 0.860 (443 names), pg26 R 0.792 (466), pg28
# R 0.781 (416), pg30 R 0.865 (443): 2.1-5.2 points above the recall on all mentions, so the kinds the later
# rulings added explain only a small part of the gap to 0.90.  Of the names those states missed, 141 of 310
# occur nowhere else in ../shared/corpora (pg24 18 of 62, pg26 49 of 97, pg28 41 of 91, pg30 33 of 60), so
# no reading of the rest of the corpora could have listed them.  In-sample (eca9860): pg24 0.966, pg26
# 0.953, pg28 0.935.
NAMES_RECALL_FLOORS = {"pg24": 0.97, "pg26": 0.95, "pg28": 0.94, "pg30": 0.93, "pg32": 0.92, "pg34": 0.87, "pg36": 0.92}


@pytest.mark.parametrize("set_name", sorted(NAMES_RECALL_FLOORS))
def test_recall_on_program_names(matcher, corpus_root, set_name):
    from policytag.evaluate import program_report

    r = program_report(_program_names_gold(set_name, corpus_root), matcher)
    print(f"{set_name}, names only: recall {r['recall']:.3f} ({r['annotated']} names)")
    assert r["recall"] >= NAMES_RECALL_FLOORS[set_name]


KIND_KAPPAS = {"pg28": 0.863, "pg30": 0.808, "pg32": 0.581, "pg34": 0.871, "pg36": 0.631}


def test_kind_annotators_agree():
    """The double-classified sets: the two annotators' kinds agree as stated in labeled/README.md."""
    from sklearn.metrics import cohen_kappa_score

    by: dict = {}  # set -> annotator -> (doc, para, mention) -> kind
    for r in _labeled_tsv("raw/kinds01.*.tsv"):
        if r["annotator"] == "K11":  # classified only the 37 mentions the second consistency adjudication added
            continue
        by.setdefault(r["set"], {}).setdefault(r["annotator"], {})[(r["doc"], r["para"], r["mention"])] = r["kind"]
    double = {s: a for s, a in by.items() if len(a) == 2}
    assert double, "no set was classified twice"
    for s, ann in sorted(double.items()):
        (a, x), (b, y) = sorted(ann.items())
        assert set(x) == set(y), f"{s}: {a} and {b} classified different mentions"
        keys = sorted(x)
        first, second = [x[k] for k in keys], [y[k] for k in keys]
        po = sum(i == j for i, j in zip(first, second)) / len(keys)
        kappa = cohen_kappa_score(first, second)
        print(f"{s}: {a} vs {b}, {len(keys)} mentions, agreement {po:.3f}, kappa {kappa:.3f}")
        assert round(kappa, 3) == KIND_KAPPAS[s]


# Reference judgement (eleventh session; labeled/README.md, "Reference judgement").  Every program the matcher
# of a87c02d reported on the held-out pg32 paragraphs (default, learned=False and the extended gazetteer: 330
# hits, each name once per paragraph as program_report counts them) was read by two judges, blind to the
# gold, who said whether the text there refers to the program named, in any role (cited as a programme, a
# goal, a modifier, a close paraphrase) or means something else.  They agree on 328 of 330.  Both say it
# refers to the program for 291 of the default matcher's 293 (0.993), 283 of 286 without the scorer (0.990)
# and 315 of 318 with the extended gazetteer (0.991); the strict gold confirms 272 of the 293 (0.928): the 21
# it does not are uses the guide leaves out (依法行政 before 1999, 创新驱动 as an orientation, 自贸港 in the
# name of a law-making power, 取消农业税 as a one-off measure), all read as references.
REFERENCE_PRECISION = {"default": (291, 293), "fast": (283, 286), "extended": (315, 318)}


def _set_texts(set_name: str, corpus_root) -> dict:  # noqa: ANN001
    """(doc, para) -> paragraph text of the adjudicated program gold set ``set_name``."""
    from pathlib import Path

    gold = Path(__file__).resolve().parent.parent / "labeled" / f"{set_name}.adjudicated.jsonl"
    return {(rec["doc"], rec["para"]): text for text, rec in _gold_records([gold], corpus_root)}


def _judgement(name: str, judges_of: dict, verdicts: set, right: set, texts: dict) -> tuple:
    """The hits of labeled/{name}_hits.tsv, each span checked against its paragraph text; the ids both of their
    judges (labeled/raw/{name}.{judge}.tsv) give a verdict in ``right``, and how many hits the two agree on.
    ``judges_of`` maps an id prefix to the two judges of the hits whose ids start with it."""
    hits = list(_labeled_tsv(f"{name}_hits.tsv"))
    judges = {j: {r["id"]: r["verdict"] for r in _labeled_tsv(f"raw/{name}.{j}.tsv")} for p in judges_of.values() for j in p}
    ids = [h["id"] for h in hits]
    assert len(set(ids)) == len(ids)
    pair = {i: next(p for k, p in judges_of.items() if i.startswith(k)) for i in ids}
    for j, v in judges.items():  # each judge gave one verdict of the set to each of its hits, and to no other
        assert set(v) == {i for i in ids if j in pair[i]} and set(v.values()) <= verdicts, j
    for h in hits:  # the spans point at the paragraph text
        assert texts[h["doc"], int(h["para"])][int(h["start"]):int(h["end"])] == h["surface"], h["id"]
    both = {i for i in ids if all(judges[j][i] in right for j in pair[i])}
    agree = sum(judges[pair[i][0]][i] == judges[pair[i][1]][i] for i in ids)
    return hits, both, agree


def _reference_judgement(name: str, judge_ids: tuple, texts: dict) -> tuple:
    """The hits of labeled/{name}_hits.tsv, each span checked against its paragraph text, the ids both judges
    (labeled/raw/{name}.{judge}.tsv) call references, and how many hits the two judges agree on."""
    return _judgement(name, {"": judge_ids}, {"program", "other"}, {"program"}, texts)


def _references_by_matcher(hits: list, both: set, key: str) -> tuple:
    """(references, hits) among the hits the matcher ``key`` (default, fast, extended) reported."""
    judged = [h["id"] for h in hits if key in h["matchers"].split(",")]
    return sum(i in both for i in judged), len(judged)


def _judged_now(matcher, texts: dict, hits: list) -> list:  # noqa: ANN001
    """The ids of the judged hits among what ``matcher`` reports now on ``texts`` (each name once per paragraph,
    its first mention, as program_report counts them); nearly all it reports must have been judged."""
    judged = {(h["doc"], int(h["para"]), int(h["start"]), int(h["end"]), h["name"]): h["id"] for h in hits}
    now = []
    for (doc, para), text in texts.items():
        first: dict = {}
        for m in matcher.find(text):
            first.setdefault(m.name, (doc, para, m.start, m.end, m.name))
        now += first.values()
    seen = [judged[k] for k in now if k in judged]
    assert len(seen) >= 0.95 * len(now), "the matcher reports programs nobody judged: judge them (labeled/README.md)"
    return seen


def test_reference_judgement_of_the_held_out_hits(matcher, corpus_root):
    """What the matcher reports on unseen paragraphs refers to the program it names, as readers judge it."""
    texts = _set_texts("pg32", corpus_root)
    hits, both, agree = _reference_judgement("reference01", ("L01", "L02"), texts)
    assert len(hits) == 330 and agree == 328
    assert {r["verdict"] for j in ("L01", "L02") for r in _labeled_tsv(f"raw/reference01.{j}.tsv")} == {"program", "other"}
    for key, (right, found) in REFERENCE_PRECISION.items():
        assert _references_by_matcher(hits, both, key) == (right, found), key
        print(f"pg32 {key}: {right} of {found} found programs are references ({right / found:.3f})")
    # the programs later changes added there: the national pass (reference01b: 39 more hits, L05 and L06: all 39
    # references) and the thirteenth session (reference01c: 19 hits, L09 and L10 agree on all; 18 references, the
    # other “一件事” of a safety campaign taken for 高效办成一件事)
    for name, judges, counts in (("reference01b", ("L05", "L06"), (39, 39, 39)),
                                 ("reference01c", ("L09", "L10"), (19, 19, 18))):
        more, more_both, agree = _reference_judgement(name, judges, texts)
        assert (len(more), agree, len(more_both)) == counts, name
        both |= more_both
        hits += more
    # the shipped matcher, now: nearly all it reports there has been judged, and holds the precision
    seen = _judged_now(matcher, texts, hits)
    print(f"pg32 now: {len(seen)} judged found programs, {sum(i in both for i in seen)} references")
    assert sum(i in both for i in seen) / len(seen) >= 0.98


# The same judgement on pg34 (labeled/reference02_hits.tsv; the nine national reports kept out of the national pass):
# every program the matcher reported there after that pass, 294 hits, judged by L03 and L04, blind to the gold; they
# agree on 293.  Both call 263 of the default matcher's 264 references (0.996), 258 of 259 with learned=False and
# 283 of 284 with the extended gazetteer; the one other is 自由贸易港 in 2018, before Hainan was chosen.  The strict
# gold confirms 246 of the 264 (0.932).  And on pg36 (reference03_hits.tsv; 300 provincial paragraphs, the state
# c7f9505, judged by L07 and L08 before the gold existed): 671 hits, the judges agree on all; 619 of the default
# matcher's 623 are references (0.994; strict 0.860), 647 of 655 with learned=False, 627 of 633 extended.  The others:
# 安居工程 inside 抗震安居工程, 新福建 inside 清新福建, 山西好风光 inside 人到山西好风光, 动态清零 of polluted water.
REFERENCE_SETS = {
    "reference02": ("pg34", ("L03", "L04"), 294, 293, {"default": (263, 264), "fast": (258, 259), "extended": (283, 284)}),
    "reference03": ("pg36", ("L07", "L08"), 671, 671, {"default": (619, 623), "fast": (647, 655), "extended": (627, 633)}),
}


@pytest.mark.parametrize("name", sorted(REFERENCE_SETS))
def test_reference_judgement_of_later_held_out_hits(corpus_root, name):
    set_name, judge_ids, n_hits, n_agree, expected = REFERENCE_SETS[name]
    hits, both, agree = _reference_judgement(name, judge_ids, _set_texts(set_name, corpus_root))
    assert len(hits) == n_hits and agree == n_agree
    for key, counts in expected.items():
        assert _references_by_matcher(hits, both, key) == counts, key


# The guide judgement (twelfth session): is the strict precision low because readers miss names the matcher finds,
# or because the matcher reports names where the guide records none?  Every program the matcher of e14fe3c reported
# on pg36 and pg34, mixed with decoys (the gold strings it missed, strings the adjudication dropped, gazetteer concept
# names), sources hidden, judged by two readers each against labeled/GUIDE.md (record / part / not; part: inside a
# longer recorded name, counted right as program_report counts it).  The judges agree on 1,195 of 1,228 and accept
# the gold's missed strings (54 of 55, 51 of 53) but only 9 of 106 and 9 of 45 concept names: they read
# as the gold reads.  Both call right 537 of the default matcher's 623 programs on pg36 (0.862; the gold: 0.860)
# and 262 of 283 on pg34 (0.926; the gold: 0.929): the strict figure is the matcher's, not the readers' omissions.
# What the guide rejects: names inside titles, platforms, meetings and facilities named after a program
# (双拥模范城, 乡村振兴示范村, 一带一路联合实验室, 闽宁协作联席会), corridors and spatial layouts (J19), count
# labels, a name as a field in a list (计划生育工作), brands.
GUIDE_JUDGES = {"pg36a": ("M01", "M02"), "pg36b": ("M03", "M04"), "pg34": ("M05", "M06")}
GUIDE_PRECISION = {  # (set, matcher): (right by both judges, found)
    ("pg36", "default"): (537, 623), ("pg36", "fast"): (541, 655), ("pg36", "extended"): (540, 633),
    ("pg34", "default"): (262, 283), ("pg34", "fast"): (260, 284), ("pg34", "extended"): (263, 285),
}
# the shipped matcher now, on the same sets (measured 0.865 and 0.925 after the twelfth session's gold vote)
GUIDE_FLOORS = {"pg36": 0.86, "pg34": 0.92}


def test_guide_judgement_of_the_held_out_hits(matcher, corpus_root):
    """Two judges applying the guide to every program found confirm the strict precision of the gold."""
    texts_of = {set_name: _set_texts(set_name, corpus_root) for set_name in GUIDE_FLOORS}
    texts = {k: t for by_set in texts_of.values() for k, t in by_set.items()}
    hits, both, agree = _judgement("guide01", GUIDE_JUDGES, {"record", "part", "not"}, {"record", "part"}, texts)
    assert len(hits) == 1228 and agree == 1195
    for (set_name, key), counts in GUIDE_PRECISION.items():
        judged = [h["id"] for h in hits if h["set"] == set_name and f"hit-{key}" in h["sources"].split(",")]
        assert (sum(i in both for i in judged), len(judged)) == counts, (set_name, key)
    for set_name, decoy, counts in (("pg36", "gold", (54, 55)), ("pg34", "gold", (51, 53)),
                                    ("pg36", "hit-concept", (9, 106)), ("pg34", "hit-concept", (9, 45))):
        judged = [h["id"] for h in hits if h["set"] == set_name and decoy in h["sources"].split(",")]
        assert (sum(i in both for i in judged), len(judged)) == counts, (set_name, decoy)
    # the shipped matcher, now: what it reports there has been judged, and holds the precision
    for set_name, floor in GUIDE_FLOORS.items():
        seen = _judged_now(matcher, texts_of[set_name], [h for h in hits if h["set"] == set_name])
        right = sum(i in both for i in seen)
        print(f"{set_name} now: {len(seen)} judged found programs, {right} right by the guide")
        assert right / len(seen) >= floor


def test_learned_names_may_cross_one_conjunction(matcher):
    # coordinated names were cut at 和 before: "职级并行制度", "税费改革"
    assert names(matcher.find("推行公务员职务和职级并行制度")) == {"公务员职务和职级并行制度"}
    assert names(matcher.find("推進成品油價格和稅費改革")) == {"成品油价格和税费改革"}
    # but a name never starts or ends at the conjunction, and crosses only one
    for m in matcher.find("深化改革和扩大开放战略，加强生态保护和修复工程和水利工程"):
        assert not m.text.startswith(("和", "与")) and m.text.count("和") <= 1


def test_quoted_labels_of_a_class_are_not_programs(matcher):
    text = "新增“两院”院士9人，控制“三公”消费，发展“三资”企业，纠治“四风”，粉碎“四人帮”，坚持“八八战略”"
    assert names(matcher.find(text)) == {"八八战略"}


def test_learned_names_map_back_to_the_original_and_have_a_category(matcher):
    # (民营银行试点, the example here until the eleventh session, is a gazetteer entry now)
    text = "推進戶籍制度改革，實施「穩崗擴容提質行動」。"
    found = {m.name: m for m in matcher.find(text)}
    m = found["户籍制度改革"]
    assert m.source == "learned" and m.category == "reform"
    assert text[m.start:m.end] == m.text == "戶籍制度改革"
    assert all(x.source != "learned" for x in ProgramMatcher(learned=False).find(text))


def test_learned_scores_equal_the_scorer_on_its_features(matcher, corpus_docs):
    """The fast scoring (weights summed from tables while the name grows left)
    equals the logistic model applied to the feature strings it was trained on."""
    scorer = matcher._scorer
    n = 0
    for doc in corpus_docs[::10]:
        text = normalize(doc.text).text
        for sc in matcher._span_candidates(text, bytearray(len(text) + 1), scorer, True):
            assert sc.logit == pytest.approx(scorer.logit(sc.features), abs=1e-9)
            assert text[sc.start:sc.end].endswith(sc.features[0].split("=", 1)[1])  # suf=...
            n += 1
    assert n > 1000


def test_a_scorer_file_is_data_and_a_bad_one_is_named(tmp_path):
    import json

    good = json.loads(resources.files("policytag").joinpath("data/program_scorer.json").read_text("utf-8"))
    assert set(good) >= {"weights", "bias", "span_threshold", "pattern_threshold"}
    assert all(isinstance(v, float) for v in good["weights"].values())
    bad = tmp_path / "scorer.json"
    bad.write_text('{"weights": {"suf=行动": "__import__(\'os\')"}, "bias": 0}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"scorer\.json: not a program scorer file"):
        ProgramMatcher(learned=bad).find("推进户籍制度改革")
    # a scorer that accepts everything reports more learned names than one that accepts none
    for th, more in ((0.0, True), (1.0, False)):
        path = tmp_path / f"s{th}.json"
        path.write_text(json.dumps({**good, "span_threshold": th}), encoding="utf-8")
        learned = [m for m in ProgramMatcher(learned=path).find("推进户籍制度改革") if m.source == "learned"]
        assert bool(learned) is more


def _agreement(primary_pattern: str, second_pattern: str) -> tuple:
    import json
    from pathlib import Path

    from policytag.evaluate import _mentions_matched
    from policytag.programs import _surface_key

    raw = Path(__file__).resolve().parent.parent / "labeled" / "raw"

    def load(name: str) -> dict:
        out = {}
        for f in raw.glob(name):
            for line in f.read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                out[(r["doc"], r["para"])] = [_surface_key(p) for p in r["programs"]]
        return out

    primary, second = load(primary_pattern), load(second_pattern)
    if not second:
        pytest.skip("no second program annotation")
    assert set(second) <= set(primary)

    n1 = sum(len(primary[k]) for k in second)
    n2 = sum(len(v) for v in second.values())
    precision = sum(_mentions_matched(second[k], primary[k]) for k in second) / n2
    recall = sum(_mentions_matched(primary[k], second[k]) for k in second) / n1
    f1 = 2 * precision * recall / (precision + recall)
    print(f"program annotators: precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f} ({n1} vs {n2})")
    return len(second), n1, n2, round(f1, 3)


# (primary reading, second reading, (paragraphs, primary mentions, second mentions, F1)); the
# figures stated in labeled/README.md
AGREEMENTS = [
    ("pg01?.*.jsonl", "pg02.*.jsonl", (59, 80, 93, 0.873)),  # pg02: every sixth pg01 paragraph
    ("pg03?.*.jsonl", "pg04.*.jsonl", (60, 109, 109, 0.927)),  # pg04: every fifth pg03 paragraph
    ("pg03?.*.jsonl", "pg05?.*.jsonl", (300, 479, 507, 0.882)),  # pg05: all of pg03 again (P07, P08)
    ("pg06?.*.jsonl", "pg07.*.jsonl", (47, 82, 81, 0.957)),  # pg07: every fifth pg06 paragraph (P11)
    ("pg08?.*.jsonl", "pg09.*.jsonl", (60, 96, 105, 0.921)),  # pg09: every fifth pg08 paragraph (P14)
    # all 300 paragraphs read again by two more readers; the disputes went to an adjudicator
    ("pg10?.*.jsonl", "pg11?.*.jsonl", (300, 410, 400, 0.923)),  # P17, P18; J03 (adj04)
    ("pg12?.*.jsonl", "pg13?.*.jsonl", (300, 429, 444, 0.943)),  # P21, P22; J04 (adj05)
    ("pg14?.*.jsonl", "pg15?.*.jsonl", (300, 420, 403, 0.921)),  # P25, P26; J06 (adj06)
    ("pg16?.*.jsonl", "pg17?.*.jsonl", (300, 477, 466, 0.934)),  # P29, P30; J07 (adj07)
    ("pg18?.*.jsonl", "pg19?.*.jsonl", (300, 489, 498, 0.947)),  # P33, P34; J08 (adj08)
    ("pg20?.*.jsonl", "pg21?.*.jsonl", (300, 417, 415, 0.963)),  # P37, P38; J09 (adj09)
    ("pg22?.*.jsonl", "pg23?.*.jsonl", (300, 437, 422, 0.956)),  # P41, P42; J10 (adj10)
    ("pg24?.*.jsonl", "pg25?.*.jsonl", (300, 446, 453, 0.959)),  # P45, P46; J11 (adj11)
    ("pg26?.*.jsonl", "pg27?.*.jsonl", (300, 475, 482, 0.929)),  # P49, P50; J12 (adj12)
    ("pg28?.*.jsonl", "pg29?.*.jsonl", (300, 434, 444, 0.957)),  # P53, P54; J15 (adj13)
    ("pg30?.*.jsonl", "pg31?.*.jsonl", (300, 459, 453, 0.979)),  # P57, P58; J16 (adj14)
    ("pg32?.*.jsonl", "pg33?.*.jsonl", (300, 360, 370, 0.947)),  # P61, P62; J17 (adj15)
    ("pg34?.*.jsonl", "pg35?.*.jsonl", (300, 324, 325, 0.969)),  # P65, P66; J18 (adj16)
    ("pg36?.*.jsonl", "pg37?.*.jsonl", (300, 595, 594, 0.96)),  # P69, P70; J19 (adj17)
    ("pg38?.*.jsonl", "pg39.*.jsonl", (238, 214, 203, 0.966)),  # P71, P72; J20 (adj18)
    ("pg40?.*.jsonl", "pg41?.*.jsonl", (292, 493, 514, 0.97)),  # P73-P76; J21 (adj19)
    ("pg42?.*.jsonl", "pg43?.*.jsonl", (300, 277, 274, 0.971)),  # P77-P80; J22 (adj20)
    ("pg44?.*.jsonl", "pg45?.*.jsonl", (300, 272, 268, 0.957)),  # P81-P84; J28 (adj21)
    ("pg46?.*.jsonl", "pg47?.*.jsonl", (300, 304, 309, 0.966)),  # P85-P88; J29 (adj22)
    ("pg48?.*.jsonl", "pg49?.*.jsonl", (300, 264, 256, 0.971)),  # P89-P92; J30 (adj23)
]


@pytest.mark.parametrize("primary,second,expected", AGREEMENTS)
def test_program_gold_standard_agreement_between_annotators(primary, second, expected):
    """A second, independent reading of program batch paragraphs agrees with the first as stated."""
    assert _agreement(primary, second) == expected


def test_concepts_are_reported_only_on_request():
    """Ideology/theory names and national goals are gazetteer entries of category
    "concept" (GUIDE.md: not named programs); numbered political slogans stay."""
    text = "坚持以习近平新时代中国特色社会主义思想为指导，贯彻新发展理念，推进中国式现代化，深刻领悟“两个确立”。"
    default = [m.name for m in ProgramMatcher().find(text)]
    assert default == ["两个确立"]
    every = [m.name for m in ProgramMatcher(include_concepts=True).find(text)]
    assert every == ["习近平新时代中国特色社会主义思想", "新发展理念", "中国式现代化", "两个确立"]
    assert {m.category for m in ProgramMatcher(include_concepts=True).find(text)} == {"concept", "slogan"}


@pytest.mark.parametrize("text", [
    "切忌在工作中搞“一刀切”，切实为基层松绑",
    "要反对“一切向钱看”、损公肥私的思想",
    "采取积极措施解决企业之间的“三角债”，提高资金使用效益",
    "一些部门“四风”问题依然存在",
    "油菜产量实现“18连增”",
    "粮食生产实现“二十二连丰”",
    "建设“15分钟”就业服务圈",
    # outcomes told as counts, a record streak, a rejected term after 所谓
    "事故起数和死亡人数实现“双下降”",
    "出口规模、质量、效益“三提升”",
    "绩效考核连续“七连A”",
    "考核评估实现“五连好”",
    "实施稳就业“一揽子”政策",  # (促进“三医”协同发展 was here: 三医协同 is a reviewed entry since the eleventh session)
    # spatial layouts and sets of facilities (places, adj07), labels of a counted class, outcomes,
    # a rejected force after 打击, a doctrine
    "强化“一核两翼”联动，建成“五纵四横”路网，提升“六站两场”服务",
    "完成“三类管线”改造，用好“两个5亿元”资金",
    "实现“四个明显下降”和“三个全覆盖”",
    "严厉打击“三股势力”，持续纠“四风”",
    "胸怀“两个大局”",
    "“四上”单位稳步增长，“六特”产业壮大，火灾实现“一降三减”，降低“五险一金”缴费比例",
    "批判了所谓“两个估计”",
    # the formulas the reports reject, also as later items of the rejected list
    "坚决反对任何形式的“两个中国”、“一中一台”或“一国两府”",
    # a way of working, a principle: not a program
    "树立全省“一盘棋”思想，落实“三个坚持”重大原则",
    # a count label summing up the list before it, quoted or after 等
    "壮大装备、材料、能源、食品“四大产业”",
    "推进产能优化、链条延伸、品牌培育等三大行动",
    # a consensus formula, a document of measures, a class of hospitals, a principle after 的
    "坚持一个中国原则和“九二共识”",
    "出台支持小微企业“25条”",
    "“三甲”医院实现全覆盖",
    "把“五个坚持”的重大原则贯穿始终",
])
def test_quoted_phrases_that_are_not_programs(text):
    assert ProgramMatcher().find(text) == []


def test_a_quote_opening_the_text_is_a_template_like_any_other():
    # (the scorer may still reject it; the rule layer must not)
    names = [m.name for m in ProgramMatcher(learned=False).find("“三新三量”工作全面推进")]
    assert names == ["三新三量"]


def test_a_label_for_the_parts_of_a_program_is_not_a_program(matcher):
    names = [m.name for m in matcher.find("实施乡村教育提升行动“五大工程”")]
    assert not any("五大工程" in n for n in names)


@pytest.mark.parametrize("text,name", [
    ("实施“1433”发展战略体系", "1433发展战略体系"),
    ("深入实施“八大行动”", "八大行动"),
    ("坚决打好“三大攻坚战”", "三大攻坚战"),
    ("全面落实“六稳”“六保”任务", "六稳"),
    ("实施“双提升”工程", "双提升工程"),  # a program word after the quote
    ("落实“三个屏障”、“两个基地”的战略定位", "两个基地"),  # a list of labels, not summed up
    ("重点产业链高质量发展“五大行动”", "五大行动"),
    ("优化、提升、整合、调整“四个一批”", "四个一批"),
    ("防范化解重大风险、精准脱贫、污染防治三大攻坚战", "三大攻坚战"),  # no 等: the program's own name
    ("贯彻“两个大局”战略", "两个大局战略"),  # a program word after the quote
    ("推进“两区”建设", "两区"),  # one place word: not a layout
    ("落实“双减”政策", "双减"),  # one count and a verb: a program, not an outcome
    ("化解矛盾纠纷“五个一”机制", "五个一"),  # 纠纷 is not 纠“…”
])
def test_quoted_programs_still_found(text, name):
    # the template rules keep these (the scorer then decides on unknown bare labels)
    assert name in [m.name for m in ProgramMatcher(learned=False).find(text)]


@pytest.mark.parametrize("text,name,kept", [
    ("坚决打好“三大攻坚战”", "三大攻坚战", True),  # a program word ends the label
    ("实施“双提升”工程", "双提升工程", True),  # a program word after the quote
    ("完成新一轮村“两委”换届", "两委", False),  # bare labels need probability 0.9
])  # (“一节四季” was a fourth case: a reviewed concept entry since the eleventh session)
def test_unknown_bare_labels_need_a_confident_scorer(matcher, text, name, kept):
    assert name in [m.name for m in ProgramMatcher(learned=False).find(text)]  # the rules keep all three
    assert (name in [m.name for m in matcher.find(text)]) is kept
    # without the search for learned names the scorer still judges the templates (the tagger's matcher)
    assert (name in [m.name for m in ProgramMatcher(spans=False).find(text)]) is kept


def test_the_taggers_matcher_judges_templates_but_does_not_search_names():
    """The tagger's default matcher (spans=False) drops the templates the scorer rejects, like the full
    matcher, but reports no learned names, like learned=False; load(learned_names=True) searches them too."""
    from policytag.tagger import Tagger, load

    text = "推進戶籍制度改革，完成新一轮村“两委”换届，实施“双提升”工程。"
    full = {m.name: m.source for m in ProgramMatcher().find(text)}
    assert full == {"户籍制度改革": "learned", "双提升工程": "pattern"}
    assert {m.name: m.source for m in ProgramMatcher(spans=False).find(text)} == {"双提升工程": "pattern"}
    assert {m.name for m in ProgramMatcher(learned=False).find(text)} == {"两委", "双提升工程"}
    default = Tagger(classifier=None).matcher  # (no model needed to see which matcher it builds)
    assert (default.learned, default.spans) == (True, False)
    assert load(learned_names=True).matcher.spans and not load().matcher.spans


def test_legal_education_plans_are_not_five_year_plans():
    names = [m.name for m in ProgramMatcher().find("深入开展“九五”普法，实施“十四五”规划")]
    assert names == ["九五普法", "十四五"]  # the gazetteer entry, not 第九个五年计划
    names = [m.name for m in ProgramMatcher().find("完成“七五”普法，“七五”计划顺利完成")]
    # no entry for 七五普法: the template must not take it for the plan; 普法 is the campaign
    assert names == ["普法", "第七个五年计划"]


@pytest.mark.parametrize("text, held, kept", [
    ("榮獲全國雙擁模範城稱號，推進雙擁共建", "双拥", True),  # traditional input; the title, then the program
    ("建成1281个乡村振兴示范村，全面推进乡村振兴", "乡村振兴", True),  # 示范村 is not a holder (“千万工程”示范村)
    ("建成和美乡村样板村300多个", "和美乡村", False),
    ("获批创建国家乡村振兴示范区", "乡村振兴", False),
    ("召开闽宁协作联席会、中央单位定点帮扶推进会", "闽宁协作", False),
    ("召开闽宁协作联席会、中央单位定点帮扶推进会", "定点帮扶", False),
    ("建成100所“徐特立项目”学校", "徐特立项目", False),
    ("永定河入选全国母亲河复苏行动典型案例", "母亲河复苏行动", False),
    ("实施母亲河复苏行动，永定河全线贯通", "母亲河复苏行动", True),
    ("加强三峡库区、南水北调水源及沿线的保护", "南水北调", False),
    ("南水北调中线工程建成通水", "南水北调", True),
    ("保持依法严打高压态势", "严打", False),
])
def test_names_held_by_a_title_a_meeting_or_a_facility_are_not_mentions(matcher, text, held, kept):
    """A program's name that only names what bears it (a title, a meeting, a
    school, a showcase; J19) or qualifies a place or a stance (J12, J23) is not a
    mention; the program itself still is."""
    found = {m.name: m for m in matcher.find(text)}
    if "示范村" in text:  # not a holder: both 乡村振兴 are mentions
        assert [m.text for m in matcher.find(text)].count("乡村振兴") == 2
    assert (held in found) is kept
    if "雙擁" in text:
        assert found["双拥"].text == "雙擁共建" == text[found["双拥"].start:found["双拥"].end]
        assert found["双拥"].start > text.index("模範城")


def test_one_pass_over_a_document_equals_paragraph_by_paragraph(matcher, corpus_docs, seed_docs):
    from policytag.paragraphs import paragraphs

    docs = [(d.id, d.text) for d in corpus_docs] + [(k, d.text) for k, d in seed_docs.items()]
    n = 0
    for doc_id, text in docs:
        paras = paragraphs(text)
        expected = [matcher.find_in_paragraph(p, text) for p in paras]
        assert matcher.find_in_paragraphs(paras, text) == expected, doc_id
        n += sum(map(len, expected))
    assert n > 10_000
    assert matcher.find_in_paragraphs([], "") == []


def test_a_user_entry_taking_a_shipped_surface_form_is_warned_about(caplog):
    user = Gazetteer([Program(name="千万工程计划", aliases=("千万工程",), category="project",
                              level="provincial", region="某省")])
    with caplog.at_level("WARNING", logger="policytag.programs"):
        g = Gazetteer.default().merged(user)
    assert g.lookup("千万工程").name == "千万工程计划"
    assert "'千万工程' now belongs to '千万工程计划'" in caplog.text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="五大十一二三六第个年规划计划“”工程行动战略期间末百千两双发展，。 a", max_size=60))
def test_anchored_scan_equals_finditer(text):
    """_PLAN and _BIG_PROJECT are tried only near their anchor character; the
    matches must be exactly those of finditer."""
    from policytag.programs import _BIG_PROJECT, _CN_NUM, _PLAN, _finditer_near

    for rx, anchor, before, after in ((_PLAN, "五", 5, "一二三四五六七八九十个"), (_BIG_PROJECT, "大", 3, _CN_NUM)):
        want = [(m.start(), m.end(), m.groupdict()) for m in rx.finditer(text)]
        got = [(m.start(), m.end(), m.groupdict()) for m in _finditer_near(rx, text, anchor, before, after)]
        assert got == want


def test_automaton_finds_every_occurrence_of_every_form(matcher, corpus_docs, seed_docs):
    """The automaton against a plain str.find scan of every surface form, on the
    quote-stripped text of documents: all occurrences, overlapping ones included."""
    from policytag.programs import _QUOTE_OR_NL

    automaton, keys = matcher._automaton
    texts = [d.text for d in corpus_docs[::10]] + [d.text for d in seed_docs.values()]
    n = 0
    for text in texts:
        stripped = _QUOTE_OR_NL.sub("", normalize(text).text)
        got = sorted((s, e, keys[i]) for i, s, e in automaton.find_matches_as_indexes(stripped, overlapping=True))
        want = []
        for k in keys:
            at = stripped.find(k)
            while at >= 0:
                want.append((at, at + len(k), k))
                at = stripped.find(k, at + 1)
        assert got == sorted(want)
        n += len(want)
    assert n > 500


def test_anchored_scan_equals_finditer_on_documents(corpus_docs, seed_docs):
    from policytag.programs import _BIG_PROJECT, _CN_NUM, _PLAN, _finditer_near

    n = 0
    for text in [d.text for d in corpus_docs] + [d.text for d in seed_docs.values()]:
        text = normalize(text).text
        for rx, anchor, before, after in ((_PLAN, "五", 5, "一二三四五六七八九十个"), (_BIG_PROJECT, "大", 3, _CN_NUM)):
            want = [m.span() for m in rx.finditer(text)]
            assert [m.span() for m in _finditer_near(rx, text, anchor, before, after)] == want
            n += len(want)
    assert n > 500


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["改革", "行动", "试点", "工程", "制度", "专项行动", "行动计划", "示范区", "民营", "银行",
                                 "农村", "深化", "的", "，", "。", "“", "”", " ", "\n", "a", "1", "区", "省", "三年"]),
                max_size=30).map("".join))
def test_learned_candidates_on_any_text(matcher, text):
    """Candidates lie inside the text, end in a program word, score as the scorer
    would; find() never fails and its learned names are substrings of the input."""
    scorer = matcher._scorer
    norm = normalize(text).text
    for sc in matcher._span_candidates(norm, bytearray(len(norm) + 1), scorer, True):
        assert 0 <= sc.start < sc.end <= len(norm)
        assert sc.logit == pytest.approx(scorer.logit(sc.features), abs=1e-9)
    for m in matcher.find(text):
        assert text[m.start:m.end] == m.text


def _edit_gazetteer_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "edit_gazetteer.py"
    spec = importlib.util.spec_from_file_location("edit_gazetteer", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gazetteer_edits_keep_the_file_and_apply_reviewed_changes(tmp_path):
    """scripts/edit_gazetteer.py: no change rewrites nothing; each kind of change lands."""
    from policytag.programs import Gazetteer

    edit = _edit_gazetteer_script()
    text = edit.GAZ.read_text(encoding="utf-8")
    assert edit.apply(text, []) == text
    new = edit.apply(text, [
        {"op": "category", "entry": "五水共治", "category": "concept"},
        {"op": "remove_forms", "entry": "最多跑一次", "forms": ["最多跑一次"]},  # the first alias becomes the name
        {"op": "add_forms", "entry": "八八战略", "forms": ["八八战略体系"], "seen_in": ["seed-000"]},
        {"op": "drop", "entry": "千万工程"},
        {"op": "level", "entry": "八八战略", "level": "national", "region": "全国"},
        {"op": "add", "entry": "测试专项行动", "aliases": ["测试行动"], "category": "campaign", "level": "national",
         "region": "全国", "themes": ["governance"], "seen_in": [], "section": "--- test ---"},
    ])
    f = tmp_path / "programs.toml"
    f.write_text(new, encoding="utf-8")
    g = Gazetteer.from_file(f)
    assert len(g) == len(Gazetteer.default())  # one dropped, one added
    assert g["五水共治"].category == "concept"
    assert "最多跑一次" not in g and g.lookup("最多跑一次") is None and "最多跑一次改革" in g
    assert g.lookup("八八战略体系").name == "八八战略"
    assert (g["八八战略"].level, g["八八战略"].region) == ("national", "全国")
    assert "千万工程" not in g
    assert g["测试专项行动"].aliases == ("测试行动",) and g.lookup("测试行动").name == "测试专项行动"
    with pytest.raises(SystemExit, match="no entry named '不存在的工程'"):
        edit.apply(text, [{"op": "drop", "entry": "不存在的工程"}])
    with pytest.raises(SystemExit, match="an entry named '五水共治' is already in"):
        edit.apply(text, [{"op": "add", "entry": "五水共治", "aliases": [], "category": "campaign",
                           "level": "provincial", "region": "浙江省", "themes": [], "seen_in": []}])
    # the command checks the result before writing: a form taken by two entries is named
    clash = tmp_path / "clash.jsonl"
    clash.write_text('{"op": "add_forms", "entry": "五水共治", "forms": ["八八战略"]}\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="'八八战略' would belong to '八八战略' and '五水共治'"):
        edit.main([str(clash), "--dry-run"])


def test_second_consistency_adjudication_is_in_the_gold(corpus_root):
    """labeled/raw/consistency02.decisions.jsonl: J23-J26 decided every occurrence (747) of the 65 names the
    gold had recorded both ways; an applied decision is what the merged gold now holds, and a blind second
    reading of 150 of them (J27) agrees as stated."""
    import json
    from pathlib import Path

    from sklearn.metrics import cohen_kappa_score

    from policytag.programs import _surface_key

    raw = Path(__file__).resolve().parent.parent / "labeled" / "raw"
    rows = [json.loads(x) for x in (raw / "consistency02.decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 747 and len({r["name"] for r in rows}) == 65
    assert {r["annotator"] for r in rows} == {"J23", "J24", "J25", "J26"}
    assert {r["decision"] for r in rows} == {"record", "not"}
    sets = sorted({r["set"] for r in rows})
    gold = {(rec["doc"], rec["para"]): (text, rec["programs"])
            for s in sets for text, rec in _gold_records([raw.parent / f"{s}.adjudicated.jsonl"], corpus_root)}
    added = removed = 0
    for r in rows:
        text, programs = gold[r["doc"], r["para"]]
        if r["decision"] == "record":
            assert r["string"] and r["string"] in text, r
        if not r["applied"]:
            continue
        if r["decision"] == "record":  # the gold had not recorded it: now it does
            assert r["gold_before"] == "not recorded" and r["string"] in programs, r
            added += 1
        else:  # the gold had: the string of that occurrence is gone
            assert r["gold_before"] == "recorded", r
            assert _surface_key(r["surface"]) not in {_surface_key(g) for g in programs}, r
            removed += 1
    assert (added, removed) == (132, 43)
    second = [json.loads(x) for x in (raw / "consistency02.J27.jsonl").read_text(encoding="utf-8").splitlines()]
    first = {r["item"]: r["decision"] for r in rows}
    a, b = [first[r["item"]] for r in second], [r["decision"] for r in second]
    assert len(second) == 150 and sum(x == y for x, y in zip(a, b)) == 138
    assert round(cohen_kappa_score(a, b), 2) == 0.81


def test_consistency_corrections_apply_to_the_merged_gold():
    """scripts/adjudicate_programs.py: a consistency correction removes recorded strings
    and adds new ones, naming its adjudicator; a wrong paragraph or an unrecorded string stops it."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "adjudicate_programs.py"
    spec = importlib.util.spec_from_file_location("adjudicate_programs", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rec = {"doc": "d", "para": 1, "hash": "h", "programs": ["法治政府", "依法行政"]}
    fix = {"hash": "h", "remove": ["依法行政"], "add": ["服务型政府"], "annotator": "J13"}
    out = mod._apply_corrections(rec, [("cons01.J13.jsonl:1", fix)])
    assert out["programs"] == ["法治政府", "服务型政府"] and out["corrected_by"] == ["J13"]
    assert rec["programs"] == ["法治政府", "依法行政"]  # the input is not changed
    with pytest.raises(SystemExit, match="another paragraph text"):
        mod._apply_corrections(rec, [("x:1", {**fix, "hash": "other"})])
    with pytest.raises(SystemExit, match="are not recorded"):
        mod._apply_corrections(rec, [("x:1", {**fix, "remove": ["扩大内需"]})])
