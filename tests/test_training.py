"""`tifa models train/evaluate`: recipes, data assembly, folds, resume, packaging, scoring.

The fast tests build treebank snippets and model files by hand; the slow test trains a real (tiny)
English model set with Stanza's trainers on 120 EWT sentences and scores it end to end.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from analysis import training
from analysis.errors import ParameterError
from analysis.errors import TrainingError

SHARED_UD = Path(__file__).resolve().parents[2] / "shared" / "ud"

EN = """# newdoc id = d1
# sent_id = s1
# text = I can't go.
1-2\tcan't\t_\t_\t_\t_\t_\t_\t_\t_
1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_
2\tca\tcan\tAUX\tMD\t_\t3\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = s2
# text = Go home.
1\tGo\tgo\tVERB\tVB\t_\t0\troot\t_\t_
2\thome\thome\tADV\tRB\t_\t1\tadvmod\t_\tSpaceAfter=No
3\t.\t.\tPUNCT\t.\t_\t1\tpunct\t_\t_

# newpar
# sent_id = s3
# text = Stay.
1\tStay\tstay\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No
2\t.\t.\tPUNCT\t.\t_\t1\tpunct\t_\t_
"""


def blocks_of(text: str) -> list[str]:
    return [b.strip("\n") for b in text.split("\n\n") if b.strip()]


def test_folds_hold_out_every_sentence_once():
    for n, k in [(10, 5), (1000, 5), (11, 3), (7, 7)]:
        parts = training.folds(n, k)
        assert len(parts) == k
        seen = [i for p in parts for i in p]
        assert seen == list(range(n))                     # every sentence once, in order (contiguous)
        sizes = [len(p) for p in parts]
        assert max(sizes) - min(sizes) <= 1
    assert [(p.start, p.stop) for p in training.folds(1000, 5)][-1] == (800, 1000)  # test[300:500]
    with pytest.raises(ParameterError):
        training.folds(3, 5)
    with pytest.raises(ParameterError):
        training.folds(10, 1)


def test_raw_text_joins_sentences_and_paragraphs():
    blocks = blocks_of(EN)
    assert training.raw_text(blocks, "en") == "I can't go. Go home.\n\nStay.\n"
    zh = ["# newpar\n# text = 我们走。\n1\t我们\t我\tPRON\t_\t_\t2\tnsubj\t_\t_\n2\t走\t走\tVERB\t_\t_\t0\troot\t_\t_",
          "# text = 好。\n1\t好\t好\tADJ\t_\t_\t0\troot\t_\t_"]
    assert training.raw_text(zh, "zh-hans") == "我们走。好。\n"
    with pytest.raises(TrainingError):
        training.raw_text(["1\tx\tx\tX\t_\t_\t0\troot\t_\t_"], "en")


def test_words_and_multiword_tokens():
    blocks = blocks_of(EN)
    assert list(training.words_of(blocks))[0] == ["I", "ca", "n't", "go", "."]
    assert training.has_mwt(blocks)
    assert not training.has_mwt(blocks[1:])


def test_select_sentences_slices_and_errors(tmp_path):
    (tmp_path / "x.conllu").write_text(EN, encoding="utf-8")
    assert len(training.select_sentences("x.conllu", tmp_path)) == 3
    assert [b.splitlines()[-1][:6] for b in training.select_sentences("x.conllu[1:3]", tmp_path)] == ["3\t.\t.\t", "2\t.\t.\t"]
    assert len(training.select_sentences("x.conllu[:1]", tmp_path)) == 1
    with pytest.raises(ParameterError):
        training.select_sentences("x.conllu[1]", tmp_path)
    with pytest.raises(TrainingError, match="not found"):
        training.select_sentences("missing.conllu", tmp_path)


def test_shipped_recipes_load():
    assert {"cpu", "gpu"} <= set(training.available_recipes())
    for name in ("cpu", "gpu"):
        recipe = training.load_recipe(name)
        assert set(recipe.languages) == {"en", "zh-hans"}
        zh = recipe.language("zh-hans")
        # Chinese cross-validation over the in-domain sentences; the comparison slice lies inside them
        assert zh["folds"] >= 2 and zh["compare"].startswith("zh_gsdsimp-ud-test.conllu")
        assert recipe.language("en")["licence"]


def test_recipe_errors(tmp_path):
    with pytest.raises(ParameterError, match="unknown recipe"):
        training.load_recipe("no-such-recipe")
    bad = tmp_path / "bad.toml"
    bad.write_text('[recipe]\nname = "b"\npackage = "b"\nseed = 1\n[en]\nshorthand = "x"\ntrain = []\ndev = []\n'
                   'epochs = 3\n', encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown keys epochs"):
        training.load_recipe(bad)
    bad.write_text('[recipe]\nname = "b"\n', encoding="utf-8")
    with pytest.raises(ParameterError, match="lacks package, seed"):
        training.load_recipe(bad)
    bad.write_text('[recipe\n', encoding="utf-8")
    with pytest.raises(ParameterError, match="not valid TOML"):
        training.load_recipe(bad)


def test_recipe_keys_become_stanza_flags():
    assert training._args({"max_steps": 10, "force_exact_pieces": True, "charlm": False, "x": None}) == \
        ["--max_steps", "10", "--force_exact_pieces"]


def test_einsum_bilinear_equals_torch_bilinear():
    import torch

    from analysis._stanza_entry import einsum_bilinear

    torch.manual_seed(0)
    x1, x2 = torch.randn(4, 7, 5), torch.randn(4, 7, 3)
    weight, bias = torch.randn(6, 5, 3), torch.randn(6)
    expected = torch.nn.functional.bilinear(x1, x2, weight, bias)
    # the same contraction by explicit loops over the output units
    manual = torch.stack([(x1 @ weight[o] * x2).sum(-1) + bias[o] for o in range(6)], dim=-1)
    assert torch.allclose(expected, manual, atol=1e-5)
    assert torch.allclose(einsum_bilinear(x1, x2, weight, bias), manual, atol=1e-5)
    assert torch.allclose(einsum_bilinear(x1, x2, weight), manual - bias, atol=1e-5)


def test_trainer_saves_replace_the_model_file_whole(tmp_path, monkeypatch):
    """In a trainer's process torch.save writes beside the model and renames: a save cut short
    leaves the previous model whole (here the write fails half-way)."""
    import torch

    from analysis import _stanza_entry

    monkeypatch.setattr(torch, "save", torch.save)      # undone after the test
    _stanza_entry.patch_save()
    path = tmp_path / "pos.pt"
    torch.save({"w": torch.ones(3)}, path)
    assert torch.equal(torch.load(path)["w"], torch.ones(3)) and not (tmp_path / "pos.pt.partial").exists()

    class Cut:                                           # pickling this object fails mid-file
        def __reduce__(self):
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        torch.save({"w": torch.zeros(3), "x": Cut()}, str(path))
    assert torch.equal(torch.load(path)["w"], torch.ones(3))     # the previous model, whole
    buffer = __import__("io").BytesIO()
    torch.save({"w": torch.ones(1)}, buffer)             # file objects are written as before
    assert buffer.getvalue()


def _fake_models(work: Path) -> dict[str, bytes]:
    contents = {}
    for proc in ("pretrain", "tokenize", "pos", "lemma", "depparse"):
        data = f"fake {proc} model".encode()
        (work / f"{proc}.pt").write_bytes(data)
        contents[proc] = data
    return contents


def test_package_resources_is_a_stanza_resources_directory(tmp_path):
    from analysis.models import resolve_model_set

    work = tmp_path / "work"
    work.mkdir()
    contents = _fake_models(work)
    out = training.package_resources(work, "zh-hans", "offline", tmp_path / "res")
    resources = json.loads((out / "resources.json").read_text(encoding="utf-8"))
    assert resources["zh"] == {"alias": "zh-hans"}
    entry = resources["zh-hans"]
    for proc, data in contents.items():
        assert entry[proc]["offline"]["md5"] == hashlib.md5(data).hexdigest()
        assert (out / "zh-hans" / proc / "offline.pt").read_bytes() == data
    assert entry["pos"]["offline"]["dependencies"] == [{"model": "pretrain", "package": "offline"}]
    assert "mwt" not in entry["packages"]["offline"]
    # a second language is merged in, the first kept
    work_en = tmp_path / "work-en"
    work_en.mkdir()
    _fake_models(work_en)
    (work_en / "mwt.pt").write_bytes(b"fake mwt")
    training.package_resources(work_en, "en", "offline", out)
    resources = json.loads((out / "resources.json").read_text(encoding="utf-8"))
    assert {"en", "zh-hans", "zh"} <= set(resources) and resources["en"]["packages"]["offline"]["mwt"] == "offline"
    model_set = resolve_model_set(out, "offline")
    assert model_set.missing == {} and model_set.verify() == []
    assert not list(out.rglob("*.partial")) and not list(out.rglob(".tmp-*"))   # no temporary file left


def test_stages_resume_and_redo_changed_settings(tmp_path, monkeypatch):
    recipe, calls = _staged(tmp_path, monkeypatch, "[en.pos]\nmax_steps = 10\n")
    run = lambda r: training.LanguageRun(r, "en", tmp_path / "ud", tmp_path / "work", log=lambda m: None).run()
    run(recipe)
    assert calls == list(training.STAGES)          # mwt runs: the data has a multi-word token
    calls.clear()
    run(recipe)
    assert calls == []                             # everything done: resumed
    (tmp_path / "work" / "lemma.done.json").unlink()   # as if interrupted during lemma
    run(recipe)
    assert calls == ["lemma"]
    recipe, calls = _staged(tmp_path, monkeypatch, "[en.pos]\nmax_steps = 20\n")   # pos settings changed
    run(recipe)
    assert calls == ["pos", "retag", "depparse", "package"]        # not lemma: it does not read pos


def test_folds_run_apart_and_pool_once_all_are_scored(tmp_path, monkeypatch):
    """Folds trained in separate processes (--fold) pool only when every fold is scored, and a
    fold's scores are reused only while its model set is the one that produced them."""
    from analysis import evaluation

    (tmp_path / "ud").mkdir()
    (tmp_path / "ud" / "t.conllu").write_text(EN, encoding="utf-8")
    recipe_path = tmp_path / "r.toml"
    recipe_path.write_text('[recipe]\nname = "r"\npackage = "r"\nseed = 3\n[en]\nshorthand = "en_t"\n'
                           'train = ["t.conllu"]\ndev = ["t.conllu[0:1]"]\ncv = ["t.conllu"]\nfolds = 3\n',
                           encoding="utf-8")
    model_version = {"v": "1"}
    trained: list[str] = []

    def fake_run(self):
        trained.append(self.work.name)
        self.work.mkdir(parents=True, exist_ok=True)
        key = f"{len(self.train_blocks)}-{model_version['v']}"
        (self.work / "package.done.json").write_text(json.dumps({"key": key}), encoding="utf-8")
        return self.work / "resources"

    scored: list[tuple[str, ...]] = []

    def fake_score(blocks, lang, resources, package, threads=None, keep=None):
        scored.append(tuple(blocks))
        if keep is not None:
            Path(keep).mkdir(parents=True, exist_ok=True)
            for name in ("gold.conllu", "system.conllu"):
                (Path(keep) / name).write_text("\n\n".join(blocks) + "\n\n", encoding="utf-8")
        return {"LAS": 50.0, "sentences": len(blocks)}

    monkeypatch.setattr(training.LanguageRun, "run", fake_run)
    monkeypatch.setattr(evaluation, "score_blocks", fake_score)
    recipe = training.load_recipe(recipe_path)
    out = tmp_path / "out"
    cv = lambda only: training.cross_validate(recipe, "en", tmp_path / "ud", out, log=lambda m: None, only=only)
    assert cv([2]) is None                               # folds 1 and 3 not scored yet: nothing pooled
    assert trained == ["fold-2"] and len(scored) == 1 and not (out / "cv-en.json").exists()
    summary = cv([1, 3])
    assert [f["fold"] for f in summary["folds"]] == [1, 2, 3]
    assert summary["pooled"]["Words"] == 100.0           # the system output here is the gold itself
    assert len(scored) == 3                              # fold 2 was not scored again
    assert json.loads((out / "cv-en.json").read_text(encoding="utf-8"))["folds"][1]["sentences"] == 1
    model_version["v"] = "2"                             # the folds' models retrained (a new recipe)
    cv(None)
    assert len(scored) == 6                              # stale scores are not reused
    with pytest.raises(ParameterError, match="numbered 1-3"):
        cv([4])


def test_tokenizer_extra_sentences_train_the_tokenizer_only(tmp_path, monkeypatch):
    (tmp_path / "ud").mkdir()
    (tmp_path / "ud" / "t.conllu").write_text(GOLD + GOLD.replace("home", "out") + GOLD.replace("now", "then"),
                                              encoding="utf-8")
    recipe_path = tmp_path / "r.toml"
    text = ('[recipe]\nname = "r"\npackage = "r"\nseed = 3\n[en]\nshorthand = "en_t"\ntrain = ["t.conllu[0:1]"]\n'
            'dev = ["t.conllu[1:2]"]\ntokenize_extra = ["{extra}"]\n')
    recipe_path.write_text(text.format(extra="t.conllu[2:3]"), encoding="utf-8")
    seen: dict[str, list[str]] = {}

    def fake_train(self, stage, args, save):
        seen[stage] = args
        return {}

    monkeypatch.setattr(training.LanguageRun, "_train", fake_train)
    run = training.LanguageRun(training.load_recipe(recipe_path), "en", tmp_path / "ud", tmp_path / "w",
                               log=lambda m: None)
    run._stage_data()
    assert run._stage_tokenize() == {"extra_sentences": 1}
    args = seen["tokenize"]
    txt = Path(args[args.index("--txt_file") + 1])
    assert txt.name == "train-tok.txt" and txt.read_text(encoding="utf-8").split() == "Go home now. Go home then.".split()
    assert (tmp_path / "w" / "train.txt").read_text(encoding="utf-8").split() == "Go home now.".split()
    assert Path(args[args.index("--label_file") + 1]).name == "train-tok.toklabels"
    recipe_path.write_text(text.format(extra="t.conllu[1:3]"), encoding="utf-8")   # overlaps the dev set
    run.recipe = training.load_recipe(recipe_path)
    with pytest.raises(ParameterError, match="dev set"):
        run._stage_tokenize()


GOLD = """# text = Go home now.
1\tGo\tgo\tVERB\tVB\t_\t0\troot\t_\t_
2\thome\thome\tADV\tRB\t_\t1\tadvmod\t_\t_
3\tnow\tnow\tADV\tRB\t_\t1\tadvmod\t_\tSpaceAfter=No
4\t.\t.\tPUNCT\t.\t_\t1\tpunct\t_\t_

"""


def test_score_files_counts_by_hand(tmp_path):
    from analysis.evaluation import score_files

    gold = tmp_path / "gold.conllu"
    gold.write_text(GOLD, encoding="utf-8")
    # one of four words gets a wrong head (now -> home) and one a wrong UPOS (home: NOUN)
    system_text = GOLD.replace("3\tnow\tnow\tADV\tRB\t_\t1\t", "3\tnow\tnow\tADV\tRB\t_\t2\t") \
                      .replace("2\thome\thome\tADV", "2\thome\thome\tNOUN")
    system = tmp_path / "system.conllu"
    system.write_text(system_text, encoding="utf-8")
    scores = score_files(gold, system)
    assert scores["Words"] == 100.0
    assert scores["UPOS"] == 75.0      # 3 of 4
    assert scores["UAS"] == 75.0 and scores["LAS"] == 75.0


@pytest.mark.slow
def test_train_and_evaluate_a_tiny_english_model_set(tmp_path, monkeypatch):
    if not (SHARED_UD / "en_ewt-ud-train.conllu").exists():
        pytest.skip("../shared/ud not beside the repository")
    from analysis.evaluation import score_blocks

    recipe = tmp_path / "tiny.toml"
    recipe.write_text("""
[recipe]
name = "tiny"
package = "tiny"
seed = 7
[en]
shorthand = "en_tiny"
train = ["en_ewt-ud-train.conllu[0:120]"]
dev = ["en_ewt-ud-dev.conllu[0:30]"]
[en.vectors]
dim = 16
min_count = 1
epochs = 2
[en.tokenize]
steps = 20
eval_steps = 10
[en.mwt]
num_epoch = 1
[en.pos]
max_steps = 6
batch_size = 20
eval_interval = 3
hidden_dim = 16
char_hidden_dim = 16
deep_biaff_hidden_dim = 16
composite_deep_biaff_hidden_dim = 8
[en.lemma]
num_epoch = 1
[en.depparse]
max_steps = 6
batch_size = 300
eval_interval = 3
hidden_dim = 16
char_hidden_dim = 16
deep_biaff_hidden_dim = 16
""", encoding="utf-8")
    monkeypatch.chdir(tmp_path)                          # a relative output folder works too
    out = training.train_models(recipe, SHARED_UD, "models", progress=False, log=lambda m: None)
    done = sorted(p.name for p in (out / "work" / "en").glob("*.done.json"))
    assert done == sorted(f"{s}.done.json" for s in training.STAGES)
    # a new tagger schedule retrains the tagger although its old model file lies in the work folder
    recipe.write_text(recipe.read_text(encoding="utf-8").replace("max_steps = 6\nbatch_size = 20",
                                                                 "max_steps = 4\nbatch_size = 20"), encoding="utf-8")
    log: list[str] = []
    training.train_models(recipe, SHARED_UD, "models", progress=False, log=log.append)
    redone = [m.split()[1] for m in log if m.endswith(" ...")]
    assert redone == ["pos", "retag", "depparse", "package"]
    # scored on 20 test sentences only (the whole test set takes minutes)
    blocks = training.select_sentences("en_ewt-ud-test.conllu[0:20]", SHARED_UD)
    scores = score_blocks(blocks, "en", out, "tiny")
    assert scores["sentences"] == 20 and scores["words"] > 0       # 20 training steps: the scores are near 0
    assert all(0 <= scores[m] <= 100 for m in ("Tokens", "Words", "UPOS", "UAS", "LAS"))
    assert scores["LAS"] <= scores["UAS"] and scores["model_set"].startswith("tiny-")


def test_recorded_accuracy_reaches_the_model_set_provenance(tmp_path):
    from analysis.evaluation import record_accuracy, summarise
    from analysis.models import resolve_model_set

    work = tmp_path / "work"
    work.mkdir()
    _fake_models(work)
    out = training.package_resources(work, "zh-hans", "offline", tmp_path / "res")
    model_set = resolve_model_set(out, "offline")
    assert model_set.accuracy() == {} and "accuracy" not in model_set.provenance()
    scores = dict(Tokens=95.0, Sentences=99.0, Words=95.0, UPOS=85.0, Lemmas=94.0, UAS=65.0, LAS=58.0)
    rows = [{"test": "GSDSimp test[450:500]", "lang": "zh-hans", **scores, "LAS": 60.0},
            {"test": "5-fold CV over a + b (1000 sentences)", "lang": "zh-hans", **scores}]
    assert summarise(rows)["zh-hans"]["LAS"] == 58.0          # the cross-validation row is the headline
    assert summarise(rows[:1])["zh-hans"]["LAS"] == 60.0
    record_accuracy(out, model_set.id, rows)
    record_accuracy(out, "other-00000000", rows[:1])           # another set's scores are kept apart
    assert model_set.accuracy()["zh-hans"]["test"].startswith("5-fold CV")
    assert model_set.provenance()["accuracy"]["zh-hans"]["UPOS"] == 85.0
    # scores recorded later for another language (or test) are merged, not written over
    record_accuracy(out, model_set.id, [{"test": "EWT test", "lang": "en", **scores, "LAS": 70.0}])
    assert model_set.accuracy()["en"]["LAS"] == 70.0 and model_set.accuracy()["zh-hans"]["LAS"] == 58.0
    record_accuracy(out, model_set.id, [{"test": "EWT test", "lang": "en", **scores, "LAS": 71.0}])
    rows_now = json.loads((out / "accuracy.json").read_text(encoding="utf-8"))["rows"][model_set.id]
    assert sorted(r["LAS"] for r in rows_now) == [58.0, 60.0, 71.0]     # the EWT row replaced


def test_combine_model_sets_takes_each_language_from_its_source(tmp_path):
    from analysis.models import resolve_model_set

    sets = {}
    for name, lang in (("a", "en"), ("b", "zh-hans")):
        work = tmp_path / f"work-{name}"
        work.mkdir()
        _fake_models(work)
        (work / "pos.pt").write_bytes(f"{name} pos".encode())
        sets[lang] = training.package_resources(work, lang, name, tmp_path / name)
    out = training.combine_model_sets(tmp_path / "both", "mixed", {"en": (sets["en"], "a"), "zh-hans": (sets["zh-hans"], "b")})
    assert (out / "en" / "pos" / "mixed.pt").read_bytes() == b"a pos"
    assert (out / "zh-hans" / "pos" / "mixed.pt").read_bytes() == b"b pos"
    combined = resolve_model_set(out, "mixed")
    assert combined.missing == {} and combined.verify() == []
    with pytest.raises(ParameterError):
        training.combine_model_sets(tmp_path / "x", "m", {"fr": (sets["en"], "a")})
    # one processor from a third set: Chinese from b, but b's tokenizer replaced by c's
    work = tmp_path / "work-c"
    work.mkdir()
    _fake_models(work)
    (work / "tokenize.pt").write_bytes(b"c tokenize")
    (work / "pos.pt").write_bytes(b"c pos")
    c = training.package_resources(work, "zh-hans", "c", tmp_path / "c")
    out = training.combine_model_sets(tmp_path / "swap", "swap", {"zh-hans": (sets["zh-hans"], "b"),
                                                                  "zh-hans:tokenize": (c, "c")})
    assert (out / "zh-hans" / "tokenize" / "swap.pt").read_bytes() == b"c tokenize"
    assert (out / "zh-hans" / "pos" / "swap.pt").read_bytes() == b"b pos"      # the tagger stays b's
    assert resolve_model_set(out, "swap").verify() == []
    assert json.loads((out / "combined-swap.json").read_text(encoding="utf-8"))["zh-hans:tokenize"]["package"] == "c"
    with pytest.raises(ParameterError, match="word vectors"):
        training.combine_model_sets(tmp_path / "y", "m", {"zh-hans": (sets["zh-hans"], "b"), "zh-hans:pos": (c, "c")})
    with pytest.raises(ParameterError, match="rest of zh-hans"):
        training.combine_model_sets(tmp_path / "y", "m", {"zh-hans:tokenize": (c, "c")})
    # a set that skipped its tokenizer and lemmatizer (recipe: skip = true) is completed from another
    from analysis.errors import ModelNotFoundError

    work = tmp_path / "work-d"
    work.mkdir()
    _fake_models(work)
    (work / "tokenize.pt").unlink()
    (work / "lemma.pt").unlink()
    d = training.package_resources(work, "zh-hans", "d", tmp_path / "d")
    with pytest.raises(ModelNotFoundError, match="has no lemma model"):      # tokenize taken, lemma not
        training.combine_model_sets(tmp_path / "z", "m", {"zh-hans": (d, "d"), "zh-hans:tokenize": (c, "c")})
    out = training.combine_model_sets(tmp_path / "z", "m", {"zh-hans": (d, "d"), "zh-hans:tokenize": (c, "c"),
                                                          "zh-hans:lemma": (c, "c")})
    assert (out / "zh-hans" / "tokenize" / "m.pt").read_bytes() == b"c tokenize"
    combined = resolve_model_set(out, "m", languages=("zh-hans",))
    assert combined.missing == {} and combined.verify() == []


def test_accuracy_recorded_into_an_annotations_folder(tmp_path):
    from analysis.evaluation import record_annotation_accuracy

    folder = tmp_path / "compact-12345678"
    folder.mkdir()
    (folder / "provenance.json").write_text(json.dumps({"model_set": "compact-12345678", "documents": {}}),
                                            encoding="utf-8")
    scores = dict(Tokens=99.0, Sentences=88.0, Words=98.8, UPOS=89.9, Lemmas=95.3, UAS=76.6, LAS=71.6)
    record_annotation_accuracy(folder, "compact-12345678", [{"test": "EWT test", "lang": "en", **scores}])
    record = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    assert record["accuracy"] == {"en": {"test": "EWT test", **scores}} and record["documents"] == {}
    record_annotation_accuracy(folder, "compact-12345678", [{"test": "GSDSimp test[450:500]", "lang": "zh-hans", **scores}])
    record = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    assert set(record["accuracy"]) == {"en", "zh-hans"}        # the English scores are kept
    with pytest.raises(ParameterError, match="made by"):
        record_annotation_accuracy(folder, "other-00000000", [])
    with pytest.raises(ParameterError, match="no provenance"):
        record_annotation_accuracy(tmp_path, "compact-12345678", [])


def test_evaluate_records_an_estimate_for_another_model_set(tmp_path, monkeypatch, capsys):
    """`tifa models evaluate --estimate-for`: scores measured on one set (trained without the test
    sentences) are recorded for the set that trained on them, each row naming the set measured."""
    from analysis import evaluation
    from analysis.cli import main
    from analysis.models import resolve_model_set

    sets = {}
    for name in ("fold", "final"):
        work = tmp_path / f"work-{name}"
        work.mkdir()
        _fake_models(work)
        (work / "pos.pt").write_bytes(f"{name} pos".encode())
        sets[name] = training.package_resources(work, "zh-hans", name, tmp_path / name)
    fold, final = resolve_model_set(sets["fold"], "fold"), resolve_model_set(sets["final"], "final")
    scores = dict(Tokens=93.0, Sentences=97.0, Words=93.0, UPOS=77.0, Lemmas=92.6, UAS=59.4, LAS=51.2)

    def fake_evaluate(models_dir, package, ud_dir, test_sets=None, threads=None, log=print):
        return [{"test": "GSDSimp test[450:500]", "lang": "zh-hans", **scores, "model_set": fold.id}]

    monkeypatch.setattr(evaluation, "evaluate_model_set", fake_evaluate)
    assert main(["models", "evaluate", "--models", str(sets["fold"]), "--package", "fold", "--ud", str(tmp_path),
                 "--estimate-for", f"{sets['final']}:final", "--record"]) == 0
    assert final.accuracy()["zh-hans"]["LAS"] == 51.2 and fold.accuracy() == {}
    row = json.loads((sets["final"] / "accuracy.json").read_text(encoding="utf-8"))["rows"][final.id][0]
    assert row["model_set"] == fold.id
    assert main(["models", "evaluate", "--models", str(sets["fold"]), "--package", "fold", "--estimate-for", "nocolon"]) != 0
    assert "DIR:PACKAGE" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# time limits, skipped processors, prepared folders

FAKE_TRAINER = r"""
import sys, time
args = sys.argv[1:]
save = args[args.index("--save_dir") + 1] + "/" + args[args.index("--save_name") + 1]
mode, model = "{mode}", {model!r}       # model: a torch file the test wrote (importing torch here is slow)
print("Finished STEP 1/1000, loss = 1.0", flush=True)
if mode in ("saves", "quick"):
    open(save, "wb").write(open(model, "rb").read())
elif mode == "garbage":
    open(save, "wb").write(b"not a torch file")
print("Finished STEP 2/1000, loss = 0.9", flush=True)
if mode == "quick":
    sys.exit(0)
time.sleep(60)
"""


def _fake_trainer(monkeypatch, tmp_path, mode):
    import sys

    import torch

    model = tmp_path / "model.src"
    torch.save({"model": {"w": torch.ones(2)}}, model)
    monkeypatch.setattr(training, "trainer_command", lambda module, args: [
        sys.executable, "-c", FAKE_TRAINER.format(mode=mode, model=str(model)), *args])


def _pos_run(tmp_path, pos_table):
    recipe_path = tmp_path / "r.toml"
    recipe_path.write_text('[recipe]\nname = "r"\npackage = "r"\nseed = 3\n[en]\nshorthand = "en_t"\n'
                           f'train = ["t.conllu"]\ndev = ["t.conllu"]\n[en.pos]\n{pos_table}\n', encoding="utf-8")
    log: list[str] = []
    return training.LanguageRun(training.load_recipe(recipe_path), "en", tmp_path, tmp_path / "w",
                                progress=False, log=log.append), log


@pytest.mark.parametrize("mode", ["saves", "nothing", "garbage", "quick"])
def test_a_trainer_past_its_time_limit_is_stopped_and_its_best_model_kept(tmp_path, monkeypatch, mode):
    """``max_minutes``: the trainer is stopped (here after 3 s instead of its 60 s), the model it
    saved before then is kept and the marker says so; no model, or a cut one, is an error."""
    import time

    _fake_trainer(monkeypatch, tmp_path, mode)
    run, log = _pos_run(tmp_path, "max_minutes = 0.05\nbatch_size = 5")
    (tmp_path / "w").mkdir()
    start = time.monotonic()
    if mode == "nothing":
        with pytest.raises(TrainingError, match="time limit .* before it saved a model"):
            run._train("pos", [], "pos.pt")
    elif mode == "garbage":
        with pytest.raises(TrainingError, match="unreadable"):
            run._train("pos", [], "pos.pt")
    elif mode == "quick":                                   # ended by itself: nothing recorded
        assert run._train("pos", [], "pos.pt") == {}
    else:
        assert run._train("pos", [], "pos.pt") == {"time_limit_minutes": 0.05, "last_step": 2}
        assert (tmp_path / "w" / "pos.pt").exists() and not (tmp_path / "w" / "pos.tmp").exists()
        assert any("stopped at its 0.05-minute limit (step 2)" in m for m in log)
        assert "stopped at the time limit" in (tmp_path / "w" / "pos.log").read_text(encoding="utf-8")
    assert time.monotonic() - start < 30                     # not the fake trainer's 60 s
    if mode != "quick":
        assert not (tmp_path / "w" / "pos.pt").exists() or mode == "saves"


def test_a_run_deadline_shortens_every_time_limit(tmp_path, monkeypatch):
    """A trainer under a run's deadline stops a reserve before it, however long its own limit."""
    import time

    _fake_trainer(monkeypatch, tmp_path, "saves")
    monkeypatch.setattr(training, "MIN_TRAINER_SECONDS", 1.0)
    monkeypatch.setattr(training, "DEADLINE_RESERVE_SECONDS", 1.0)
    run, _ = _pos_run(tmp_path, "max_minutes = 10")
    run.deadline = time.time() + 4.0                          # 3 s left after the reserve
    (tmp_path / "w").mkdir()
    start = time.monotonic()
    info = run._train("pos", [], "pos.pt")
    assert time.monotonic() - start < 30 and 0.03 < info["time_limit_minutes"] < 0.06


def test_tifa_keys_are_not_passed_to_stanza(tmp_path):
    run, _ = _pos_run(tmp_path, "max_minutes = 3\nbatch_size = 5\nskip = false")
    assert run._trainer_args("pos") == ["--batch_size", "5"]


@pytest.mark.parametrize("table, message", [
    ("[en.pos]\nskip = true", "cannot be skipped: only tokenize, mwt, lemma"),
    ("[en.lemma]\nskip = 1", "skip must be true or false"),
    ("[en.lemma]\nmax_minutes = 0", "max_minutes must be a positive number"),
    ("[en.lemma]\nmax_minutes = \"5\"", "max_minutes must be a positive number"),
    ("[en.tokenize]\nskip = true\n[en.x]", "unknown keys x"),
])
def test_recipe_checks_tifa_keys(tmp_path, table, message):
    path = tmp_path / "r.toml"
    path.write_text('[recipe]\nname = "r"\npackage = "r"\nseed = 3\n[en]\nshorthand = "en_t"\ntrain = ["t.conllu"]\n'
                    f'dev = ["t.conllu"]\n{table}\n', encoding="utf-8")
    with pytest.raises(ParameterError, match=message):
        training.load_recipe(path)
    path.write_text('[recipe]\nname = "r"\npackage = "r"\nseed = 3\n[en]\nshorthand = "en_t"\ntrain = ["t.conllu"]\n'
                    'dev = ["t.conllu"]\ncv = ["t.conllu"]\nfolds = 2\n[en.tokenize]\nskip = true\n', encoding="utf-8")
    with pytest.raises(ParameterError, match="cross-validation folds"):
        training.load_recipe(path)


def _staged(tmp_path, monkeypatch, extra=""):
    """A LanguageRun whose stages only record that they ran."""
    (tmp_path / "ud").mkdir(exist_ok=True)
    (tmp_path / "ud" / "t.conllu").write_text(EN, encoding="utf-8")
    recipe_path = tmp_path / "r.toml"
    recipe_path.write_text('[recipe]\nname = "r"\npackage = "r"\nseed = 3\n[en]\nshorthand = "en_t"\n'
                           f'train = ["t.conllu"]\ndev = ["t.conllu[0:1]"]\n{extra}', encoding="utf-8")
    calls: list[str] = []

    def fake(stage):
        def run(self):
            calls.append(stage)
            if stage == "data":
                training.write_conllu(blocks_of(EN), self.path("train.conllu"))
            if stage in training.TRAINERS:
                self.path(f"{stage}.pt").write_bytes(b"model")
            return {}
        return run

    for stage in training.STAGES:
        monkeypatch.setattr(training.LanguageRun, f"_stage_{stage}", fake(stage))
    return training.load_recipe(recipe_path), calls


def test_skipped_processors_are_neither_trained_nor_packaged(tmp_path, monkeypatch):
    recipe, calls = _staged(tmp_path, monkeypatch, "[en.lemma]\nnum_epoch = 1\n")
    make = lambda r: training.LanguageRun(r, "en", tmp_path / "ud", tmp_path / "w", log=lambda m: None)
    make(recipe).run()
    assert "lemma" in calls and (tmp_path / "w" / "lemma.pt").exists()
    recipe, calls = _staged(tmp_path, monkeypatch, "[en.lemma]\nskip = true\n[en.tokenize]\nskip = true\n")
    make(recipe).run()
    assert calls == ["package"]                     # skipping changed what the package holds, nothing else
    assert not (tmp_path / "w" / "lemma.pt").exists() and not (tmp_path / "w" / "tokenize.pt").exists()


def test_prepare_only_stops_before_the_first_trainer_and_the_run_resumes_there(tmp_path, monkeypatch):
    recipe, calls = _staged(tmp_path, monkeypatch)
    make = lambda prepare: training.LanguageRun(recipe, "en", tmp_path / "ud", tmp_path / "w", log=lambda m: None,
                                                prepare_only=prepare)
    make(True).run()
    assert calls == ["data", "vectors"]
    calls.clear()
    make(False).run()
    assert calls == [s for s in training.STAGES if s not in ("data", "vectors")]


def test_prepare_only_prepares_every_fold_and_scores_none(tmp_path, monkeypatch):
    from analysis import evaluation

    recipe, calls = _staged(tmp_path, monkeypatch, 'cv = ["t.conllu"]\nfolds = 3\n')
    monkeypatch.setattr(evaluation, "score_blocks", lambda *a, **k: pytest.fail("scored while preparing"))
    out = training.train_models(recipe, tmp_path / "ud", tmp_path / "out", prepare_only=True, progress=False,
                                log=lambda m: None)
    assert calls == ["data", "vectors"] * 4        # three folds and the final model
    assert sorted(p.name for p in (out / "cv" / "en").iterdir()) == ["fold-1", "fold-2", "fold-3"]
    assert not (out / "cv-en.json").exists() and not (out / "en").exists()   # nothing packaged


def test_the_tokenizer_dictionary_is_written_once_per_setting(tmp_path, monkeypatch):
    built: list[int] = []

    def fake_jieba(out, min_freq):
        built.append(min_freq)
        Path(out).write_text("词\n", encoding="utf-8")
        return 1

    monkeypatch.setattr(training, "jieba_dictionary", fake_jieba)
    recipe_path = tmp_path / "r.toml"
    text = ('[recipe]\nname = "r"\npackage = "r"\nseed = 3\n[zh-hans]\nshorthand = "zh_t"\ntrain = ["t.conllu"]\n'
            'dev = ["t.conllu"]\n[zh-hans.external_dict]\nsource = "jieba"\nmin_freq = {n}\n')
    recipe_path.write_text(text.format(n=5), encoding="utf-8")
    run = training.LanguageRun(training.load_recipe(recipe_path), "zh-hans", tmp_path, tmp_path / "w",
                               log=lambda m: None)
    (tmp_path / "w").mkdir()
    assert run._prepare_dictionary() and run._prepare_dictionary()
    assert built == [5]                               # the second call reused the list (no jieba needed)
    recipe_path.write_text(text.format(n=9), encoding="utf-8")
    run.recipe = training.load_recipe(recipe_path)
    run._prepare_dictionary()
    assert built == [5, 9]


@pytest.mark.parametrize("line, step, total", [
    ("2026-11-30 07:05:56 INFO: Finished STEP 20/2500, loss = 6.526180 (1.053 sec/batch)", 20, 2500),
    ("2026-11-30 07:10:38 INFO: step 250: train_loss = 4.054922, dev_score = 0.8009", 250, None),
    ("2026-11-30 07:37:24 INFO: Step     20/   800 Loss: 0.763", 20, 800),
    ("bert_warmup_steps: 500", None, None),
    ("log_step: 20", None, None),
    ("2026-11-30 07:05:29 INFO: Evaluating the model every 250 steps...", None, None),
])
def test_trainer_progress_lines(line, step, total):
    bar = training._StepBar("x", enabled=False)
    bar.update(line)
    assert bar.last_step == step
    m = training.STEP_RE.search(line)
    assert (int(m.group(2)) if m and m.group(2) else None) == total


def test_the_scorer_takes_a_sentence_longer_than_the_recursion_limit(tmp_path):
    """A poor tokenizer can make one 1,500-word sentence of a text; its chain of heads is scored
    (here gold = system: every score 100) instead of crashing the scorer's recursion."""
    from analysis.evaluation import score_files

    n = 1500
    rows = [f"{i}\tw{i}\tw{i}\tNOUN\tNN\t_\t{i + 1 if i < n else 0}\t{'dep' if i < n else 'root'}\t_\t_"
            for i in range(1, n + 1)]
    text = "# text = " + " ".join(f"w{i}" for i in range(1, n + 1)) + "\n" + "\n".join(rows) + "\n\n"
    (tmp_path / "g.conllu").write_text(text, encoding="utf-8")
    import sys

    import stanza.models.common.utils  # noqa: F401  (importing Stanza raises the limit to 3,000 itself)

    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)                      # Python's default, as in a fresh process elsewhere
    try:
        scores = score_files(tmp_path / "g.conllu", tmp_path / "g.conllu")
        assert sys.getrecursionlimit() == 1000       # put back afterwards
    finally:
        sys.setrecursionlimit(before)
    assert scores["LAS"] == 100.0 and scores["Words"] == 100.0


def test_cli_prepare_trains_nothing_and_says_how_to_go_on(tmp_path, monkeypatch, capsys):
    from analysis.cli import main

    recipe, calls = _staged(tmp_path, monkeypatch)
    assert main(["models", "train", "--recipe", str(recipe.path), "--ud", str(tmp_path / "ud"), "--out",
                 str(tmp_path / "out"), "--prepare", "--no-progress"]) == 0
    assert calls == ["data", "vectors"]
    assert "without --prepare" in capsys.readouterr().out
