r"""policytag: paragraph-level policy themes and named programs in Chinese policy documents.

>>> import policytag
>>> policytag.THEMES
('innovation', 'openness', 'ecology', 'governance', 'livelihood')
>>> [p.text for p in policytag.paragraphs("一、總體要求\n\n堅持發(fā)展。")]
['一、总体要求', '坚持发展。']

The pipeline: :func:`normalize` (OpenCC traditional->simplified and cleanup,
with an exact offset map to the original), :func:`paragraphs` (furniture
dropped, hard wraps rejoined, headings marked), :class:`Tokenizer` (jieba
dictionary on a fast engine), a trained multi-label classifier and a rule
layer for named programs.
"""
from __future__ import annotations

from .corpus import Document, read_documents
from .model import ThemeModel, load_classifier, save_classifier
from .normalize import Normalized, Normalizer, normalize
from .paragraphs import Paragraph, paragraphs
from .programs import Gazetteer, Mention, ProgramMatcher
from .tagger import ParagraphTags, Tagger, Tags, load
from .tokenize import Tokenizer

__version__ = "0.1.0"

def __getattr__(name: str):  # noqa: ANN202 - PEP 562 lazy import
    # scikit-learn takes over a second to import; only training needs it.
    if name == "PolicyThemeClassifier":
        from .classifier import PolicyThemeClassifier

        return PolicyThemeClassifier
    raise AttributeError(f"module 'policytag' has no attribute {name!r}")


THEMES: tuple[str, ...] = ("innovation", "openness", "ecology", "governance", "livelihood")
"""The five policy themes of ../shared/CODEBOOK.md, in their canonical order."""

__all__ = [
    "THEMES",
    "load",
    "Tagger",
    "Tags",
    "ParagraphTags",
    "PolicyThemeClassifier",
    "ThemeModel",
    "save_classifier",
    "load_classifier",
    "ProgramMatcher",
    "Gazetteer",
    "Mention",
    "read_documents",
    "Document",
    "Normalized",
    "Normalizer",
    "Paragraph",
    "Tokenizer",
    "normalize",
    "paragraphs",
    "__version__",
]
