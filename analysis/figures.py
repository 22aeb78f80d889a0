"""Saving a figure of the paper: PNG, SVG, the CSV of the numbers behind it, and provenance.

One helper, :func:`save_figure`, used by every notebook. Its outputs are byte-identical from run
to run: PNG and SVG carry no dates or software strings, SVG ids are salted with a fixed string,
CSV floats are written with a fixed precision, and the provenance record holds no time stamp.
"""

from __future__ import annotations

import io
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

import matplotlib
import pandas as pd

from ._atomic import write_bytes_atomic, write_text_atomic
from .errors import TifaError
from .paths import project_dir

_PACKAGES = ("tifa", "stanza", "torch", "gensim", "scipy", "numpy", "pandas", "matplotlib")


def figures_dir() -> Path:
    """Where figures go: ``TIFA_FIGURES_DIR`` if set, else the project's ``figures/``."""
    env = os.environ.get("TIFA_FIGURES_DIR")
    return Path(env) if env else project_dir() / "figures"


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200, bbox_inches="tight", pad_inches=0.05, metadata={"Software": None})
    return buf.getvalue()


def _svg_bytes(fig) -> bytes:
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "tifa"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.05, metadata={"Date": None, "Creator": None})
    return buf.getvalue()


LANGUAGE_NAMES = {"en": "English", "zh-hans": "Chinese", "zh": "Chinese"}


def parse_note(tokens: pd.DataFrame, langs: tuple[str, ...] = ("en", "zh-hans")) -> str:
    """The sentence a figure built on the dependency parse adds to its caption: which model set parsed
    the text, and its labelled attachment score (LAS, CoNLL 2018 scorer, end to end from raw text)
    as recorded with the annotations (``tokens.attrs``, :func:`analysis.load_tokens`).

    E.g. ``"Parsed by offline-1a2b3c4d (LAS 80.2 English, EWT test; 55.0 Chinese, 5-fold CV)."``
    Without recorded scores it says so.
    """
    model_set = tokens.attrs.get("model_set") or "an unnamed model set"
    accuracy = tokens.attrs.get("model_accuracy") or {}
    parts = [f"{accuracy[lang]['LAS']:.1f} {LANGUAGE_NAMES.get(lang, lang)}, {accuracy[lang]['test']}"
             for lang in langs if lang in accuracy and "LAS" in accuracy[lang]]
    if not parts:
        return f"Parsed by {model_set} (no accuracy recorded for it)."
    return f"Parsed by {model_set} (LAS {'; '.join(parts)})."


def save_figure(fig, name: str, data: pd.DataFrame, *, notebook: str = "", seed: int | None = None,
                model_set: str = "", corpus_checksum: str = "", caption: str = "",
                out_dir: str | Path | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write ``<name>.png``, ``<name>.svg``, ``<name>.csv`` and ``<name>.json`` (provenance).

    ``data`` is the table the figure draws (what a reader needs to check or redraw it). The
    provenance record holds the caption, notebook, seed, model set, corpus checksum and package
    versions. Files are written atomically. Returns the paths written.
    """
    if not name or any(c in name for c in "/\\ "):
        raise TifaError(f"figure name {name!r}: use a short name without spaces or slashes")
    out = Path(out_dir) if out_dir is not None else figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    paths = {ext: out / f"{name}.{ext}" for ext in ("png", "svg", "csv", "json")}
    write_bytes_atomic(paths["png"], _png_bytes(fig))
    write_bytes_atomic(paths["svg"], _svg_bytes(fig))
    write_text_atomic(paths["csv"], data.to_csv(index=False, lineterminator="\n", float_format="%.6g"))
    record = {
        "figure": name,
        "caption": caption,
        "notebook": notebook,
        "seed": seed,
        "model_set": model_set,
        "corpus_sha256": corpus_checksum,
        "rows": int(len(data)),
        "columns": [str(c) for c in data.columns],
        "versions": package_versions(),
        **(dict(extra) if extra else {}),
    }
    write_text_atomic(paths["json"], json.dumps(record, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
    return paths
