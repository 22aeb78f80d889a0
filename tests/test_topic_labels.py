"""Topic labels belong to one model: an entry applies only to the model whose fingerprint it records."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from analysis import topics as tp
from analysis.errors import TopicModelError

FP = "ab" * 32  # a well-formed fingerprint that no model has

#: A small hand-built news corpus: three themes, none of them the seed's.
NEWS = {
    "war": ["afghanistan", "taliban", "troops", "kabul", "withdrawal", "army"],
    "market": ["stock", "market", "shares", "investor", "index", "bank"],
    "sport": ["match", "goal", "league", "coach", "season", "player"],
}


def news_units() -> pd.DataFrame:
    rows = []
    for i in range(18):
        theme = list(NEWS)[i % 3]
        words = NEWS[theme]
        rows.append({"unit_id": f"news{i}", "voice": "text",
                     "terms": [words[(i + j) % 6] for j in range(5)] + [words[i % 6]]})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def paper_model(seed_tokens):
    """The paper's model, fitted exactly as notebooks/06_topics.ipynb fits it (K = 5, seed 1)."""
    units = tp.topic_units(seed_tokens, segment="paragraph", lang="en")
    return tp.TopicModel(k=5, seed=1, passes=10).fit(units)


@pytest.fixture(scope="module")
def news_model():
    """A model with the paper's k and seed, fitted on other units."""
    return tp.TopicModel(k=5, seed=1, passes=10).fit(news_units())


def test_paper_labels_apply_to_the_paper_model(paper_model):
    shipped = tp.load_topic_labels()
    assert [(e["k"], e["seed"], e["segment"], e["lang"]) for e in shipped] == [(5, 1, "paragraph", "en")]
    assert shipped[0]["fingerprint"] == tp.model_fingerprint(paper_model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels = tp.topic_labels(paper_model, segment="paragraph", lang="en")  # as notebook 06 calls it
    assert labels["label"].tolist() == [shipped[0]["labels"][t] for t in range(5)]
    assert labels["source"].eq("file").all()
    assert labels.attrs["fallback"] is False and labels.attrs["fingerprint"] == shipped[0]["fingerprint"]
    assert all(len(label) <= 28 for label in labels["label"])  # fits a panel title


def test_same_k_and_seed_on_other_units_gets_top_terms(news_model):
    with pytest.warns(UserWarning, match=r"entry for k=5, seed=1 was written for another model .*top 3 terms"):
        labels = tp.topic_labels(news_model)  # the shipped file: the paper's entry has the same k and seed
    words = news_model.topic_terms(3)
    assert labels["label"].tolist() == [" / ".join(w) for w in words]
    assert labels["source"].eq("top terms").all()
    assert labels.attrs["fallback"] is True
    assert labels.attrs["fingerprint"] == tp.model_fingerprint(news_model) != tp.load_topic_labels()[0]["fingerprint"]
    assert "Party ideological work" not in labels["label"].tolist()


def test_an_entry_with_the_model_fingerprint_applies(news_model, tmp_path):
    fp = tp.model_fingerprint(news_model)
    path = tmp_path / "labels.yaml"
    path.write_text(f"models:\n  - k: 5\n    seed: 1\n    fingerprint: {FP}\n    labels: {{0: wrong}}\n"
                    f"  - k: 5\n    seed: 1\n    fingerprint: {fp}\n    labels:\n      1: Afghanistan\n",
                    encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an entry matched: no warning about the other one
        labels = tp.topic_labels(news_model, tp.load_topic_labels(path))
    assert labels.loc[1, "label"] == "Afghanistan" and labels.loc[1, "source"] == "file"
    assert labels.loc[0, "source"] == "top terms" and labels.attrs["fallback"] is False
    entry = {"k": 5, "seed": 1, "fingerprint": fp, "labels": {1: "x"}}
    assert tp.topic_labels(news_model, [{**entry, "seed": 9}])["source"].eq("top terms").all()  # no warning: other seed
    # segment and lang, where an entry names them, must match too
    assert tp.topic_labels(news_model, [{**entry, "segment": "document"}], segment="paragraph")["source"].eq(
        "top terms").all()
    assert tp.topic_labels(news_model, [{**entry, "segment": "paragraph"}], segment="paragraph").loc[1, "label"] == "x"
    assert tp.topic_labels(news_model, [], top=1)["label"].tolist() == [w[0] for w in news_model.topic_terms(1)]


def test_fingerprint_is_the_units_and_settings():
    units = news_units()
    a = tp.model_fingerprint(tp.TopicModel(k=3, seed=1, passes=2).fit(units))
    assert len(a) == 64 and set(a) <= set("0123456789abcdef")
    assert tp.model_fingerprint(tp.TopicModel(k=4, seed=2, passes=2, top=5).fit(units)) == a  # k, seed, top: not in it
    assert tp.model_fingerprint(tp.TopicModel(k=3, seed=1, passes=3).fit(units)) != a  # settings are
    changed = units.copy()
    changed.at[0, "terms"] = changed.at[0, "terms"][:-1]
    assert tp.model_fingerprint(tp.TopicModel(k=3, seed=1, passes=2).fit(changed)) != a  # terms are
    renamed = units.assign(unit_id=[f"x{i}" for i in range(len(units))])
    assert tp.model_fingerprint(tp.TopicModel(k=3, seed=1, passes=2).fit(renamed)) != a  # unit ids are
    reordered = units.iloc[::-1].reset_index(drop=True)
    assert tp.model_fingerprint(tp.TopicModel(k=3, seed=1, passes=2).fit(reordered)) != a  # so is the fitting order


def test_fingerprint_needs_a_fitted_model():
    with pytest.raises(TopicModelError, match="not fitted"):
        tp.model_fingerprint(tp.TopicModel(k=3))


@pytest.mark.parametrize("entry, message", [
    ("k: 6\n    seed: 3\n    labels: {0: x}", r"entry 2 \(k=6, seed=3\) has no fingerprint"),
    ("k: 6\n    seed: 3\n    fingerprint: 12345\n    labels: {0: x}",
     r"entry 2 \(k=6, seed=3\) has a fingerprint that is not a string of 64 hex digits \(12345\)"),
    ("k: 6\n    seed: 3\n    fingerprint: [a, b]\n    labels: {0: x}", r"entry 2 .* not a string"),
    ("k: 6\n    seed: 3\n    fingerprint: abc\n    labels: {0: x}", r"entry 2 .* 64 hex digits \('abc'\)"),
    ("k: 6\n    seed: 3\n    fingerprint: " + FP + "\n    labels: {a: x}", r"entry 2 .* non-numeric topic id"),
    ("k: six\n    seed: 3\n    fingerprint: " + FP + "\n    labels: {0: x}", r"entry 2 .* k must be a whole number"),
    ("k: 6\n    fingerprint: " + FP + "\n    labels: {0: x}", r"entry 2 needs k, seed, fingerprint"),
    ("k: 6\n    seed: 3\n    unit: paragraph\n    fingerprint: " + FP + "\n    labels: {0: x}", r"entry 2 .* unknown key\(s\) unit"),
])
def test_malformed_entries_are_named(tmp_path, entry, message):
    path = tmp_path / "labels.yaml"
    path.write_text(f"models:\n  - k: 3\n    seed: 1\n    fingerprint: {FP}\n    labels: {{0: ok}}\n  - {entry}\n",
                    encoding="utf-8")
    with pytest.raises(TopicModelError, match=rf"labels\.yaml: {message}"):
        tp.load_topic_labels(path)


@pytest.mark.parametrize("change, message", [
    ({"fingerprint": None}, r"entry 1 \(k=6, seed=3\) has no fingerprint"),
    ({"fingerprint": 7}, r"entry 1 \(k=6, seed=3\) has a fingerprint that is not a string"),
])
def test_malformed_entries_passed_directly_are_named(news_model, change, message):
    entry = {"k": 6, "seed": 3, "fingerprint": FP, "labels": {0: "x"}}
    entry.update(change)
    if entry["fingerprint"] is None:
        del entry["fingerprint"]
    with pytest.raises(TopicModelError, match=message):
        tp.topic_labels(news_model, [entry])


def test_cli_says_which_labels_it_used(capsys, news_model):
    from analysis.cli import topics as cli_topics

    class Args:
        labels = None
        segment = "paragraph"

    labels = cli_topics._labels(tp, news_model, Args, None)
    err = capsys.readouterr().err.splitlines()
    assert labels.attrs["fallback"] is True and len(err) == 2
    assert err[0].startswith("tifa topics: topic labels: the entry for k=5, seed=1 was written for another model")
    assert f"fingerprint: {tp.model_fingerprint(news_model)}" in err[1]
