"""An interactive concordance explorer for Jupyter (ipywidgets), for use in class.

>>> from analysis.explorer import ConcordanceExplorer            # doctest: +SKIP
>>> ConcordanceExplorer(tokens).widget                            # doctest: +SKIP

A query box, a context window in words or characters, a sort order and a filter on any metadata
column of the table (voice, lang, a corpus's own ``source``...); the concordance below updates
on every change. All the work is :func:`analysis.kwic`; this module only wires widgets to it.
"""

from __future__ import annotations

import html

import pandas as pd

from ._core import metadata_columns
from .concordance import kwic
from .errors import TifaError

SORTS = {
    "document order": None,
    "1st word right (R1)": ["R1", "R2", "R3"],
    "1st word left (L1)": ["L1", "L2", "L3"],
    "match, then R1": ["match", "R1"],
    "random": "random",
}
#: Window units: words, or characters (for Chinese, where a few words are many characters).
UNITS = {"words": "token", "characters": "char"}
_ALL = "(all)"
_NONE = "(no filter)"


class ConcordanceExplorer:
    """Widgets around :func:`~analysis.kwic`.

    ``explorer.widget`` is the ipywidgets box to display; ``explorer.result`` is the last KWIC
    table (a DataFrame); ``explorer.message`` says how many hits, or what was wrong with the query.
    The filter offers every metadata column of ``tokens`` (:func:`analysis._core.metadata_columns`)
    with fewer than ``max_values`` distinct values; ``filter_column``/``filter_value`` choose it.
    """

    def __init__(self, tokens: pd.DataFrame, query: str = "lemma:security", *, window: int = 5,
                 unit: str = "token", top: int = 200, seed: int = 0, max_values: int = 100):
        import ipywidgets as w

        self.tokens = tokens
        self.top = top
        self.seed = seed
        self._values = {c: sorted(str(v) for v in pd.unique(tokens[c].astype(object)) if pd.notna(v) and str(v))
                        for c in metadata_columns(tokens)}
        self._values = {c: v for c, v in self._values.items() if 1 < len(v) <= max_values}
        self.query = w.Text(value=query, description="query", continuous_update=False,
                            layout=w.Layout(width="420px"))
        self.window = w.IntSlider(value=window, min=1, max=40, description="window")
        self.unit = w.Dropdown(options=list(UNITS), value={v: k for k, v in UNITS.items()}[unit], description="in")
        self.sort = w.Dropdown(options=list(SORTS), value="document order", description="sort")
        self.filter_column = w.Dropdown(options=[_NONE, *self._values], value=_NONE, description="filter")
        self.filter_value = w.Dropdown(options=[_ALL], value=_ALL, description="is")
        self.output = w.HTML()
        self.filter_column.observe(lambda _change: self._refill_values(), names="value")
        for control in (self.query, self.window, self.unit, self.sort, self.filter_value):
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([w.HBox([self.query]), w.HBox([self.filter_column, self.filter_value]),
                              w.HBox([self.window, self.unit, self.sort]), self.output])
        self.result: pd.DataFrame | None = None
        self.message = ""
        self.update()

    def _refill_values(self) -> None:
        column = self.filter_column.value
        options = [_ALL] + (self._values.get(column, []) if column != _NONE else [])
        self.filter_value.options = options  # resets the value to _ALL, which triggers update()
        self.filter_value.value = _ALL
        self.update()

    def filters(self) -> dict[str, str]:
        """The filter the widgets currently select, as keyword filters for :func:`analysis.kwic`."""
        column, value = self.filter_column.value, self.filter_value.value
        if column == _NONE or value == _ALL:
            return {}
        return {column: value}

    def update(self) -> None:
        """Run the query with the current settings and redraw the concordance."""
        try:
            result = kwic(self.tokens, self.query.value, window=self.window.value, unit=UNITS[self.unit.value],
                          sort=SORTS[self.sort.value], seed=self.seed, **self.filters())
        except TifaError as exc:
            self.result = None
            self.message = str(exc)
            self.output.value = f'<p style="color:#D55E00">{html.escape(self.message)}</p>'
            return
        self.result = result
        self.message = f"{len(result)} hit{'s' if len(result) != 1 else ''}"
        self.output.value = result.head(self.top)._repr_html_() or ""
