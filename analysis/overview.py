"""Corpus composition: how many words each post has in each voice."""

from __future__ import annotations

import pandas as pd

from .corpus import Corpus, count_words


def composition(corpus: Corpus) -> pd.DataFrame:
    """One row per (document, voice): doc_id, title, lang, date, outlet, kind, voice, paragraphs, words, han.

    Sizes are counted before annotation (:func:`analysis.corpus.count_words`): ``words`` are
    letter/digit runs without Han characters, ``han`` are Han characters. Rows are ordered by
    date (undated documents last, in corpus order), then by voice.
    """
    rows = []
    for order, d in enumerate(corpus):
        per_voice: dict[str, list[int]] = {}
        for p in d.paragraphs:
            w, h = count_words(p.text)
            acc = per_voice.setdefault(p.voice, [0, 0, 0])
            acc[0] += 1
            acc[1] += w
            acc[2] += h
        for voice, (n, w, h) in per_voice.items():
            rows.append({"doc_id": d.doc_id, "title": d.title, "lang": d.lang, "date": d.date, "outlet": d.outlet,
                         "kind": d.kind, "voice": voice, "paragraphs": n, "words": w, "han": h, "_order": order})
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=["doc_id", "title", "lang", "date", "outlet", "kind", "voice", "paragraphs",
                                     "words", "han"])
    df["_undated"] = df.date.eq("")
    df = df.sort_values(["_undated", "date", "_order", "voice"], kind="stable")
    return df.drop(columns=["_undated", "_order"]).reset_index(drop=True)


def documents_by_date(corpus: Corpus, *, lang: str | None = "en") -> list[str]:
    """Document ids ordered by date, oldest first; undated documents last, in corpus order."""
    docs = corpus.documents
    if lang is not None:
        docs = docs[docs["lang"] == lang]
    docs = docs.assign(_undated=docs["date"].eq(""))
    return docs.sort_values(["_undated", "date"], kind="stable")["doc_id"].tolist()
