"""Shared fixtures: the real documents in ../shared (read, never copied)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("POLICYTAG_SHARED", REPO.parent / "shared")).resolve()
CORPORA = SHARED / "corpora"
SEEDS = SHARED / "seeds"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(
            f"{path} is missing: the tests read the real documents in ../shared "
            "(set POLICYTAG_SHARED to its location)"
        )
    return path


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    return _require(CORPORA)


@pytest.fixture(scope="session")
def corpus_docs(corpus_root):
    from policytag.corpus import read_shared_corpora

    return list(read_shared_corpora(corpus_root))


@pytest.fixture(scope="session")
def seed_docs():
    from policytag.corpus import read_seeds

    docs = {d.id: d for d in read_seeds(_require(SEEDS))}
    assert len(docs) == 5
    return docs


@pytest.fixture(scope="session")
def corpus_paragraphs(corpus_docs):
    from policytag.paragraphs import paragraphs

    return {d.id: paragraphs(d.text) for d in corpus_docs}


@pytest.fixture(scope="session")
def seed_paragraphs(seed_docs):
    from policytag.paragraphs import paragraphs

    return {k: paragraphs(d.text) for k, d in seed_docs.items()}
