"""Theme dictionaries and theme measurement (analysis.themes), on hand-built Tokens."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis
from analysis._core import concordance, is_word
from analysis.cli import _common as cli_common
from analysis.conllu import parse_conllu
from analysis.errors import DictionaryError, EmptySelectionError, ParameterError, QueryError
from analysis.themes import (
    Dictionary,
    entry_queries,
    load_dictionary,
    poisson_exact_ci,
    save_dictionary,
    theme_cooccurrence,
    theme_entries,
    theme_hits,
    theme_matches,
    theme_rates,
)
from analysis.tokens import tokens_from_sentences

# --------------------------------------------------------------------------------------------
# Hand-built parses


def _word(spec: str) -> tuple[str, str, str]:
    """"form" (lemma = lowercased form), "form/lemma" or "form/lemma/UPOS"; punctuation → PUNCT."""
    parts = spec.split("/")
    form = parts[0]
    lemma = parts[1] if len(parts) > 1 else form.lower()
    upos = parts[2] if len(parts) > 2 else ("PUNCT" if re.fullmatch(r"[^\w]+", form) else "NOUN")
    return form, lemma, upos


def _conllu(paragraphs: list[list[str]], doc_id: str) -> str:
    """Paragraphs of sentences, each sentence a space-separated string of word specs."""
    out = []
    for p, sentences in enumerate(paragraphs, 1):
        for s_i, sent in enumerate(sentences):
            if s_i == 0:
                out.append(f"# newpar id = {doc_id}-p{p}")
            for i, spec in enumerate(sent.split(), 1):
                form, lemma, upos = _word(spec)
                out.append(f"{i}\t{form}\t{lemma}\t{upos}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}\t_\t_")
            out.append("")
    return "\n".join(out)


def make_tokens(*docs: dict) -> pd.DataFrame:
    """Each doc: dict(doc_id=..., pars=[[sentence, ...], ...], lang=, voice=, date=, ...)."""
    built = []
    for d in docs:
        meta = {k: v for k, v in d.items() if k not in ("doc_id", "pars")}
        meta.setdefault("lang", "en")
        meta.setdefault("voice", "official")
        built.append((d["doc_id"], parse_conllu(_conllu(d["pars"], d["doc_id"])), meta, {}))
    return tokens_from_sentences(built)


def dic(mapping: dict) -> Dictionary:
    return Dictionary.from_mapping(mapping)


# --------------------------------------------------------------------------------------------
# The shipped dictionary


def test_shipped_dictionary_has_the_required_themes_and_chinese_entries():
    d = load_dictionary()
    assert d.themes(1) == ["security", "ideology", "convergence", "governance_law", "sovereignty_order",
                           "informatization_development", "culture_reform", "party_leadership"]
    level2 = set(d.themes(2))
    for sub in ("security/cyber", "security/national", "security/ideological", "security/information",
                "ideology/ideological_work", "ideology/discourse_power", "ideology/public_opinion",
                "ideology/positive_energy", "ideology/western_values", "convergence/media_convergence",
                "convergence/traditional_new_media", "convergence/integration"):
        assert sub in level2
    zh = {e.pattern for e in d.entries if e.lang == "zh"}
    assert {"网络安全", "意识形态", "融合", "舆论", "话语权", "信息化"} <= zh
    assert {e.lang for e in d.entries} == {"en", "zh"}


# --------------------------------------------------------------------------------------------
# Loading, validation, round trip


def test_quanteda_yaml_dictionary_loads_with_language_any(tmp_path):
    # quanteda's as.yaml() output for dictionary(list(one = c("a b", "c*"), two = c("x", "y", "z??")))
    f = tmp_path / "q.yml"
    f.write_text("one:\n  - a b\n  - c*\ntwo:\n  - x\n  - y\n  - z??\n", encoding="utf-8")
    d = load_dictionary(f)
    assert [(e.theme, e.lang, e.pattern) for e in d.entries] == [
        ("one", "any", "a b"), ("one", "any", "c*"), ("two", "any", "x"), ("two", "any", "y"), ("two", "any", "z??")]
    nested = tmp_path / "n.yml"
    nested.write_text("Economy:\n  Ecopolicy: [Deficit*, austerity]\n  Tax: [taxation]\n", encoding="utf-8")
    d2 = load_dictionary(nested)
    assert d2.themes(1) == ["Economy"]
    assert d2.themes(2) == ["Economy/Ecopolicy", "Economy/Tax"]
    assert d2.entries[0].pattern == "deficit*"  # lowercased, as quanteda's tolower = TRUE


MALFORMED = [
    # (YAML text, the key the message must name, the line it must name)
    ("security:\n  cyber: cybersecurity\n", "security/cyber", 2),                       # not a list
    ("security:\n  cyber:\n    en: [cybersecurity, '  ']\n", "security/cyber", 3),      # empty pattern
    ("security:\n  cyber:\n    en: [cybersecurity, 'secur[ei]*']\n", "security/cyber", 3),  # bad glob
    ("security:\n  cyber:\n    en:\n      - cyber\n      - '*'\n", "security/cyber", 5),  # only wildcards
    ("security:\n  cyber:\n    en: [cybersecurity]\n    fr: [cybersécurité]\n", "fr", 4),  # unknown language
    ("security:\n  cyber: [a]\nideology: [b]\nsecurity: [c]\n", "security", 4),          # duplicate key
    ("security:\n  cyber:\n    en: [x]\n    en: [y]\n", "security/cyber/en", 4),          # duplicate lang key
    ("security:\n  cyber:\n", "security/cyber", 2),                                      # no value
    ("security:\n  cyber:\n    en: [1984, x]\n", "security/cyber", 3),                    # not text
    ("security:\n  cyber:\n    en: []\n", "security/cyber", 3),                           # empty list
    ("security:\n  cyber/national: [x]\n", "cyber/national", 2),                          # path in key
    ("security:\n  cyber: [a, b\nideology: [c]\n", "", 3),                                # YAML syntax
]


@pytest.mark.parametrize("text,key,line", MALFORMED)
def test_malformed_dictionary_names_key_and_line(tmp_path, text, key, line):
    f = tmp_path / "bad.yml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(DictionaryError) as err:
        load_dictionary(f)
    msg = str(err.value)
    assert key in msg
    assert f"line {line}" in msg
    assert str(f) in msg


@pytest.mark.parametrize("text,key,hint", [
    ("security:\n  cyber:\n    fr: [cybersécurité]\n", "'fr'", "add a language in analysis/languages.py"),
    ("security:\n  cyber:\n    EN: [cybersecurity]\n", "'EN'", "write 'en'"),
    ("security:\n  cyber:\n    zh-hans: [网络安全]\n", "'zh-hans'", "write 'zh'"),
    ("security:\n  cyber:\n    en: [cybersecurity]\n  national:\n    en: [x]\n    fr: [y]\n", "'fr'", "known: en, zh, any"),
])
def test_unknown_language_key_is_an_error_never_a_sub_theme(tmp_path, text, key, hint):
    f = tmp_path / "lang.yml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(DictionaryError) as err:
        load_dictionary(f)
    msg = str(err.value)
    line = text.splitlines().index(next(l for l in text.splitlines() if l.strip().startswith(key.strip("'") + ":"))) + 1
    assert f"unknown language key {key}" in msg and f"line {line}" in msg and hint in msg


def test_quanteda_nested_dictionary_with_short_sub_theme_names_loads(tmp_path):
    f = tmp_path / "q.yml"
    f.write_text("Economy:\n  Tax: [taxation, tax*]\n  Ecopolicy:\n    Deficit: [deficit*]\n    Jobs: [job*]\n"
                 "War: [war, conflict*]\n", encoding="utf-8")
    d = load_dictionary(f)
    assert d.themes(2) == ["Economy/Tax", "Economy/Ecopolicy", "War"]
    assert d.themes(3) == ["Economy/Tax", "Economy/Ecopolicy/Deficit", "Economy/Ecopolicy/Jobs", "War"]
    assert {e.lang for e in d.entries} == {"any"}
    # a mapping whose keys all look like language codes is read as languages
    g = tmp_path / "short.yml"
    g.write_text("Economy:\n  tax: [taxation]\n  eu: [brussels]\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="unknown language key 'tax'.*longer name"):
        load_dictionary(g)


def test_missing_file_and_non_mapping_are_dictionary_errors(tmp_path):
    with pytest.raises(DictionaryError, match="not found"):
        load_dictionary(tmp_path / "nope.yml")
    f = tmp_path / "list.yml"
    f.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="line 1"):
        load_dictionary(f)


def test_user_dictionary_round_trips(tmp_path):
    mapping = {
        "security": {"cyber": {"en": ["cybersecurity", "cyber security", "hack*"], "zh": ["网络安全"]},
                     "national": ["national security", "国家安全"]},
        "law": {"en": ["rule of law", "legisl?t*"], "any": ["yes", "2014"]},
    }
    d = dic(mapping)
    path = save_dictionary(d, tmp_path / "mine.yaml")
    back = load_dictionary(path)
    assert back == d
    assert [(e.theme, e.lang, e.pattern) for e in back.entries] == [(e.theme, e.lang, e.pattern) for e in d.entries]
    assert ("law", "any", "yes") in [(e.theme, e.lang, e.pattern) for e in back.entries]  # quoted on save
    shipped = load_dictionary()
    assert load_dictionary(save_dictionary(shipped, tmp_path / "shipped.yaml")) == shipped


# --------------------------------------------------------------------------------------------
# Matching


def test_longest_match_wins_and_counts_once():
    d = dic({"security": {"national": ["national security"], "general": ["secur*"]},
             "ideology": {"opinion": ["public opinion"], "guidance": ["public opinion guidance"]}})
    t = make_tokens({"doc_id": "d", "pars": [["National/national/ADJ security . public opinion guidance work ."]]})
    m = theme_matches(t, d)
    assert list(zip(m["theme"], m["text"])) == [("security/national", "National security"),
                                                ("ideology/guidance", "public opinion guidance")]
    rates = theme_rates(t, d, by=None, level=2).set_index("theme")["count"]
    assert rates["security/national"] == 1 and rates["security/general"] == 0
    assert rates["ideology/guidance"] == 1 and rates["ideology/opinion"] == 0


def test_equal_length_overlaps_leftmost_wins_and_themes_are_independent():
    d = dic({"t": ["a b", "b c"], "u": ["b"]})
    t = make_tokens({"doc_id": "d", "pars": [["a b c"]]})
    m = theme_matches(t, d)
    assert list(zip(m["theme"], m["text"])) == [("t", "a b"), ("u", "b")]  # "b c" loses; u counts b anyway


def test_same_span_two_entries_first_entry_wins():
    d = dic({"t": ["secur*", "security"]})
    m = theme_matches(make_tokens({"doc_id": "d", "pars": [["security"]]}), d)
    assert list(m["entry"]) == ["secur*"]


def test_matching_uses_lemma_or_form_and_globs():
    d = dic({"law": ["law"], "media": ["new media"], "q": ["informati?ation"]})
    t = make_tokens({"doc_id": "d", "pars": [[
        "laws/law new/new/ADJ media/medium informatisation informatization informatiation"]]})
    m = theme_matches(t, d)
    assert list(m["text"]) == ["laws", "new media", "informatisation", "informatization"]


def test_phrases_do_not_cross_sentences_and_hyphens_split():
    d = dic({"t": ["public opinion", "self-media"]})
    t = make_tokens({"doc_id": "d", "pars": [["it is public", "opinion matters", "self - media and self-media"]]})
    m = theme_matches(t, d)
    assert list(m["text"]) == ["self - media", "self-media"]


def test_language_keys_restrict_words():
    d = dic({"t": {"en": ["security"], "zh": ["安全"]}})
    t = make_tokens({"doc_id": "e", "pars": [["security 安全"]], "lang": "en"},
                    {"doc_id": "z", "pars": [["安全 security"]], "lang": "zh"})
    m = theme_matches(t, d)
    assert list(zip(m["doc_id"], m["text"])) == [("e", "security"), ("z", "安全")]


def test_chinese_entries_match_across_word_boundaries_on_word_edges():
    d = dic({"security": {"cyber": {"zh": ["网络安全"]}, "general": {"zh": ["安全"]}},
             "ideology": {"zh": ["意识形态", "话语权"]}})
    t = make_tokens({"doc_id": "z", "lang": "zh", "voice": "original", "pars": [[
        "没有 网络 安全 就 没有 国家 安全 。",      # 网络+安全 (two words) → cyber once; 安全 → general
        "意识 形态 工作 和 意识形态 领域",           # two-word and one-word 意识形态
        "安全性 很 重要 网络",                       # 安全 inside a word: no match
        "安全 话语 权",                              # 网络 | 安全 across sentences: no match
    ]]})
    m = theme_matches(t, d)
    assert list(zip(m["theme"], m["text"], m["n_words"])) == [
        ("security/cyber", "网络安全", 2), ("security/general", "安全", 1),
        ("ideology", "意识形态", 2), ("ideology", "意识形态", 1),
        ("security/general", "安全", 1), ("ideology", "话语权", 2)]


def test_patterns_compile_to_queries_of_the_query_language():
    assert entry_queries("secur*", "en") == ("lemma:secur*|secur*",)
    assert entry_queries("rule of law", "en") == ("lemma:rule|rule lemma:of|of lemma:law|law",)
    assert entry_queries("self-media", "en") == ("lemma:self-media|self-media",
                                                 "lemma:self|self lemma:-|- lemma:media|media")
    assert entry_queries("网络安全", "zh") == ("lemma:网络安全|网络安全", "网络安全")
    assert entry_queries("网络安全", "any")[-1] == "网络安全" and len(entry_queries("security", "en")) == 1
    assert entry_queries('a&b|c(d):"e"/f\\g', "en") == ('lemma:a\\&b\\|c\\(d\\)\\:\\"e\\"\\/f\\\\g|'
                                                     'a\\&b\\|c\\(d\\)\\:\\"e\\"\\/f\\\\g',)
    d = load_dictionary()
    assert all(e.queries for e in d.entries)


def test_glob_phrase_hyphen_and_chinese_run_counted_by_hand():
    d = dic({"glob": ["secur*"], "phrase": ["rule of law"], "hyphen": ["self-media"],
             "run": {"zh": ["网络安全"]}})
    t = make_tokens(
        {"doc_id": "e", "pars": [[
            "Security/security of self-media and self - media is securely/secure/ADV kept .",  # glob 2, hyphen 2
            "the rule of law , the rule",                      # phrase 1
            "of law insecure",                                 # "rule | of law" crosses a sentence; insecure: no
        ]]},
        {"doc_id": "z", "lang": "zh", "pars": [[
            "没有 网络 安全 就 没有 国家 安全 。",      # 网络 + 安全: one run of two words
            "网络安全 很 重要 网络",                    # one word 网络安全
            "安全 是 网络安全性",                       # 网络 | 安全 across sentences, 网络安全性 a longer word: no match
        ]]})
    counts = theme_rates(t, d, by=None).set_index("theme")["count"].to_dict()
    assert counts == {"glob": 2, "phrase": 1, "hyphen": 2, "run": 2}
    m = theme_matches(t, d)
    assert m.loc[m["theme"] == "hyphen", "text"].tolist() == ["self-media", "self - media"]
    assert m.loc[m["theme"] == "run", "n_words"].tolist() == [2, 1]


def _renamed(t: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``t`` with these forms (and lemmas) renamed: forms make_tokens' word specs cannot write."""
    t = t.copy()
    for col in ("form", "lemma"):
        t[col] = t[col].cat.rename_categories({k: v for k, v in names.items() if k in t[col].cat.categories})
    return t


def test_query_language_special_characters_in_patterns_are_literal():
    t = _renamed(make_tokens({"doc_id": "d", "pars": [["tcpip ab xory x y sayhi back"]]}),
                 {"tcpip": "tcp/ip", "ab": "a:b", "xory": "x|y", "sayhi": 'say"hi', "back": "back\\slash"})
    d = dic({"slash": ["tcp/ip"], "colon": ["a:b"], "bar": ["x|y"], "quote": ['say"hi'], "backslash": ["back\\slash"]})
    m = theme_matches(t, d)
    assert list(zip(m["theme"], m["text"])) == [("slash", "tcp/ip"), ("colon", "a:b"), ("bar", "x|y"),
                                                ("quote", 'say"hi'), ("backslash", "back\\slash")]


def test_language_entries_use_canonical_codes():
    d = dic({"t": {"zh": ["网络安全"], "en": ["security"]}})
    t = make_tokens({"doc_id": "z", "lang": "zh-hans", "pars": [["网络 安全 security"]]},
                    {"doc_id": "e", "lang": "EN", "pars": [["security 网络安全"]]})
    m = theme_matches(t, d)
    assert list(zip(m["doc_id"], m["text"])) == [("z", "网络安全"), ("e", "security")]


# --------------------------------------------------------------------------------------------
# Rates, confidence intervals, dispersion


@pytest.mark.parametrize("k", [0, 1, 2, 5, 10, 37])
def test_poisson_exact_ci_against_scipy_poisson(k):
    low, high = poisson_exact_ci(k)
    # Garwood limits: P(X >= k | low) = 0.025 and P(X <= k | high) = 0.025
    assert stats.poisson.cdf(k, float(high)) == pytest.approx(0.025, abs=1e-9)
    if k:
        assert stats.poisson.sf(k - 1, float(low)) == pytest.approx(0.025, abs=1e-9)
    else:
        assert low == 0


def test_poisson_exact_ci_published_values():
    # Table values of the exact 95% Poisson limits (e.g. Ulm 1990, Am J Epidemiol 131: 373):
    # k = 0: (0, 3.689); k = 1: (0.0253, 5.572); k = 10: (4.795, 18.390)
    low, high = poisson_exact_ci([0, 1, 10])
    assert np.round(high, 3).tolist() == [3.689, 5.572, 18.390]
    assert np.round(low, 4).tolist() == [0.0, 0.0253, 4.7954]


def _two_docs():
    return make_tokens(
        {"doc_id": "a", "date": "2014-08-19", "voice": "official",
         "pars": [["national security and cybersecurity .", "rule of law matters"]]},
        {"doc_id": "b", "date": "", "voice": "framing",
         "pars": [["security is the law .", "nothing else here at all"], ["more words with no theme ."]]},
    )


DIC2 = {"security": {"national": ["national security"], "cyber": ["cybersecurity"], "general": ["secur*"]},
        "law": ["rule of law", "law"], "none": ["zzz"]}


def test_theme_rates_counts_words_ci_and_dp_by_hand():
    t = _two_docs()
    r = theme_rates(t, dic(DIC2), by="doc_id")
    assert list(r.columns) == ["doc_id", "date", "theme", "count", "words", "per_1000", "per_1000_chars", "ci_low",
                               "ci_high", "doc_ci_low", "doc_ci_high", "n_docs", "dp", "dp_norm"]
    assert list(r["doc_id"]) == ["a"] * 3 + ["b"] * 3 and list(r["theme"]) == ["security", "law", "none"] * 2
    # words exclude punctuation: a = 4 + 4 = 8, b = 4 + 5 + 5 = 14
    assert r["words"].tolist() == [8] * 3 + [14] * 3
    assert r["count"].tolist() == [2, 1, 0, 1, 1, 0]
    sec_a = r.iloc[0]
    assert sec_a["per_1000"] == pytest.approx(2 / 8 * 1000)
    lo, hi = poisson_exact_ci(2)
    assert (sec_a["ci_low"], sec_a["ci_high"]) == pytest.approx((lo / 0.008, hi / 0.008))
    # DP (Gries 2008) of security over the two documents: v = (2/3, 1/3), s = (8/22, 14/22)
    assert sec_a["dp"] == pytest.approx(0.5 * (abs(2 / 3 - 8 / 22) + abs(1 / 3 - 14 / 22)))
    assert sec_a["dp_norm"] == pytest.approx(sec_a["dp"] / (1 - 8 / 22))
    assert math.isnan(r.iloc[2]["dp"])  # theme never occurs
    # one document per group: no document interval (the token-level one is all there is); English: no chars
    assert r["n_docs"].tolist() == [1] * 6
    assert r[["doc_ci_low", "doc_ci_high", "per_1000_chars"]].isna().all().all()


def test_theme_rates_by_month_voice_and_level():
    t = _two_docs()
    r = theme_rates(t, dic(DIC2), by=["month", "voice"], level=2)
    assert set(r["month"]) == {"2014-08", "unknown"}
    got = r[r["count"] > 0].set_index(["month", "theme"])["count"].to_dict()
    assert got == {("2014-08", "security/national"): 1, ("2014-08", "security/cyber"): 1,
                   ("2014-08", "law"): 1, ("unknown", "security/general"): 1, ("unknown", "law"): 1}
    whole = theme_rates(t, dic(DIC2), by=None)
    assert whole["words"].tolist() == [22, 22, 22] and whole["count"].tolist() == [3, 2, 0]
    with pytest.raises(QueryError, match="nope"):
        theme_rates(t, dic(DIC2), by="nope")


def _sourced():
    """_two_docs with a corpus's own column, ``source``, and no ``voice``."""
    t = _two_docs().drop(columns="voice")
    return t.assign(source=np.where(t["doc_id"].astype(str) == "a", "wire", "blog"))


def test_theme_rates_by_a_corpus_own_column():
    t = _sourced()
    r = theme_rates(t, dic(DIC2), by="source")
    assert list(r.columns[:2]) == ["source", "theme"] and "voice" not in r.columns
    got = r.set_index(["source", "theme"])[["count", "words"]].to_dict("index")
    assert got[("wire", "security")] == {"count": 2, "words": 8}
    assert got[("blog", "law")] == {"count": 1, "words": 14}
    assert r.set_index(["source", "theme"]).loc[("blog", "security"), "per_1000"] == pytest.approx(1000 / 14)
    two = theme_rates(t, dic(DIC2), by=["source", "doc_id"])
    assert list(two.columns[:3]) == ["source", "doc_id", "date"]
    e = theme_entries(t, dic(DIC2), by="source")
    assert e.loc[e["source"] == "blog", "entry"].tolist() == ["secur*", "law"]


def test_per_1000_denominator_is_is_word_per_group():
    # "%" is SYM, "," tagged PART and "--" tagged X are punctuation-only forms: none is a word
    t = make_tokens({"doc_id": "a", "voice": "official", "pars": [["law 5 %/%/SYM of ,/,/PART law --/--/X ."]]},
                    {"doc_id": "b", "voice": "framing", "pars": [["the law ; rules"]]})
    r = theme_rates(t, dic({"law": ["law"]}), by="voice")
    words = pd.Series(is_word(t)).groupby(t["voice"].astype(str).to_numpy()).sum()
    assert r["words"].tolist() == [words["official"], words["framing"]] == [4, 3]
    assert r["per_1000"].tolist() == pytest.approx([2 / 4 * 1000, 1 / 3 * 1000])


def test_filters_select_the_rows_measured():
    t = _two_docs()
    d = dic(DIC2)
    whole = theme_rates(t, d, by="doc_id")
    only_a = theme_rates(t, d, by="doc_id", voice="official")
    pd.testing.assert_frame_equal(only_a[["doc_id", "theme", "count", "words", "per_1000"]],
                                  whole[whole["doc_id"] == "a"][["doc_id", "theme", "count", "words", "per_1000"]])
    assert theme_rates(t, d, by=None, date=slice("2014-01-01", "2014-12-31"))["count"].tolist() == [2, 1, 0]
    assert theme_rates(t, d, by="voice", month="unknown")["voice"].unique().tolist() == ["framing"]
    assert theme_entries(t, d, voice=["framing"])["count"].sum() == 2
    assert theme_cooccurrence(t, d, doc_id="b")["n_units"].tolist() == [3, 3, 3]


def test_bad_arguments_are_parameter_errors_and_empty_selections_say_so():
    t = _two_docs()
    d = dic(DIC2)
    bad = [lambda: theme_rates(t, d, conf=1.5), lambda: theme_rates(t, d, conf=0), lambda: theme_rates(t, d, level=0),
           lambda: theme_rates(t, d, by="count"), lambda: theme_entries(t, d, top=0),
           lambda: theme_cooccurrence(t, d, within="page"), lambda: theme_hits(t, d, theme="law", window=-1),
           lambda: theme_hits(t, d, theme="law", unit="word"), lambda: theme_rates(t, ["law"]),
           lambda: poisson_exact_ci(1, conf=95)]
    for call in bad:
        with pytest.raises(ParameterError):
            call()
    for call in [lambda: theme_rates(t.iloc[:0], d), lambda: theme_rates(t, d, voice="nobody"),
                 lambda: theme_entries(t, d, voice="nobody"), lambda: theme_cooccurrence(t.iloc[:0], d),
                 lambda: theme_hits(t, d, theme="law", voice="nobody")]:
        with pytest.raises(EmptySelectionError):
            call()
    with pytest.raises(QueryError, match="nope"):
        theme_rates(t, d, nope="x")


# --------------------------------------------------------------------------------------------
# Document-level intervals and rates per character


def test_document_interval_two_documents_exact():
    # Two documents: a resample is {a, a} (1/4), {a, b} or {b, a} (1/2), {b, b} (1/4), so the pooled
    # rate is a's rate, the pooled rate or b's rate; the 2.5% and 97.5% quantiles are exactly the
    # smaller and the larger of the two documents' own rates (each has 25% of the mass).
    t = _two_docs()
    r = theme_rates(t, dic(DIC2), by=None).set_index("theme")
    assert r["n_docs"].tolist() == [2, 2, 2]
    # security: a 2 of 8 words, b 1 of 14; law: a 1 of 8, b 1 of 14; none: 0 and 0
    assert (r.loc["security", "doc_ci_low"], r.loc["security", "doc_ci_high"]) == pytest.approx((1000 / 14, 250.0))
    assert (r.loc["law", "doc_ci_low"], r.loc["law", "doc_ci_high"]) == pytest.approx((1000 / 14, 125.0))
    assert (r.loc["none", "doc_ci_low"], r.loc["none", "doc_ci_high"]) == (0.0, 0.0)
    # the token-level interval is unchanged: Garwood on the pooled count
    lo, hi = stats.chi2.ppf(0.025, 6) / 2, stats.chi2.ppf(0.975, 8) / 2
    assert (r.loc["security", "ci_low"], r.loc["security", "ci_high"]) == pytest.approx((lo / 0.022, hi / 0.022))


def _five_docs():
    """Five official documents with unequal theme counts and sizes, one framing document."""
    pars = {"d1": ["law law law x x x x x ."], "d2": ["law y y y y y y y y y y y ."],
            "d3": ["z z z z z ."], "d4": ["law law w w w w w w w w w w w w w w w w w w ."],
            "d5": ["law law law law law law v v v v v v v v ."], "f1": ["law u u u ."]}
    return make_tokens(*({"doc_id": d, "voice": "framing" if d == "f1" else "official", "pars": [p]}
                         for d, p in pars.items()))


def test_document_interval_matches_a_naive_resampling_loop():
    t = _five_docs()
    r = theme_rates(t, dic({"law": ["law"]}), by="voice", n_boot=4000, seed=3).set_index("voice")
    # independent computation: draw 5 of the 5 documents with replacement, pool, take percentiles
    counts = np.array([3, 1, 0, 2, 6])
    words = np.array([8, 12, 5, 20, 14])
    rng = np.random.default_rng(12345)
    rates = []
    for _ in range(20000):
        take = rng.integers(0, 5, 5)
        rates.append(1000 * counts[take].sum() / words[take].sum())
    naive_lo, naive_hi = np.percentile(rates, [2.5, 97.5])
    row = r.loc["official"]
    assert row["n_docs"] == 5 and row["count"] == 12 and row["words"] == 59
    spread = naive_hi - naive_lo
    assert abs(row["doc_ci_low"] - naive_lo) < 0.06 * spread
    assert abs(row["doc_ci_high"] - naive_hi) < 0.06 * spread
    assert row["doc_ci_low"] < row["per_1000"] < row["doc_ci_high"]
    # the framing group is one document: nan
    assert r.loc["framing", "n_docs"] == 1 and math.isnan(r.loc["framing", "doc_ci_low"])


def test_document_interval_is_seeded_and_validated():
    t = _five_docs()
    d = dic({"law": ["law"]})
    first = theme_rates(t, d, by="voice")
    pd.testing.assert_frame_equal(first, theme_rates(t, d, by="voice"))  # default seed=0: the same table
    pd.testing.assert_frame_equal(first, theme_rates(t, d, by="voice", seed=0, n_boot=2000))
    other = theme_rates(t, d, by="voice", seed=1)
    assert other["doc_ci_high"].iloc[0] != first["doc_ci_high"].iloc[0]
    assert first.attrs["conf"] == 0.95 and first.attrs["n_boot"] == 2000 and first.attrs["seed"] == 0
    for bad in (dict(n_boot=10), dict(n_boot=2.5), dict(seed=-1), dict(seed="0"), dict(n_boot=True)):
        with pytest.raises(ParameterError):
            theme_rates(t, d, by="voice", **bad)


def test_document_clusters_are_the_documents_inside_each_group():
    # by="month": a month's documents are its clusters; a document split over two groups counts once in each
    t = _five_docs()
    t["half"] = np.where(t["doc_id"].astype(str).isin(["d1", "d2"]), "early", "late")
    r = theme_rates(t, dic({"law": ["law"]}), by="half").set_index("half")
    assert r.loc["early", "n_docs"] == 2 and r.loc["late", "n_docs"] == 4
    # two documents, d1 3/8 and d2 1/12: the exact two-document interval
    assert (r.loc["early", "doc_ci_low"], r.loc["early", "doc_ci_high"]) == pytest.approx((1000 / 12, 375.0))


def test_per_1000_chars_by_hand_on_a_chinese_table():
    zh = make_tokens(
        {"doc_id": "z1", "lang": "zh", "voice": "original",
         "pars": [["网络/网络 安全/安全 是/是/AUX 国家/国家 安全/安全 。", "APP/app 应用/应用 5G/5g 。"]]},
        {"doc_id": "z2", "lang": "zh", "voice": "original", "pars": [["信息化/信息化 安全/安全 ！"]]},
        {"doc_id": "e1", "lang": "en", "voice": "official", "pars": [["national security matters ."]]},
    )
    d = dic({"security": {"zh": ["安全"], "en": ["secur*"]}})
    r = theme_rates(zh, d, by="doc_id").set_index("doc_id")
    # z1: words 网络 安全 是 国家 安全 APP 应用 5G = 8 (punctuation excluded); Han characters of those
    # words: 2+2+1+2+2+0+2+0 = 11 (Latin letters and digits are not the script's characters)
    assert r.loc["z1", "count"] == 2 and r.loc["z1", "words"] == 8
    assert r.loc["z1", "per_1000"] == pytest.approx(2000 / 8)
    assert r.loc["z1", "per_1000_chars"] == pytest.approx(2000 / 11)
    # z2: 信息化 安全 = 2 words, 5 characters
    assert r.loc["z2", "per_1000_chars"] == pytest.approx(1000 / 5)
    # English: words are the unit, no per-character rate
    assert r.loc["e1", "per_1000"] == pytest.approx(1000 / 3) and math.isnan(r.loc["e1", "per_1000_chars"])
    by_lang = theme_rates(zh, d, by="lang").set_index("lang")
    assert by_lang.loc["zh", "per_1000_chars"] == pytest.approx(3000 / 16)  # 3 hits in 11 + 5 characters
    # a group mixing a spaced language has no per-character rate
    assert math.isnan(theme_rates(zh, d, by=None)["per_1000_chars"].iloc[0])


# --------------------------------------------------------------------------------------------
# Co-occurrence, entries, hits


def test_theme_cooccurrence_by_hand():
    d = dic({"a": ["alpha"], "b": ["beta"]})
    t = make_tokens({"doc_id": "d", "pars": [["alpha and beta", "alpha only", "beta only", "neither", "none ."],
                                            [". ."]]})  # a punctuation-only sentence is not a unit
    c = theme_cooccurrence(t, d).iloc[0]
    assert (c["n_a"], c["n_b"], c["n_ab"], c["n_units"]) == (2, 2, 1, 5)
    # 2x2 table: n11 = 1, n12 = 1, n21 = 1, n22 = 2; Haldane–Anscombe +0.5
    assert c["log_odds_ratio"] == pytest.approx(math.log((1.5 * 2.5) / (1.5 * 1.5)))
    assert c["se_log_odds"] == pytest.approx(math.sqrt(1 / 1.5 + 1 / 1.5 + 1 / 1.5 + 1 / 2.5))
    assert c["pmi"] == pytest.approx(math.log2(1 * 5 / (2 * 2)))
    assert c["jaccard"] == pytest.approx(1 / 3)
    para = theme_cooccurrence(t, d, within="paragraph").iloc[0]
    assert (para["n_ab"], para["n_units"]) == (1, 1)


def test_theme_entries_shares():
    d = dic({"security": {"national": ["national security"], "general": ["secur*", "safe*"]}})
    t = make_tokens({"doc_id": "d", "pars": [["national security , security , secure , safety"]]})
    e = theme_entries(t, d)
    assert list(zip(e["subtheme"], e["entry"], e["count"])) == [
        ("security/general", "secur*", 2), ("security/general", "safe*", 1), ("security/national", "national security", 1)]
    assert e["share"].tolist() == pytest.approx([0.5, 0.25, 0.25])


def test_theme_hits_drill_down_matches_cell_counts():
    t = _two_docs()
    d = dic(DIC2)
    rates = theme_rates(t, d, by="voice").set_index(["voice", "theme"])["count"]
    hits = theme_hits(t, d, theme="security", voice="official", window=2)
    assert len(hits) == rates[("official", "security")] == 2
    assert list(hits["match"]) == ["national security", "cybersecurity"]
    assert list(hits["right"]) == ["and cybersecurity", ". rule"]  # context may cross sentences
    assert list(hits["left"]) == ["", "security and"]
    law = theme_hits(t, d, theme="law", doc_id="b", window=20)
    assert law.loc[0, "right"] == ". nothing else here at all"  # ... but not paragraphs
    assert law.loc[0, "left"] == "security is the"
    assert len(theme_hits(t, d, theme="security/general", month="unknown")) == 1
    with pytest.raises(ParameterError, match="unknown theme"):
        theme_hits(t, d, theme="sekurity")


def test_chinese_hits_join_without_spaces():
    d = dic({"security": {"zh": ["网络安全"]}})
    t = make_tokens({"doc_id": "z", "lang": "zh", "pars": [["没有 网络 安全 就 没有"]]})
    h = theme_hits(t, d, theme="security")
    assert (h.loc[0, "left"], h.loc[0, "match"], h.loc[0, "right"]) == ("没有", "网络安全", "就没有")


def test_theme_hits_contexts_come_from_the_shared_concordance_builder():
    t = _two_docs()
    d = dic(DIC2)
    cols = ["doc_id", "par", "sent", "position", "left", "match", "right"]
    hits = theme_hits(t, d, theme="security/cyber", window=3)
    k = analysis.kwic(t, "lemma:cybersecurity|cybersecurity", window=3)
    pd.testing.assert_frame_equal(hits[cols], k.to_frame()[cols])
    for kw in ({"window": (1, 4), "within": "sentence"}, {"window": 6, "unit": "char"}):
        m = theme_matches(t, d)
        m = m[m["theme"].str.startswith("security")]
        pd.testing.assert_frame_equal(theme_hits(t, d, theme="security", **kw)[cols],
                                      concordance(t, m["start"], m["end"], **kw)[cols])
    assert list(hits.columns[:9]) == cols + ["theme", "entry"] and "voice" in hits.columns


# --------------------------------------------------------------------------------------------
# CLI


@pytest.fixture
def cli_tokens(monkeypatch):

    t = _two_docs()
    monkeypatch.setattr(cli_common, "load_tokens_from_args", lambda args: t)
    return t


def test_cli_themes_by_voice_prints_rates(cli_tokens, tmp_path, capsys):
    import json

    from analysis.cli import main

    f = tmp_path / "d.yml"
    save_dictionary(dic(DIC2), f)
    assert main(["themes", "--by", "voice", "--dictionary", str(f), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    got = {(r["voice"], r["theme"]): r["count"] for r in rows}
    assert got[("official", "security")] == 2 and got[("framing", "law")] == 1
    assert all("per_1000" in r for r in rows)
    assert main(["themes", "--dictionary", str(f), "--show", "hits", "--theme", "law",
                 "--where", "voice=framing", "--window", "1,2", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("doc_id,par,sent,position,left,match,right,theme,entry") and len(out) == 2
    assert ",the,law,. nothing,law,law," in out[1]


def test_cli_themes_where_level_conf_within_and_top(cli_tokens, tmp_path, capsys):
    import json

    from analysis.cli import main

    f = tmp_path / "d.yml"
    save_dictionary(dic(DIC2), f)
    assert main(["themes", "--dictionary", str(f), "--by", "voice", "--where", "voice=official", "--level", "2",
                 "--conf", "0.9", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["voice"] for r in rows} == {"official"}
    expected = theme_rates(cli_tokens, dic(DIC2), by="voice", level=2, conf=0.9, voice="official")
    assert [r["ci_high"] for r in rows] == pytest.approx(expected["ci_high"].tolist())
    assert main(["themes", "--dictionary", str(f), "--show", "cooccurrence", "--within", "document",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["n_units"] == 2
    assert main(["themes", "--dictionary", str(f), "--show", "entries", "--top", "1", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    # ties (one match each) in sub-theme, then entry order
    assert [(r["theme"], r["entry"]) for r in rows] == [("security", "cybersecurity"), ("law", "law")]


def test_cli_themes_prints_document_intervals_with_n_boot_and_seed(cli_tokens, tmp_path, capsys):
    import json

    from analysis.cli import main

    f = tmp_path / "d.yml"
    save_dictionary(dic(DIC2), f)
    assert main(["themes", "--dictionary", str(f), "--by", "lang", "--n-boot", "500", "--seed", "7",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = theme_rates(cli_tokens, dic(DIC2), by="lang", n_boot=500, seed=7)
    assert [r["doc_ci_high"] for r in rows] == pytest.approx(expected["doc_ci_high"].tolist())
    assert [r["n_docs"] for r in rows] == [2, 2, 2]
    assert main(["themes", "--dictionary", str(f), "--by", "voice"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert {"ci_low", "ci_high", "doc_ci_low", "doc_ci_high", "n_docs"} <= set(header)
    # n_boot below the bootstrap's minimum: one line on stderr, status 2
    assert main(["themes", "--dictionary", str(f), "--n-boot", "50"]) == 2
    assert "n_boot" in capsys.readouterr().err


@pytest.mark.parametrize("option,bad", [("--level", "0"), ("--conf", "1.5"), ("--window", "-1"), ("--top", "0"),
                                        ("--n-boot", "0"), ("--n-boot", "x"), ("--seed", "-1")])
def test_cli_themes_numeric_options_are_validated(option, bad, capsys):
    from analysis.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["themes", option, bad])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and option in err


def test_cli_themes_reports_malformed_dictionary(tmp_path, capsys):
    from analysis.cli import main

    f = tmp_path / "bad.yml"
    f.write_text("security:\n  cyber: cybersecurity\n", encoding="utf-8")
    assert main(["themes", "--dictionary", str(f), "--show", "dictionary"]) == 2
    err = capsys.readouterr().err
    assert "security/cyber" in err and "line 2" in err


# --------------------------------------------------------------------------------------------
# Plots (draw what theme_rates returned)


def _legend(ax) -> list[str]:
    """The legend's entries (the blank ones that only pad a column left out)."""
    return [tl.get_text() for tl in ax.get_legend().get_texts() if tl.get_text()]


def test_theme_plots_draw_rates_and_cis():
    import matplotlib.pyplot as plt

    from analysis import plot_theme_heatmap, plot_theme_rates

    t = _two_docs()
    by_doc = theme_rates(t, dic(DIC2), by="doc_id")
    fig = plot_theme_heatmap(by_doc, labels={"a": "2014-08-19 a"})
    ax = fig.axes[0]
    img = ax.get_images()[0].get_array()
    assert img.shape == (2, 3)
    assert img[0, 0] == pytest.approx(by_doc.iloc[0]["per_1000"])
    assert [tl.get_text() for tl in ax.get_yticklabels()] == ["2014-08-19 a", "b"]
    assert len(ax.texts) == 6
    plt.close(fig)
    fig = plot_theme_heatmap(by_doc, show_values=False)
    assert not fig.axes[0].texts
    plt.close(fig)
    by_voice = theme_rates(t, dic(DIC2), by="voice")
    fig = plot_theme_rates(by_voice, groups=["official", "framing"])
    ax = fig.axes[0]
    # one document per voice: no document band, and the legend names only the interval drawn
    assert _legend(ax) == ["official", "framing", "95% CI over words (exact Poisson)"]
    assert not [c for c in ax.collections if c.get_label().startswith("_doc_ci")]
    # the first error bar spans the CI of official/security
    row = by_voice[(by_voice["voice"] == "official") & (by_voice["theme"] == "security")].iloc[0]
    segs = ax.containers[0].lines[2][0].get_segments()
    assert segs[0][0][0] == pytest.approx(row["ci_low"]) and segs[0][1][0] == pytest.approx(row["ci_high"])
    plt.close(fig)
    with pytest.raises(QueryError, match="voice"):
        plot_theme_rates(by_doc)
    with pytest.raises(ParameterError, match="nobody"):
        plot_theme_rates(by_voice, groups=["nobody"])
    with pytest.raises(EmptySelectionError):
        plot_theme_rates(by_voice.iloc[:0])


def test_plot_theme_rates_draws_both_intervals_told_apart():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba

    from analysis import plot_theme_rates

    t = _five_docs()
    rates = theme_rates(t, dic({"law": ["law"], "zzz": ["zzz"]}), by="voice")
    fig = plot_theme_rates(rates, groups=["official", "framing"])
    ax = fig.axes[0]
    assert _legend(ax) == ["official", "framing", "95% CI over words (exact Poisson)",
                           "95% CI over documents (bootstrap)"]
    bands = [c for c in ax.collections if c.get_label().startswith("_doc_ci")]
    assert len(bands) == 1  # official only: the framing voice is one document (nan)
    row = rates[(rates["voice"] == "official") & (rates["theme"] == "law")].iloc[0]
    seg = bands[0].get_segments()[0]
    assert (seg[0][0], seg[1][0]) == pytest.approx((row["doc_ci_low"], row["doc_ci_high"]))
    # the band is thick and translucent, the token-level interval thin: the two marks differ
    assert bands[0].get_linewidth()[0] > 3 * ax.containers[0].lines[2][0].get_linewidth()[0]
    assert bands[0].get_alpha() < 1
    assert tuple(bands[0].get_color()[0][:3]) == pytest.approx(to_rgba("#0072B2")[:3])  # the voice's colour
    plt.close(fig)
    # a table without document intervals (e.g. an older CSV) draws the token-level interval only
    fig = plot_theme_rates(rates.drop(columns=["doc_ci_low", "doc_ci_high"]), groups=["official"])
    assert _legend(fig.axes[0]) == ["official", "95% CI over words (exact Poisson)"]
    plt.close(fig)


def test_theme_plots_group_by_any_column_and_by_several():
    import matplotlib.pyplot as plt

    from analysis import plot_theme_heatmap, plot_theme_rates

    t = _sourced()
    by_source = theme_rates(t, dic(DIC2), by="source")
    fig = plot_theme_rates(by_source, by="source")
    assert _legend(fig.axes[0])[:2] == ["wire", "blog"]
    plt.close(fig)
    fig = plot_theme_heatmap(by_source, by="source")
    assert [tl.get_text() for tl in fig.axes[0].get_yticklabels()] == ["wire", "blog"]
    plt.close(fig)
    both = theme_rates(t, dic(DIC2), by=["source", "doc_id"])
    fig = plot_theme_heatmap(both, by=["source", "doc_id"])
    assert [tl.get_text() for tl in fig.axes[0].get_yticklabels()] == ["wire / a", "blog / b"]
    plt.close(fig)
    fig = plot_theme_rates(both, by=["source", "doc_id"], groups=[("blog", "b")])
    assert _legend(fig.axes[0])[:1] == ["blog / b"]
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# The seed corpus

# Entries checked against independent counts: a regex on the paragraph texts the Tokens were
# parsed from. Each entry is its own top-level theme so that no longer entry takes its words.
SEED_ENTRIES = {
    "cybersecurity": ("en", "cybersecurity", r"\bcybersecurity\b"),
    "ideolog": ("en", "ideolog*", r"\bideolog\w*"),
    "converg": ("en", "converg*", r"\bconverg\w*"),
    "yishixingtai": ("zh", "意识形态", "意识形态"),
    "huayuquan": ("zh", "话语权", "话语权"),
    "xinxihua": ("zh", "信息化", "信息化"),
}


def test_seed_entry_counts_equal_independent_regex_counts(seed_corpus, seed_tokens):
    tokens = seed_tokens
    pars = seed_corpus.paragraphs
    parsed = set(zip(tokens["doc_id"].astype(str), tokens["par"].astype(int)))
    pars = pars[[(d, int(p)) in parsed for d, p in zip(pars["doc_id"], pars["par"])]]
    d = dic({name: {lang: [pattern]} for name, (lang, pattern, _) in SEED_ENTRIES.items()})
    got = theme_matches(tokens, d).groupby("theme").size()
    for name, (lang, _, rx) in SEED_ENTRIES.items():
        text = "\n".join(pars.loc[pars["lang"] == lang, "text"])
        expected = len(re.findall(rx, text, flags=re.IGNORECASE))
        # English globs see lemma or form: a form that starts with the stem always matches, and
        # the lemmatiser's stems (converged → "converg") start with it too, so lemmatisation
        # adds nothing here; hyphenated compounds are split by the tokenizer (ideological-political
        # → ideological - political) and still counted once, like the regex. Chinese entries
        # match across the GSD word boundaries (意识 + 形态, 话语 + 权, 信息 + 化); a count
        # below the regex would mean a segmentation that cuts through the term.
        assert int(got.get(name, 0)) == expected, name
        assert expected > 0, name


def test_seed_shipped_dictionary_covers_every_theme_in_both_languages(seed_tokens):
    tokens = seed_tokens
    d = load_dictionary()
    lvl1 = theme_rates(tokens, d, by="lang")
    lvl2 = theme_rates(tokens, d, by="lang", level=2)
    for lang in ("en", "zh"):
        counts = lvl1[lvl1["lang"] == lang].set_index("theme")["count"]
        assert (counts > 0).all(), counts[counts == 0]
    # sub-theme counts partition their top-level theme's count (one match per word and theme)
    summed = (lvl2.assign(top=lvl2["theme"].str.split("/").str[0]).groupby(["lang", "top"])["count"].sum())
    assert summed.to_dict() == lvl1.set_index(["lang", "theme"])["count"].to_dict()


def test_seed_official_ideology_interval_over_documents(seed_tokens):
    # The numbers: the official ideology rate (English) is 12.75 per 1,000 words; over words
    # (Garwood) [11.2, 14.4], over documents roughly [4.0, 29]: one post carries most of the theme.
    d = load_dictionary()
    r = theme_rates(seed_tokens, d, by="voice", lang="en", voice=["official", "framing"]).set_index(["voice", "theme"])
    row = r.loc[("official", "ideology")]
    assert row["count"] == 248 and row["n_docs"] == 17
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((11.21, 14.44), abs=0.01)
    assert (row["doc_ci_low"], row["doc_ci_high"]) == pytest.approx((4.05, 29.29), abs=0.01)
    # independent computation: per-document ideology matches (theme_matches, counted in pandas) and
    # words (is_word), resampled in a plain loop
    en = seed_tokens[(seed_tokens["lang"] == "en") & (seed_tokens["voice"] == "official")].reset_index(drop=True)
    m = theme_matches(en, d)
    hits = m[m["theme"].str.split("/").str[0] == "ideology"].groupby("doc_id").size()
    words = pd.Series(is_word(en)).groupby(en["doc_id"].astype(str).to_numpy()).sum()
    counts = hits.reindex(words.index, fill_value=0).to_numpy()
    sizes = words.to_numpy()
    assert counts.sum() == 248 and len(sizes) == 17
    rng = np.random.default_rng(2024)
    rates = []
    for _ in range(50000):
        take = rng.integers(0, len(sizes), len(sizes))
        rates.append(1000 * counts[take].sum() / sizes[take].sum())
    lo, hi = np.percentile(rates, [2.5, 97.5])  # ≈ [3.96, 28.55]
    # Monte Carlo error of the package's 2000 resamples (sd over seeds): ≈ 0.07 low, ≈ 0.5 high; allow 4 sd
    assert abs(row["doc_ci_low"] - lo) < 0.3 and abs(row["doc_ci_high"] - hi) < 2.0


# --------------------------------------------------------------------------------------------
# One pass over the dictionary equals one match per entry


def _entry_by_entry(t: pd.DataFrame, d: Dictionary):
    """The matches and the counting rule, one entry (one match call per query) and one candidate at a time."""
    from analysis._core import match
    from analysis.languages import canonical

    lang = np.asarray([canonical(str(x)) for x in t["lang"].astype(str)], dtype=object)
    by_top: dict[str, list] = {}
    for k, entry in enumerate(d.entries):
        found = [match(t, q, within="sentence") for q in entry.queries]
        spans = {(s, e) for st, en in found for s, e in zip(st.tolist(), en.tolist())
                 if entry.lang == "any" or all(lang[s:e] == entry.lang)}
        by_top.setdefault(entry.top, []).extend((s, e, k) for s, e in sorted(spans))
    kept = []
    for cands in by_top.values():
        cands.sort(key=lambda c: (-(c[1] - c[0]), c[0], c[2]))
        taken = set()
        for s, e, k in cands:
            if not taken & set(range(s, e)):
                taken |= set(range(s, e))
                kept.append((s, e, k))
    kept.sort(key=lambda c: (c[0], d.entries[c[2]].top, c[1]))
    return kept


def test_batch_matching_equals_entry_by_entry():
    """All entries matched together (analysis.query.match_many) and overlaps resolved with arrays give
    the matches of one entry at a time and the walk through the candidates, on a mixed hand-built corpus."""
    from analysis.themes import _matches

    d = dic({"security": {"national": ["national security"], "general": ["secur*", "security"],
                          "cyber": {"zh": ["网络安全"], "en": ["cyber*", "cyber security"]}},
             "ideology": {"opinion": ["public opinion", "opinion"], "guidance": ["public opinion guidance"],
                          "chinese": {"zh": ["意识形态", "舆论"]}},
             "media": ["self-media", "new media", "media"], "any": {"any": ["安全", "a b", "b c", "b"]}})
    t = make_tokens(
        {"doc_id": "e1", "pars": [[
            "National/national/ADJ security and cyber security . public opinion guidance work .",
            "security security/securities secure/secure/ADJ public opinion opinion",
            "self - media and self-media new/new/ADJ media media a b c b a b b c"]]},
        {"doc_id": "z1", "lang": "zh", "voice": "original", "pars": [[
            "没有 网络 安全 就 没有 国家 安全 。", "意识 形态 工作 和 意识形态 领域 舆论 security",
            "安全性 网络安全 a b c"]]},
        {"doc_id": "e2", "voice": "framing", "pars": [["b b b a b c c b", "cyber cyberspace security"]]})
    starts, ends, ks = _matches(t, d)
    assert list(zip(starts.tolist(), ends.tolist(), ks.tolist())) == _entry_by_entry(t, d)
    assert len(starts) > 20


def test_overlap_resolution_equals_the_greedy_walk():
    """The counting rule with arrays against the walk (longest, leftmost, dictionary order) on random spans."""
    from analysis.themes import _resolve_overlaps

    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        m = int(rng.integers(0, 30))
        starts = rng.integers(0, n, m)
        ends = np.minimum(starts + rng.integers(1, 5, m), n)
        ks = rng.integers(0, 6, m)
        cands = sorted(range(m), key=lambda i: (-(ends[i] - starts[i]), starts[i], ks[i]))
        taken, expected = set(), np.zeros(m, dtype=bool)
        for i in cands:
            words = set(range(starts[i], ends[i]))
            if not taken & words:
                taken |= words
                expected[i] = True
        assert _resolve_overlaps(starts, ends, ks, n).tolist() == expected.tolist()
