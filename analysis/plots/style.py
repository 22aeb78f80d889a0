"""One shared figure style for every Tifa plot.

Colours are the Okabe & Ito (2008) colour-blind-safe palette. Sizes are for a journal column
(3.4 in) or a full page width (7 in). Chinese labels use the first CJK-capable font found.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

#: Okabe–Ito palette (black last).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

#: One colour per voice, used by every figure that splits by voice.
VOICE_COLORS = {"official": "#0072B2", "framing": "#E69F00", "original": "#009E73", "reference": "#999999",
                "text": "#0072B2"}

COLUMN_WIDTH = 3.4  # inches
PAGE_WIDTH = 7.0  # inches

_CJK_CANDIDATES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                   "WenQuanYi Micro Hei", "AR PL UMing CN", "SimHei", "Droid Sans Fallback")


def _register_packaged_cjk_font() -> None:
    """Register Noto Sans CJK from the ``noto-cjk-sans-otc`` wheel (a dependency) with matplotlib."""
    try:
        import noto_cjk_sans_otc
    except ImportError:  # pragma: no cover - the dependency is declared in pyproject.toml
        return
    if not any("CJK" in f.name for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))


def cjk_font() -> str | None:
    """Name of an installed font that covers Chinese, or None."""
    _register_packaged_cjk_font()
    names = {f.name for f in font_manager.fontManager.ttflist}
    for cand in _CJK_CANDIDATES:
        if cand in names:
            return cand
    return None


def rc_params() -> dict:
    """The rcParams of the Tifa style (deterministic output: no SVG ids or dates that change)."""
    families = ["DejaVu Sans"]
    cjk = cjk_font()
    if cjk:
        families.append(cjk)
    return {
        # a list of families: matplotlib falls back glyph by glyph (Latin → DejaVu, Han → Noto CJK)
        "font.family": families,
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "legend.fontsize": 7,
        "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE)),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.dpi": 100,
        "savefig.dpi": 200,
        "savefig.bbox": "tight",
        "svg.hashsalt": "tifa",
        "svg.fonttype": "path",
        "path.simplify": True,
    }


@contextmanager
def tifa_style() -> Iterator[None]:
    """Context manager applying the Tifa style."""
    with plt.rc_context(rc_params()):
        yield
