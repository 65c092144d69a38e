"""Training a model on a user's own labels and themes, end to end through the CLI."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from policytag.training import read_labels

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def user_labels(tmp_path_factory, corpus_root):
    """A user's label file (text + labels, own theme names), made from our annotations:
    'green' where annotators said ecology, 'trade' where they said openness."""
    from policytag.datasets import load_labeled

    recs = load_labeled(corpus_root)
    train = [r for r in recs if r.split == "train"][::5][:700]  # spread over all documents
    dev = [r for r in recs if r.split == "dev"][::4][:200]
    path = tmp_path_factory.mktemp("labels") / "mine.jsonl"
    rename = {"ecology": "green", "openness": "trade"}
    with open(path, "w", encoding="utf-8") as fh:
        for r in train + dev:
            labels = [rename[t] for t in r.labels if t in rename]
            fh.write(json.dumps({"text": r.text, "labels": labels, "split": r.split, "group": r.doc},
                                ensure_ascii=False) + "\n")
    return path


def test_read_labels_with_own_themes(user_labels):
    data = read_labels(user_labels)
    assert data["train"].themes == ("green", "trade")
    assert len(data["train"]) == 700 and len(data["dev"]) == 200
    assert data["train"].Y.shape == (700, 2) and data["train"].Y.sum() > 50


def test_bad_label_line_names_file_and_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"text": "发展", "labels": []}\n{"text": "x"\n', encoding="utf-8")
    with pytest.raises(Exception, match=r"bad.jsonl.*2"):
        read_labels(f)
    g = tmp_path / "nolabels.jsonl"
    g.write_text('{"text": "发展", "labels": []}\n{"text": "改革"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"nolabels.jsonl:2: .*'labels'"):
        read_labels(g)


def test_train_cli_on_own_themes_then_tag(user_labels, tmp_path):
    out = tmp_path / "my-model"
    r = subprocess.run([sys.executable, "-m", "policytag.cli", "train", "--labels", str(user_labels),
                        "-o", str(out), "--no-select", "--params", '{"cv": 3}'],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    import policytag

    tagger = policytag.load(out)
    assert tagger.themes == ("green", "trade")
    meta = tagger.classifier.metadata_
    assert meta["n_train"] == 700 and meta["n_dev"] == 200
    print("own-theme dev macro-F1", round(meta["dev"]["classifier"]["macro"]["f1"], 3))
    assert meta["dev"]["classifier"]["macro"]["f1"] > 0.6  # learned, not guessed
    assert "green" in tagger.tag("全面加强生态环境保护，深入打好污染防治攻坚战，推进大气、水、土壤污染治理。").themes
    assert "trade" in tagger.tag("稳定外贸外资基本盘，扩大进出口，优化营商环境，吸引外商投资。").themes
