"""The seed corpus: what a reader can check by eye against the raw text."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

import analysis
from analysis import Corpus, CorpusError
from analysis.corpus import count_words
from analysis.errors import ChecksumError, ManifestError
from analysis.manifest import build_corpus

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "corpus"
RAW = CORPUS_DIR / "raw" / "china-copyright-and-media-2014.txt"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return analysis.load_corpus(CORPUS_DIR)


@pytest.fixture(scope="module")
def raw_text() -> str:
    return RAW.read_text(encoding="utf-8")


def test_raw_text_is_the_seed_verbatim():
    manifest = yaml.safe_load((CORPUS_DIR / "manifest.yaml").read_text(encoding="utf-8"))
    assert hashlib.sha256(RAW.read_bytes()).hexdigest() == manifest["source"]["sha256"]
    shared = ROOT.parent / "shared" / "seed" / "000_769520b3e9007bba.txt"
    if shared.is_file():  # beside the clone on the project's machines
        assert shared.read_bytes() == RAW.read_bytes()


def test_number_of_posts_and_documents(corpus):
    docs = corpus.documents
    assert len(docs[docs.lang == "en"]) == 19  # blog posts, newest first
    assert len(docs[docs.lang == "zh"]) == 4  # Chinese originals
    assert docs.doc_id.iloc[0] == "media-convergence-plan"
    assert docs.doc_id.iloc[-1] == "privilege-of-speech-paper"


def test_every_nonblank_character_lands_in_exactly_one_paragraph(corpus, raw_text):
    covered = [0] * len(raw_text)
    for p in corpus.paragraphs.itertuples():
        assert raw_text[p.start:p.end] == p.text
        for i in range(p.start, p.end):
            covered[i] += 1
    assert max(covered) == 1
    for i, ch in enumerate(raw_text):
        if not ch.isspace():
            assert covered[i] == 1, f"character {i} ({ch!r}) is in no paragraph"


def test_every_nonblank_line_is_a_paragraph(corpus, raw_text):
    lines = raw_text.split("\n")
    nonblank = {n for n, line in enumerate(lines, 1) if line.strip()}  # str.strip() removes U+00A0 too
    assert set(corpus.paragraphs.line) == nonblank
    assert 199 not in nonblank and lines[198] == "\u00a0"  # a line holding only a non-breaking space


def test_titles_with_non_breaking_space_are_normalised(corpus):
    title = corpus["wang-xiujun-cybersecurity-interview"].title
    assert title == "SIIO Vice-Director Wang Xiujun: Cybersecurity Is a Major Strategic Question"
    assert "\u00a0" in corpus["wang-xiujun-cybersecurity-interview"].paragraphs[0].text  # text stays verbatim


@pytest.mark.parametrize("doc_id, line, voice", [
    ("media-convergence-plan", 1, "framing"),      # the blogger's own headline
    ("media-convergence-plan", 5, "official"),     # Xinhua's summary of the Opinions
    ("media-convergence-plan", 13, "framing"),     # "Media convergence – the ability to access ..."
    ("media-convergence-plan", 21, "official"),    # quoted People's Daily editorial
    ("telling-chinas-story-guo-ping", 41, "framing"),  # "This article was originally published ..."
    ("telling-chinas-story-guo-ping", 43, "official"),  # byline "Guo Ping"
    ("new-online-media-ren-xianliang", 181, "official"),  # "(The author is the Vice-Director ...)"
    ("us-indictment-response", 302, "framing"),    # "Soon after ... (My translations):"
    ("us-indictment-response", 304, "official"),   # heading of the MoD statement
    ("us-indictment-response", 334, "framing"),    # "Personally, I believe ..."
    ("us-indictment-response", 340, "reference"),  # NY Times link
    ("peoples-daily-internet-governance", 368, "framing"),  # translator's note
    ("miit-zhang-feng-cybersecurity-zh", 242, "original"),
    ("leading-group-names-documents", 514, "framing"),  # the blogger's sub-heading
    ("leading-group-names-documents", 538, "official"),  # "without cybersecurity, there is no national security"
])
def test_voice_of_verified_paragraphs(corpus, doc_id, line, voice):
    pars = [p for p in corpus[doc_id].paragraphs if p.line == line]
    assert pars and pars[0].voice == voice


def test_truncated_posts_end_with_a_reference_link(corpus):
    docs = corpus.documents.set_index("doc_id")
    truncated = sorted(docs.index[docs.truncated])
    assert truncated == sorted([
        "embracing-convergence-li-haoran", "telling-chinas-story-guo-ping", "siio-instant-messaging-regulations",
        "cadre-education-ideals-notice", "online-ideological-security-li-dianren", "copyright-law-revision-draft",
        "liu-qibao-media-convergence", "cai-wu-cultural-reform",
    ])
    for doc_id in truncated:
        last = corpus[doc_id].paragraphs[-1]
        assert (last.text, last.voice) == ("Continue reading", "reference")
        assert not corpus[doc_id].paragraphs[-2].text.endswith("Continue reading")
    for doc_id in docs.index[~docs.truncated]:
        assert all(p.text != "Continue reading" for p in corpus[doc_id].paragraphs)


def test_four_chinese_originals_are_aligned_with_their_translations(corpus):
    docs = corpus.documents.set_index("doc_id")
    pairs = {en: zh for en, zh in docs.translation_of.items() if zh}
    assert pairs == {
        "miit-zhang-feng-cybersecurity": "miit-zhang-feng-cybersecurity-zh",
        "peoples-daily-internet-governance": "peoples-daily-internet-governance-zh",
        "liu-qibao-cultural-reform": "liu-qibao-cultural-reform-zh",
        "ideology-work-qiushi": "ideology-work-qiushi-zh",
    }
    for zh in pairs.values():
        assert docs.loc[zh, "lang"] == "zh" and docs.loc[zh, "kind"] == "original"
        assert {p.voice for p in corpus[zh].paragraphs} == {"original"}
    align = corpus.alignment
    assert align.groupby("en_doc").size().to_dict() == {
        "miit-zhang-feng-cybersecurity": 15, "peoples-daily-internet-governance": 10,
        "liu-qibao-cultural-reform": 11, "ideology-work-qiushi": 20,
    }
    row = align[(align.en_doc == "ideology-work-qiushi") & (align.en_text.str.startswith("Winning the power"))].iloc[0]
    assert row.zh_text == "以话语权赢得主动权"
    row = align[align.en_text == "Thank you all!"].iloc[0]
    assert row.zh_text == "谢谢大家!"
    # zh characters per English character stay near the corpus-wide ratio (≈ 0.22) for body paragraphs
    body = align[align.en_text.str.len() > 200]
    ratio = body.zh_text.str.len() / body.en_text.str.len()
    assert ratio.between(0.12, 0.35).all()


@pytest.mark.parametrize("doc_id, date, outlet", [
    ("media-convergence-plan", "2014-08-18", "Xinhua; People's Daily"),
    ("telling-chinas-story-guo-ping", "2014-08-19", "People's Daily"),
    ("embracing-convergence-li-haoran", "", "People's Daily"),
    ("new-online-media-ren-xianliang", "2014-06-09", "Red Flag Manuscripts"),
    ("peoples-daily-internet-governance", "2014-04-28", "People's Daily"),
    ("liu-qibao-cultural-reform", "2014-03-28", "Xinhua"),
    ("ideology-work-qiushi", "2014-04-01", "Qiushi"),
    ("cai-wu-cultural-reform", "2014-01-16", "Qiushi"),
])
def test_dates_and_outlets(corpus, doc_id, date, outlet):
    doc = corpus[doc_id]
    assert (doc.date, doc.outlet) == (date, outlet)
    if date:
        day = str(int(date[-2:]))
        assert day in doc.date_phrase  # the phrase the date came from says the day


def test_kind_agrees_with_voices(corpus):
    for doc in corpus:
        words = {v: 0 for v in ("framing", "official", "original")}
        for p in doc.paragraphs:
            if p.voice in words:
                words[p.voice] += count_words(p.text)[0]
        if doc.kind == "commentary":
            assert words["official"] == 0
        elif doc.kind == "translation":
            assert words["official"] > 0 and words["framing"] < 0.4 * (words["framing"] + words["official"])
        elif doc.kind == "mixed":
            share = words["framing"] / (words["framing"] + words["official"])
            assert 0.2 < share < 0.8
        else:
            assert doc.kind == "original" and doc.lang == "zh"


def test_corpus_size_matches_the_design(corpus):
    summary = corpus.summary().set_index("doc_id")
    assert 22_000 < summary.loc["TOTAL", "words"] < 24_000  # "~23,000 English words"
    zh = summary[summary.lang == "zh"]
    assert 8_000 < zh.han.sum() < 9_000  # "~8,500 Chinese characters"


def test_count_words():
    assert count_words("We must persist in the rule of law, 2014.") == (9, 0)
    assert count_words("网络安全 and 信息化") == (1, 7)


def test_subset_returns_new_corpus(corpus):
    official = corpus.subset(voice="official", lang="en")
    assert {p for p in official.paragraphs.voice} == {"official"}
    assert "privilege-of-speech-paper" not in official  # no official paragraphs
    assert len(corpus.paragraphs) == 296  # the original is unchanged
    assert len(corpus.subset(doc_id=["ideology-work-qiushi", "ideology-work-qiushi-zh"])) == 2
    with pytest.raises(CorpusError, match="unknown metadata field 'colour'"):
        corpus.subset(colour="red")


def test_documents_jsonl_is_current_and_deterministic(corpus):
    committed = (CORPUS_DIR / "documents.jsonl").read_text(encoding="utf-8")
    assert committed == build_corpus(CORPUS_DIR).to_jsonl() == corpus.to_jsonl()
    rec = json.loads(committed.splitlines()[0])
    assert rec["doc_id"] == "media-convergence-plan" and rec["paragraphs"][0]["voice"] == "framing"


def test_jsonl_round_trip(corpus, tmp_path):
    corpus.save(tmp_path / "documents.jsonl")
    again = analysis.load_corpus(tmp_path)
    assert again.to_jsonl() == corpus.to_jsonl()
    assert again.documents.equals(corpus.documents)


def _copy_corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    (target / "raw").mkdir(parents=True)
    (target / "raw" / RAW.name).write_bytes(RAW.read_bytes())
    (target / "manifest.yaml").write_text((CORPUS_DIR / "manifest.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_edited_raw_text_fails_its_checksum(tmp_path):
    target = _copy_corpus(tmp_path)
    raw = target / "raw" / RAW.name
    raw.write_bytes(raw.read_bytes().replace(b"Convergence", b"Convergance", 1))
    with pytest.raises(ChecksumError, match="SHA-256"):
        build_corpus(target)


@pytest.mark.parametrize("old, new, message", [
    ("official: [5-11, 21, 27]", "official: [5-11, 27]", r"lines \[21\] have no voice"),
    ("official: [5-11, 21, 27]", "official: [3-11, 21, 27]", "line 3 has two voices"),
    ("    truncated: yes\n    voices:\n      official: [31-37]", "    truncated: no\n    voices:\n      official: [31-37]",
     "not marked truncated"),
    ('align: ["348-366 = 370-388"]', 'align: ["348-366 = 370-386"]', "10 English vs 9 Chinese"),
    ("kind: commentary\n    outlet: \"\"", "kind: opinion\n    outlet: \"\"", "kind 'opinion'"),
])
def test_manifest_errors_are_explained(tmp_path, old, new, message):
    target = _copy_corpus(tmp_path)
    manifest = target / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert old in text
    manifest.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ManifestError, match=message):
        build_corpus(target)


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="no such corpus"):
        analysis.load_corpus(tmp_path / "nowhere")
    with pytest.raises(CorpusError, match="neither manifest.yaml nor documents.jsonl"):
        analysis.load_corpus(tmp_path)


def test_crlf_converted_raw_file_is_a_clear_error(tmp_path):
    """A Windows checkout with core.autocrlf converts LF to CRLF. Decision: that is an error, not
    the same checksum by design, because the manifest's and the parses' offsets index the
    verbatim bytes; the message names the cause and the repair."""
    import shutil

    from analysis.errors import ChecksumError
    from analysis.paths import default_corpus_dir

    src = default_corpus_dir()
    shutil.copy(src / "manifest.yaml", tmp_path / "manifest.yaml")
    (tmp_path / "raw").mkdir()
    for raw in (src / "raw").iterdir():
        (tmp_path / "raw" / raw.name).write_bytes(raw.read_bytes().replace(b"\n", b"\r\n"))
    with pytest.raises(ChecksumError, match=r"converted to CRLF.*git checkout -- corpus/raw"):
        analysis.load_corpus(tmp_path)


def test_gitattributes_keep_the_bytes_that_matter():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = ["corpus/raw/china-copyright-and-media-2014.txt", "corpus/documents.jsonl",
             "corpus/annotations/tifa-cpu-47ae092d/provenance.json", "figures/04_keyness_official_vs_framing.csv"]
    out = subprocess.run(["git", "check-attr", "text", "--", *files], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    assert out.count(": text: unset") == len(files), out
