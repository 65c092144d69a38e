"""Plots of theme statistics (optional extra: ``pip install 'policytag[plot]'``).

* :func:`trend` — theme shares over an ordered axis (years) with CI bands;
* :func:`heatmap` — group x theme shares (e.g. province x theme);
* :func:`program_timeline` — when each program appears (first to last), sized by mentions.

Chinese labels need a CJK font: the ``plot`` extra installs ``mplfonts``,
whose Noto Sans CJK SC is registered here; otherwise an installed CJK font
(Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei …) is used, and without
any a warning says that Chinese would render as empty boxes.
"""
from __future__ import annotations

import functools
import logging
import warnings
from pathlib import Path
from typing import Optional, Sequence, Union

__all__ = ["trend", "heatmap", "program_timeline", "cjk_font"]

log = logging.getLogger(__name__)
THEME_ZH = {"innovation": "创新", "openness": "开放", "ecology": "生态", "governance": "治理", "livelihood": "民生"}
COLORS = {"innovation": "#1f77b4", "openness": "#ff7f0e", "ecology": "#2ca02c", "governance": "#7f7f7f",
          "livelihood": "#d62728"}
_KNOWN_CJK = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
              "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN")


@functools.lru_cache(maxsize=None)
def cjk_font() -> Optional[str]:
    """The name of a font that renders Chinese, registering mplfonts' if installed."""
    from matplotlib import font_manager

    try:
        from importlib import resources

        path = resources.files("mplfonts").joinpath("fonts/NotoSansCJKsc-Regular.otf")
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
    except ModuleNotFoundError:
        pass
    names = {f.name for f in font_manager.fontManager.ttflist}
    for n in _KNOWN_CJK:
        if n in names:
            return n
    warnings.warn("no CJK font found: Chinese labels will render as empty boxes; "
                  "pip install 'policytag[plot]' (installs mplfonts) or a system CJK font", stacklevel=2)
    return None


def _plt():  # noqa: ANN202
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover
        raise ImportError("plots need matplotlib: pip install 'policytag[plot]'") from exc
    font = cjk_font()
    if font:
        plt.rcParams["font.family"] = [font, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _label(theme: str) -> str:
    return f"{THEME_ZH.get(theme, theme)} {theme}"


def trend(shares, x: str = "year", path: Union[str, Path, None] = None,  # noqa: ANN001, ANN201
          title: str = "Theme shares of paragraphs (95% CI) 主题段落占比", themes: Optional[Sequence[str]] = None):
    """Lines of each theme's share along ``x`` with CI bands (from :func:`policytag.stats.group_shares`)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=120)
    themes = themes or list(dict.fromkeys(shares["theme"]))
    for t in themes:
        d = shares[shares["theme"] == t].sort_values(x)
        ax.plot(d[x], d["share"], marker="o", ms=3, lw=1.8, color=COLORS.get(t), label=_label(t))
        if "lo" in d and d["lo"].notna().any():
            ax.fill_between(d[x], d["lo"], d["hi"], color=COLORS.get(t), alpha=0.15, lw=0)
    ax.set_xlabel(x)
    ax.set_ylabel("share of paragraphs 段落占比")
    ax.set_ylim(0, None)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", ncol=5, fontsize=9, frameon=False)
    fig.tight_layout()
    if path:
        fig.savefig(path)
        plt.close(fig)
    return fig


def heatmap(shares, row: str = "region", path: Union[str, Path, None] = None,  # noqa: ANN001, ANN201
            title: str = "Theme shares by region 各地区主题占比"):
    """A ``row`` x theme heatmap of shares, annotated with percentages."""
    import numpy as np

    plt = _plt()
    table = shares.pivot(index=row, columns="theme", values="share")
    themes = [t for t in THEME_ZH if t in table.columns] + [t for t in table.columns if t not in THEME_ZH]
    table = table[themes]
    fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.32 * len(table) + 1.5)), dpi=120)
    im = ax.imshow(table.to_numpy(), aspect="auto", cmap="YlGnBu", vmin=0, vmax=float(np.nanmax(table.to_numpy())))
    ax.set_xticks(range(len(themes)), [_label(t) for t in themes], rotation=30, ha="right")
    ax.set_yticks(range(len(table)), [str(i) for i in table.index])
    for i in range(len(table)):
        for j in range(len(themes)):
            v = table.iloc[i, j]
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7,
                    color="white" if v > 0.6 * np.nanmax(table.to_numpy()) else "black")
    fig.colorbar(im, ax=ax, fraction=0.04, format=plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title(title)
    fig.tight_layout()
    if path:
        fig.savefig(path)
        plt.close(fig)
    return fig


def program_timeline(programs, path: Union[str, Path, None] = None, top: int = 25,  # noqa: ANN001, ANN201
                     title: str = "Named programs: first to last mention 重要提法出现时段"):
    """Horizontal bars from first to last appearance of the most mentioned programs
    (from :func:`policytag.stats.program_stats` with ``time=``)."""
    plt = _plt()
    d = programs.sort_values("mentions", ascending=False).head(top).sort_values("first", ascending=False)
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(d) + 1.5), dpi=120)
    y = range(len(d))
    ax.hlines(y, d["first"], d["last"], color="#1f77b4", lw=3, alpha=0.6)
    ax.scatter(d["first"], y, s=12, color="#1f77b4", zorder=3)
    ax.scatter(d["last"], y, s=12, color="#1f77b4", zorder=3)
    for yi, (_, r) in zip(y, d.iterrows()):
        ax.text(r["last"] + 0.6, yi, f"{int(r['mentions'])}", va="center", fontsize=7, color="#555")
    ax.set_yticks(list(y), d["program"].tolist())
    ax.set_xlabel("year (number: mentions)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    if path:
        fig.savefig(path)
        plt.close(fig)
    return fig
