"""Word segmentation with jieba's dictionary, on a fast engine by default.

:class:`Tokenizer` is an object (no global jieba state is touched): each
instance owns its dictionary, so named programs added to one tokenizer do
not leak into another.  The default engine is ``rjieba`` (the Rust jieba-rs
binding, same dictionary and algorithm as jieba); ``engine="jieba"`` selects
the reference Python implementation.
"""
from __future__ import annotations

import threading
from typing import Iterable, Optional

__all__ = ["Tokenizer", "ENGINES"]

ENGINES = ("rjieba", "jieba")


class Tokenizer:
    """A jieba tokenizer with its own dictionary.

    >>> tok = Tokenizer()
    >>> tok.add_words(["最多跑一次"])
    >>> tok.cut("深化最多跑一次改革")
    ['深化', '最多跑一次', '改革']

    Parameters
    ----------
    engine:
        ``"rjieba"`` (default, fast) or ``"jieba"`` (reference Python).
    hmm:
        Use jieba's HMM for unknown words (jieba's default, True).
    """

    def __init__(self, engine: str = "rjieba", hmm: bool = True) -> None:
        self.engine = engine
        self.hmm = hmm
        self._words: list[tuple[str, Optional[int]]] = []
        self._impl = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Tokenizer(engine={self.engine!r}, hmm={self.hmm!r}, added_words={len(self._words)})"

    # Tokenizers travel to worker processes: send the word list, not the engine.
    def __getstate__(self) -> dict:
        return {"engine": self.engine, "hmm": self.hmm, "_words": list(self._words)}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["engine"], state["hmm"])
        self._words = list(state["_words"])

    def add_words(self, words: Iterable[str], freq: Optional[int] = None) -> None:
        """Add words to this tokenizer's dictionary so they stay whole tokens.

        ``freq`` defaults to a frequency high enough for the word to win over
        its parts (jieba's ``suggest_freq`` logic would need the engine).
        """
        new = [(w, freq) for w in words if w and not w.isspace()]
        with self._lock:
            self._words.extend(new)
            if self._impl is not None:
                self._apply(self._impl, new)

    @property
    def added_words(self) -> tuple[str, ...]:
        return tuple(w for w, _ in self._words)

    def _apply(self, impl, words) -> None:  # noqa: ANN001
        for w, f in words:
            f = f if f is not None else max(1000, 200 * len(w))
            if self.engine == "rjieba":
                impl.add_word(w, f, None)
            else:
                impl.add_word(w, freq=f)

    def _engine(self):  # noqa: ANN202
        if self._impl is None:
            with self._lock:
                if self._impl is None:
                    impl = self._make()
                    self._apply(impl, self._words)
                    self._impl = impl
        return self._impl

    def _make(self):  # noqa: ANN202
        if self.engine == "rjieba":
            try:
                import rjieba
            except ImportError as exc:  # pragma: no cover - rjieba is a core dependency
                raise ImportError(
                    "engine='rjieba' needs the rjieba package (pip install rjieba); "
                    "or use Tokenizer(engine='jieba')"
                ) from exc
            return rjieba.Jieba()
        if self.engine == "jieba":
            import logging

            import jieba

            logging.getLogger("jieba").setLevel(logging.WARNING)
            jieba.setLogLevel(logging.WARNING)
            t = jieba.Tokenizer()
            t.initialize()
            return t
        raise ValueError(f"unknown tokenizer engine {self.engine!r}; choose one of {ENGINES}")

    def cut(self, text: str) -> list[str]:
        """Segment ``text`` into tokens (punctuation and spaces included)."""
        impl = self._engine()
        if self.engine == "rjieba":
            return impl.cut(text, self.hmm)
        return impl.lcut(text, HMM=self.hmm)
