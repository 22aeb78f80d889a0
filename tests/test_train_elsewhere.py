"""scripts/train_elsewhere.py: what travels to the GPU machine and what comes back.

The models come back in half precision and are restored here; the fold models stay there but their
scores and held-out parses come back. Built by hand: a prepared folder with a trained tagger file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from analysis import training

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def elsewhere():
    spec = importlib.util.spec_from_file_location("train_elsewhere", ROOT / "scripts" / "train_elsewhere.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gpu_recipe_carries_only_the_cross_validated_languages_ud_files(elsewhere):
    recipe = training.load_recipe("gpu")
    assert elsewhere.ud_files(recipe) == ["zh_gsdsimp-ud-dev.conllu", "zh_gsdsimp-ud-test.conllu",
                                          "zh_pud-ud-test.t2s.conllu"]
    jobs = [name for name, _ in elsewhere._jobs({"languages": ["en", "zh-hans"], "ud": "ud", "work": "gpu"}, recipe)]
    assert jobs == ["en-final", *[f"zh-hans-fold-{k}" for k in range(1, 6)], "zh-hans-final"]
    # every trainer of the lent machine's schedule has a time limit, except those it skips
    for lang, conf in recipe.languages.items():
        for proc in training.TRAINERS:
            if (lang, proc) == ("zh-hans", "mwt"):
                continue                            # Chinese UD has no multi-word tokens: the stage never runs
            table = conf.get(proc) or {}
            assert table.get("skip") or table.get("max_minutes"), (lang, proc)


def _prepared(root: Path, torch) -> Path:
    """A model folder as the other machine leaves it: final models, a fold, packaged resources."""
    work = root / "gpu"
    lang = work / "work" / "en"
    lang.mkdir(parents=True)
    gen = torch.Generator().manual_seed(0)
    # weights from 1e-8 to 1: half precision holds those under 6.1e-5 with fewer digits
    w = torch.randn(64, 32, generator=gen) * 10 ** (-8 * torch.rand(64, 32, generator=gen))
    torch.save({"model": {"w": w, "steps": torch.arange(3)},
                "config": {"hidden_dim": 32}}, lang / "pos.pt")
    (lang / "pretrain.pt").write_bytes(b"vectors made here")
    (lang / "package.done.json").write_text(json.dumps({"key": "k"}), encoding="utf-8")
    (lang / "pos.log").write_text("step 250: train_loss = 1.0\n", encoding="utf-8")
    fold = work / "cv" / "zh-hans" / "fold-1"
    (fold / "eval").mkdir(parents=True)
    (fold / "eval" / "system.conllu").write_text("# text = 词\n1\t词\n\n", encoding="utf-8")
    (fold / "scores.json").write_text(json.dumps({"model": "k", "LAS": 50.0}), encoding="utf-8")
    (fold / "pos.pt").write_bytes(b"a fold's model")
    (work / "en" / "pos").mkdir(parents=True)
    (work / "en" / "pos" / "r.pt").write_bytes(b"packaged")
    return work


def test_results_come_back_in_parts_and_are_restored(tmp_path, monkeypatch, elsewhere):
    torch = pytest.importorskip("torch")
    there = _prepared(tmp_path / "there", torch)
    monkeypatch.setattr(elsewhere, "PART_BYTES", 4096)
    converted: dict = {}
    parts = elsewhere.write_results(there, tmp_path / "out", converted)
    assert len(parts) > 1 and all(p.stat().st_size <= 4096 for p in parts)
    first = [p.read_bytes() for p in parts]
    casts, cast = [], elsewhere._cast
    monkeypatch.setattr(elsewhere, "_cast", lambda *a: casts.append(a) or a[0])
    again = elsewhere.write_results(there, tmp_path / "out", converted)   # written again as processes end
    assert casts == [] and [p.read_bytes() for p in again] == first          # unchanged models not reconverted
    monkeypatch.setattr(elsewhere, "_cast", cast)
    # here: the prepared folder holds the word vectors already
    here = tmp_path / "here" / "gpu"
    (here / "work" / "en").mkdir(parents=True)
    (here / "work" / "en" / "pretrain.pt").write_bytes(b"vectors made here")
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "recipe.toml").write_text('[recipe]\nname = "t"\npackage = "t"\nseed = 1\n'
                                                  '[en]\nshorthand = "en_t"\ntrain = ["x"]\ndev = ["x"]\n',
                                                  encoding="utf-8")
    args = argparse.Namespace(source=str(tmp_path / "out"), work=str(here),
                              pack=str(tmp_path / "pack"), recipe=None)
    assert elsewhere.unpack(args) == 0
    original = torch.load(there / "work" / "en" / "pos.pt", weights_only=False)["model"]["w"]
    restored = torch.load(here / "work" / "en" / "pos.pt", weights_only=False)
    w = restored["model"]["w"]
    assert w.dtype == torch.float32 and restored["config"] == {"hidden_dim": 32}
    assert torch.equal(restored["model"]["steps"], torch.arange(3))           # integers untouched
    normal = original.abs() >= 6.1e-5
    error = (w - original).abs()
    assert 0 < (error[normal] / original[normal].abs()).max().item() <= 2 ** -11   # half precision, no worse
    assert error[~normal].max().item() <= 3e-8 and (~normal).sum() > 100
    # fold scores and held-out parses come back; fold models and packaged copies do not
    assert json.loads((here / "cv" / "zh-hans" / "fold-1" / "scores.json").read_text(encoding="utf-8"))["LAS"] == 50.0
    assert (here / "cv" / "zh-hans" / "fold-1" / "eval" / "system.conllu").exists()
    assert not (here / "cv" / "zh-hans" / "fold-1" / "pos.pt").exists()
    assert (here / "work" / "en" / "pretrain.pt").read_bytes() == b"vectors made here"
    # packaged here, with the checksums of the restored files
    resources = json.loads((here / "resources.json").read_text(encoding="utf-8"))
    packaged = here / "en" / "pos" / "t.pt"
    assert resources["en"]["pos"]["t"]["md5"] == hashlib.md5(packaged.read_bytes()).hexdigest()


def test_a_subset_of_a_model_set_lists_only_its_processors(tmp_path, elsewhere):
    """`pack` copies the shipped tokenizer and lemmatizer alone; combined with a set's tagger and
    parser, they make a whole set (the comparison fold scored the second way)."""
    from analysis.models import resolve_model_set

    def _fake_models(folder: Path) -> None:
        for proc in ("pretrain", "tokenize", "pos", "lemma", "depparse"):
            (folder / f"{proc}.pt").write_bytes(f"fake {proc} model".encode())

    work = tmp_path / "work"
    work.mkdir()
    _fake_models(work)
    shipped = training.package_resources(work, "zh-hans", "default", tmp_path / "shipped")
    elsewhere.model_subset(shipped, "default", "zh-hans", elsewhere.SWAPPED, tmp_path / "subset")
    resources = json.loads((tmp_path / "subset" / "resources.json").read_text(encoding="utf-8"))
    assert sorted(resources["zh-hans"]["packages"]["default"]) == ["lemma", "tokenize"]
    assert sorted(p.name for p in (tmp_path / "subset" / "zh-hans").iterdir()) == ["lemma", "tokenize"]
    other = tmp_path / "other"
    other.mkdir()
    _fake_models(other)
    (other / "tokenize.pt").write_bytes(b"own tokenizer")
    trained = training.package_resources(other, "zh-hans", "t", tmp_path / "trained")
    mix = training.combine_model_sets(tmp_path / "mix", "mix", {
        "zh-hans": (trained, "t"), **{f"zh-hans:{p}": (tmp_path / "subset", "default") for p in elsewhere.SWAPPED}})
    assert (mix / "zh-hans" / "tokenize" / "mix.pt").read_bytes() == b"fake tokenize model"
    assert resolve_model_set(mix, "mix", languages=("zh-hans",)).verify() == []
