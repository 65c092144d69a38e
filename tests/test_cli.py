"""The command line is a thin layer over the library: check what users type."""
import json
import subprocess
import sys



def run(*args, check=True, input=None):
    return subprocess.run([sys.executable, "-m", "policytag.cli", *args], capture_output=True, text=True,
                          check=check, input=input)


def test_help_teaches():
    out = run("--help").stdout
    for cmd in ("tag", "programs", "train", "evaluate", "paragraphs", "normalize"):
        assert cmd in out
    tag_help = run("tag", "--help").stdout
    assert "--resume" in tag_help and "examples:" in tag_help and "errors.jsonl" in tag_help


def test_tag_literal_text():
    out = run("tag", "深化“最多跑一次”改革，企业开办时间压缩至1个工作日，营商环境持续优化。").stdout
    row = json.loads(out.splitlines()[0])
    assert "governance" in row["themes"] and row["programs"] == ["最多跑一次"]


def test_tag_file_to_csv_and_exit_status(tmp_path, seed_docs):
    good = tmp_path / "good.txt"
    good.write_text(seed_docs["seed-000"].text, encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    proc = run("tag", str(good), str(bad), "-o", str(out), "-q", check=False)
    assert proc.returncode == 1  # some input failed, the rest was written
    assert out.exists()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("doc_id,paragraph,start,end")
    assert len(lines) > 10
    errors = (tmp_path / "out.csv.errors.jsonl").read_text(encoding="utf-8")
    assert "bad.jsonl" in errors and '"line": 1' in errors


def test_missing_file_is_a_clear_error(tmp_path):
    proc = run("tag", str(tmp_path / "nope.txt"), check=False)
    assert proc.returncode != 0 and "no such file" in proc.stderr


def test_paragraphs_and_normalize_commands(tmp_path):
    f = tmp_path / "d.txt"
    f.write_text("下载\n打印\n各位代表：\n堅持發(fā)展。\n", encoding="utf-8")
    rows = [json.loads(l) for l in run("paragraphs", str(f)).stdout.splitlines()]
    assert [r["text"] for r in rows] == ["各位代表：", "坚持发展。"]
    assert run("normalize", "-", input="區(qū)").stdout.strip() == "区"


def test_evaluate_prints_baselines(corpus_root):
    out = run("evaluate", "--no-baselines", "--corpus", str(corpus_root)).stdout
    assert "dev: classifier" in out and "dev: rules" in out and "macro-F1:" in out
