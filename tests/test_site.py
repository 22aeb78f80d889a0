"""The site for readers (``tifa site``, analysis.site) and the topic map (``TopicModel.save_topic_map``).

The slow test builds the site and opens every page in headless Chromium (Debian's ``chromium``;
``.ci/run`` installs it when missing): it fails on a broken internal link, a missing image or a
JavaScript error in the console, and saves screenshots of the home page and the topic map.
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest

import analysis
from analysis.errors import ParameterError, TopicModelError
from analysis.site import SITE_NOTEBOOKS, build_site

pytest.importorskip("pyLDAvis")


# --------------------------------------------------------------------------------------------
# the topic map
# --------------------------------------------------------------------------------------------

def _units() -> pd.DataFrame:
    """Two clearly separate vocabularies, six units each."""
    a = [["apple", "banana", "cherry", "apple"], ["banana", "apple", "cherry"], ["cherry", "apple", "banana"]] * 2
    b = [["cyber", "security", "network", "cyber"], ["network", "security", "cyber"], ["security", "network"]] * 2
    terms = a + b
    return pd.DataFrame({"unit_id": [f"u{i}" for i in range(len(terms))], "terms": terms})


def _ldavis_json(page: str) -> dict:
    m = re.search(r'new LDAvis\("#ldavis", (\{.*\})\);', page, flags=re.S)
    assert m, "the page does not create the LDAvis view"
    return json.loads(m.group(1))


def test_topic_map_is_one_offline_page(tmp_path):
    model = analysis.TopicModel(k=2, seed=1, passes=20, no_below=1, no_above=1.0).fit(_units())
    path = model.save_topic_map(tmp_path / "map" / "topics.html")
    assert path == tmp_path / "map" / "topics.html"
    page = path.read_text(encoding="utf-8")
    # nothing is fetched: no script or stylesheet from the network (pyLDAvis's own save_html links a CDN)
    assert not re.findall(r"<(?:script|link|img)\b[^>]*(?:src|href)\s*=", page, flags=re.I)
    assert "LDAvis_load_lib" not in page and "cdn.jsdelivr" not in page
    # d3 and LDAvis are inlined (the functions the view calls are defined in the page)
    assert "function LDAvis(" in page or "LDAvis = function" in page
    assert re.search(r"\bd3\b.*version", page, flags=re.S)
    data = _ldavis_json(page)
    assert data["topic.order"] == [1, 2]  # gensim's order kept (sort_topics=False)
    assert set(data["tinfo"]["Term"]) == {"apple", "banana", "cherry", "cyber", "security", "network"}
    # pyLDAvis's topic t+1 is the model's topic t: the same most frequent term in each
    tinfo = pd.DataFrame(data["tinfo"])
    for t, words in enumerate(model.topic_terms(1)):
        rows = tinfo[tinfo["Category"] == f"Topic{t + 1}"].sort_values("Freq", ascending=False)
        fruit = {"apple", "banana", "cherry"}
        assert (rows["Term"].iloc[0] in fruit) == (words[0] in fruit)
    # a rerun writes the same bytes
    again = model.save_topic_map(tmp_path / "again.html")
    assert again.read_bytes() == path.read_bytes()


def test_topic_map_needs_a_fitted_model(tmp_path):
    with pytest.raises(TopicModelError):
        analysis.TopicModel(k=2).save_topic_map(tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_unknown_notebook_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="choose among"):
        build_site(tmp_path, notebooks=["99_nothing"])
    assert not any(tmp_path.iterdir())  # checked before anything is written


def test_cli_reports_an_unknown_notebook(tmp_path):
    from analysis.cli import main

    assert main(["site", "--out-dir", str(tmp_path), "--notebooks", "nope"]) == 2


def test_site_notebooks_exist():
    root = Path(__file__).resolve().parents[1]
    assert [n for n in SITE_NOTEBOOKS if not (root / "notebooks" / f"{n}.ipynb").is_file()] == []
    assert len([n for n in SITE_NOTEBOOKS if re.match(r"\d\d_", n)]) == 8


# --------------------------------------------------------------------------------------------
# the built site, in a real browser
# --------------------------------------------------------------------------------------------

class _Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.assets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "img" and a.get("src"):
            self.images.append(a["src"])
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "link" and a.get("href") and "stylesheet" in (a.get("rel") or ""):
            self.assets.append(a["href"])


def _local(page: Path, ref: str) -> tuple[Path, str] | None:
    """The file and fragment an internal reference points to; None for an external one."""
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or ref.startswith(("mailto:", "javascript:")):
        return None
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def site_problems(root: Path) -> list[str]:
    """Broken internal links (file or #anchor), missing images, scripts or stylesheets."""
    parsed: dict[Path, _Refs] = {}

    def refs(p: Path) -> _Refs:
        if p not in parsed:
            parsed[p] = _Refs()
            parsed[p].feed(p.read_text(encoding="utf-8", errors="replace"))
        return parsed[p]

    problems = []
    for page in sorted(root.rglob("*.html")):
        if page.relative_to(root).parts[0].startswith("_"):
            continue  # _static/ holds theme templates (webpack-macros.html), not pages
        r = refs(page)
        for kind, items in (("link", r.links), ("image", r.images), ("asset", r.assets)):
            for ref in items:
                where = _local(page, ref)
                if where is None:
                    continue
                target, fragment = where
                if not target.is_file():
                    problems.append(f"{page.relative_to(root)}: missing {kind} {ref}")
                elif kind == "link" and fragment and target.suffix == ".html" and fragment not in refs(target).ids:
                    problems.append(f"{page.relative_to(root)}: broken anchor {ref}")
    return problems


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def console_messages(page: Path, chromium: str) -> list[str]:
    """What ``page`` writes to the JavaScript console while it loads (errors included)."""
    out = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                          "--v=1", "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=60)
    return [line for line in out.stderr.splitlines() if ":CONSOLE" in line and not _THEME_INFO.search(line)]


# Information, not errors: pydata-sphinx-theme's own console.log lines ("[PST]: Changed to auto
# mode using the light theme.") and the one debug line LDAvis's script logs when it draws
# ("lambda_select #ldavis-lambda"). Chromium's log does not carry the console level, so they are
# named here; anything else a page writes to the console (an uncaught exception, console.error,
# a resource that fails to load) fails the test.
_THEME_INFO = re.compile(r':CONSOLE:\d+\] "(\[PST\]: |Got invalid theme mode: |lambda_select #)')


def screenshot(page: Path, png: Path, chromium: str) -> Path:
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,900", "--virtual-time-budget=3000", f"--screenshot={png}", page.as_uri()],
                   capture_output=True, timeout=60, check=True)
    return png


def test_the_checks_can_fail(tmp_path):
    """The link checker sees a missing image and a broken link; the console check sees an error."""
    (tmp_path / "a.html").write_text('<a href="b.html">b</a><a href="#nope">x</a><img src="c.png">', encoding="utf-8")
    assert sorted(site_problems(tmp_path)) == ["a.html: broken anchor #nope", "a.html: missing image c.png",
                                               "a.html: missing link b.html"]
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    (tmp_path / "a.html").write_text("<script>notDefined()</script>", encoding="utf-8")
    assert any("notDefined" in m for m in console_messages(tmp_path / "a.html", chromium))


@pytest.mark.slow
def test_site_builds_and_reads_in_a_browser(tmp_path):
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    # one short notebook (06_topics alone runs its 65-model sweep for about a minute; the whole
    # site, `tifa site`, takes about two minutes): the topic map is then written beside the pages
    # as the notebook would, and checked in the browser too
    index = build_site(tmp_path / "site", notebooks=["01_corpus"])
    root = index.parent
    assert site_problems(root) == []
    pages = {p.relative_to(root).as_posix() for p in root.rglob("*.html")}
    assert {"index.html", "notebooks.html", "getting-started.html", "docs.html", "reference.html",
            "query-language.html", "models.html", "api.html", "notebooks/01_corpus.html"} <= pages
    # the executed notebooks carry their outputs: figures (inline PNG) and tables
    corpus_page = (root / "notebooks" / "01_corpus.html").read_text(encoding="utf-8")
    assert "<img" in corpus_page and "<table" in corpus_page
    assert "notebooks/seminar" not in index.read_text(encoding="utf-8")  # no handout link without the seminar
    # the figures went to the build folder, not to figures/
    assert list((tmp_path / "site" / "_src" / "_figures").glob("01_*.png"))
    model = analysis.TopicModel(k=2, seed=1, passes=20, no_below=1, no_above=1.0).fit(_units())
    model.save_topic_map(root / "topic_map.html")
    # no page writes anything to the console while loading
    checked = sorted(root / p for p in pages | {"topic_map.html"} if not p.startswith("_"))
    with ThreadPoolExecutor(4) as pool:
        logs = dict(zip(checked, pool.map(lambda p: console_messages(p, chromium), checked)))
    assert {p.relative_to(root).as_posix(): m for p, m in logs.items() if m} == {}
    # the topic map draws its SVG (d3 ran)
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000",
                          "--dump-dom", (root / "topic_map.html").as_uri()], capture_output=True, text=True,
                         timeout=60).stdout
    assert "<svg" in dom and "apple" in dom
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for name in ("index.html", "topic_map.html"):
        png = screenshot(root / name, shots / name.replace(".html", ".png"), chromium)
        assert png.stat().st_size > 10_000  # a rendered page, not a blank one


def test_full_site_pages_link_the_handout():
    from analysis.site import _notebooks_page

    page = _notebooks_page(["01_corpus", "seminar"], {"01_corpus": "1. Corpus", "seminar": "Seminar"}, topic_map=False)
    assert "(notebooks/seminar.ipynb)" in page and "Seminar <notebooks/seminar>" in page
    index = (Path(__file__).resolve().parents[1] / "docs" / "index.md").read_text(encoding="utf-8")
    assert "(notebooks/seminar.ipynb)" in index


def test_notebooks_page_links_the_topic_map():
    from analysis.site import _notebooks_page

    with_map = _notebooks_page(["06_topics"], {"06_topics": "6. Topics"}, topic_map=True)
    assert '<a href="topic_map.html">' in with_map and "6. Topics <notebooks/06_topics>" in with_map
    assert "topic_map.html" not in _notebooks_page(["06_topics"], {"06_topics": "6. Topics"}, topic_map=False)
