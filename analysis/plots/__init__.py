"""Plots: each function takes analysis DataFrames and returns a matplotlib Figure.

Plots never compute statistics; they draw what an analysis returned. All share one style
(:mod:`analysis.plots.style`): the Okabe–Ito colour-blind-safe palette, column-width sizes and
fonts that can render Chinese.
"""
