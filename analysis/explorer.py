"""An interactive concordance explorer for Jupyter (ipywidgets), for use in class.

>>> from analysis.explorer import ConcordanceExplorer            # doctest: +SKIP
>>> ConcordanceExplorer(tokens).widget                            # doctest: +SKIP

A query box, a context window, a sort order and a voice filter; the concordance below updates on
every change. All the work is :func:`analysis.concordance.kwic`; this module only wires widgets to it.
"""

from __future__ import annotations

import html

import pandas as pd

from .errors import TifaError
from .concordance import kwic

SORTS = {
    "document order": None,
    "1st word right (R1)": ["R1", "R2", "R3"],
    "1st word left (L1)": ["L1", "L2", "L3"],
    "match, then R1": ["match", "R1"],
    "random": "random",
}


class ConcordanceExplorer:
    """Widgets around :func:`~analysis.concordance.kwic`.

    ``explorer.widget`` is the ipywidgets box to display; ``explorer.result`` is the last KWIC
    table (a DataFrame); ``explorer.message`` says how many hits, or what was wrong with the query.
    """

    def __init__(self, tokens: pd.DataFrame, query: str = "lemma:security", *, window: int = 5,
                 max_rows: int = 200, seed: int = 0):
        import ipywidgets as w

        self.tokens = tokens
        self.max_rows = max_rows
        self.seed = seed
        voices = sorted(str(v) for v in pd.unique(tokens["voice"]) if str(v))
        self.query = w.Text(value=query, description="query", continuous_update=False,
                            layout=w.Layout(width="420px"))
        self.window = w.IntSlider(value=window, min=1, max=20, description="window")
        self.sort = w.Dropdown(options=list(SORTS), value="document order", description="sort")
        self.voice = w.Dropdown(options=["all", *voices], value="all", description="voice")
        self.output = w.HTML()
        for control in (self.query, self.window, self.sort, self.voice):
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([w.HBox([self.query, self.voice]), w.HBox([self.window, self.sort]), self.output])
        self.result: pd.DataFrame | None = None
        self.message = ""
        self.update()

    def update(self) -> None:
        """Run the query with the current settings and redraw the concordance."""
        filters = {} if self.voice.value == "all" else {"voice": self.voice.value}
        try:
            result = kwic(self.tokens, self.query.value, window=self.window.value, sort=SORTS[self.sort.value],
                          seed=self.seed, **filters)
        except TifaError as exc:
            self.result = None
            self.message = str(exc)
            self.output.value = f'<p style="color:#D55E00">{html.escape(self.message)}</p>'
            return
        self.result = result
        self.message = f"{len(result)} hits"
        self.output.value = result.head(self.max_rows)._repr_html_() or ""
