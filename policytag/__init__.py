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

from .corpus import Document
from .normalize import Normalized, Normalizer, normalize
from .paragraphs import Paragraph, paragraphs
from .tokenize import Tokenizer

__version__ = "0.1.0"

THEMES: tuple[str, ...] = ("innovation", "openness", "ecology", "governance", "livelihood")
"""The five policy themes of ../shared/CODEBOOK.md, in their canonical order."""

__all__ = [
    "THEMES",
    "Document",
    "Normalized",
    "Normalizer",
    "Paragraph",
    "Tokenizer",
    "normalize",
    "paragraphs",
    "__version__",
]
