"""The model-set resolver: precedence, aliases, identity, clear errors, no network."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from conftest import isolate_from_models

from analysis import models
from analysis.cli import main
from analysis.errors import ModelNotFoundError, TifaError
from analysis.models import ModelSet, resolve_model_set, stanza_language


def make_resources(root: Path, *, package: str = "compact", langs=("en", "zh-hans"), payload: bytes = b"model") -> Path:
    """A fake Stanza resources directory: resources.json + small model files with true MD5s."""
    md5 = hashlib.md5(payload).hexdigest()
    resources: dict = {"zh": {"alias": "zh-hans"}}
    for lang in langs:
        procs = ["tokenize", "pos", "lemma", "depparse"] + (["mwt"] if lang == "en" else [])
        entry = {p: {package: {"md5": md5}} for p in procs}
        entry["pos"][package]["dependencies"] = [{"model": "pretrain", "package": package}]
        entry["depparse"][package]["dependencies"] = [{"model": "pretrain", "package": package}]
        entry["pretrain"] = {package: {"md5": md5}}
        entry["default_processors"] = {p: package for p in procs}
        entry["packages"] = {package: {p: package for p in procs}, "default": {p: package for p in procs}}
        entry["lang_name"] = lang
        resources[lang] = entry
        for p in [*procs, "pretrain"]:
            f = root / lang / p / f"{package}.pt"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(payload)
    root.mkdir(parents=True, exist_ok=True)
    (root / "resources.json").write_text(json.dumps(resources), encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No ambient configuration: no env vars, no config files, an empty home."""
    home, _work = isolate_from_models(monkeypatch, tmp_path)
    return home


def test_language_aliases():
    assert stanza_language("zh") == "zh-hans"
    assert stanza_language("ZH") == "zh-hans"
    assert stanza_language("en") == "en"


def test_explicit_dir_resolves_both_languages(tmp_path):
    res = make_resources(tmp_path / "res")
    ms = resolve_model_set(res, "compact")
    assert ms.languages == ("en", "zh-hans")
    assert ms.processors["en"] == {"tokenize": "compact", "mwt": "compact", "pos": "compact", "lemma": "compact",
                                   "depparse": "compact"}
    assert "mwt" not in ms.processors["zh-hans"]
    assert "zh-hans/pretrain/compact" in ms.checksums  # dependencies are part of the identity
    assert ms.id.startswith("compact-") and len(ms.id) == len("compact-") + 8
    assert ms.require("zh") == ms.processors["zh-hans"]
    assert ms.verify() == []


def test_default_package_maps_to_the_package_name(tmp_path):
    ms = resolve_model_set(make_resources(tmp_path / "res"))  # package "default"
    assert ms.package == "default" and ms.name == "compact"
    assert ms.id == resolve_model_set(tmp_path / "res", "compact").id


def test_precedence_argument_env_config_default(tmp_path, monkeypatch, clean_env):
    a = make_resources(tmp_path / "a", payload=b"A")
    b = make_resources(tmp_path / "b", payload=b"B")
    c = make_resources(tmp_path / "c", payload=b"C")
    d = make_resources(clean_env / "stanza_resources", payload=b"D")  # Stanza's default dir
    assert resolve_model_set().dir == d and "Stanza's default" in resolve_model_set().source
    cfg = clean_env / ".config" / "tifa" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(f'[models]\ndir = "{c}"\n', encoding="utf-8")
    assert resolve_model_set().dir == c
    monkeypatch.setenv(models.ENV_DIR, str(b))
    assert resolve_model_set().dir == b
    assert resolve_model_set(a).dir == a
    assert len({resolve_model_set(x).id for x in (a, b, c, d)}) == 4  # different checksums, different ids


def test_project_config_file_wins_over_user_config_and_resolves_relative_to_itself(tmp_path, clean_env):
    make_resources(tmp_path / "work" / "models" / "res")
    (tmp_path / "work" / "tifa.toml").write_text('[models]\ndir = "models/res"\npackage = "compact"\n', encoding="utf-8")
    user = clean_env / ".config" / "tifa" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[models]\ndir = "/nowhere"\n', encoding="utf-8")
    ms = resolve_model_set()
    assert ms.dir == (tmp_path / "work" / "models" / "res").resolve()
    assert ms.package == "compact"


def test_relative_env_dir_resolves_against_cwd(tmp_path, monkeypatch):
    make_resources(tmp_path / "shared" / "stanza_resources")
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    monkeypatch.setenv(models.ENV_DIR, "../shared/stanza_resources")
    monkeypatch.setenv(models.ENV_PACKAGE, "compact")
    ms = resolve_model_set()
    assert ms.dir == (tmp_path / "shared" / "stanza_resources").resolve()
    assert "$TIFA_STANZA_PACKAGE" in ms.source


def test_identity_is_independent_of_location_but_not_of_models(tmp_path, monkeypatch):
    one = resolve_model_set(make_resources(tmp_path / "one"))
    two = resolve_model_set(make_resources(tmp_path / "two"))
    assert one.id == two.id
    other = resolve_model_set(make_resources(tmp_path / "three", payload=b"retrained"))
    assert other.id != one.id
    monkeypatch.setattr(models, "stanza_version", lambda: "99.0")
    assert resolve_model_set(tmp_path / "one").id != one.id  # a new Stanza version is a new model set


def test_missing_directory_says_how_to_get_models(tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(ModelNotFoundError) as exc:
        resolve_model_set(tmp_path / "absent")
    assert time.perf_counter() - t0 < 5  # no network, no hang
    msg = str(exc.value)
    assert "does not exist" in msg and "tifa models download" in msg and "TIFA_STANZA_DIR" in msg


def test_missing_model_file_and_missing_language(tmp_path):
    res = make_resources(tmp_path / "res")
    (res / "zh-hans" / "depparse" / "compact.pt").unlink()
    ms = resolve_model_set(res)  # en still usable
    assert ms.languages == ("en",)
    assert "depparse/compact.pt is missing" in ms.missing["zh-hans"]
    with pytest.raises(ModelNotFoundError, match="zh-hans"):
        ms.require("zh")
    with pytest.raises(ModelNotFoundError, match="missing.*tifa models download"):
        resolve_model_set(res, require=("zh",))
    with pytest.raises(ModelNotFoundError, match="unknown"):
        resolve_model_set(res, "unknown")


def test_not_a_resources_directory(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="no resources.json"):
        resolve_model_set(tmp_path / "empty")


def test_verify_detects_changed_model_file(tmp_path):
    res = make_resources(tmp_path / "res")
    ms = resolve_model_set(res)
    (res / "en" / "pos" / "compact.pt").write_bytes(b"corrupted")
    assert ms.verify() == ["en/pos/compact"]


def test_pipeline_is_built_offline(tmp_path, monkeypatch):
    """pipeline() passes download_method=None and the resolved processor packages to Stanza."""
    import stanza

    seen = {}

    def fake_pipeline(lang, **kwargs):
        seen.update(kwargs, lang=lang)
        return "nlp"

    monkeypatch.setattr(stanza, "Pipeline", fake_pipeline)
    ms = resolve_model_set(make_resources(tmp_path / "res"))
    assert ms.pipeline("zh") == "nlp"
    assert seen["lang"] == "zh-hans" and seen["download_method"] is None
    assert seen["processors"] == {"tokenize": "compact", "pos": "compact", "lemma": "compact", "depparse": "compact"}


def test_download_failure_is_a_clear_error(tmp_path, monkeypatch):
    import requests
    import stanza

    def no_network(*args, **kwargs):
        raise requests.ConnectionError("Failed to resolve 'raw.githubusercontent.com'")

    monkeypatch.setattr(stanza, "download", no_network)
    with pytest.raises(ModelNotFoundError, match="could not download Stanza models.*TIFA_STANZA_DIR"):
        models.download_models(("en",), tmp_path / "dl", timeout=1)


def test_cli_models_list(tmp_path, capsys):
    res = make_resources(tmp_path / "res")
    assert main(["models", "list", "--models", str(res), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["lang"], r["processor"]) for r in rows} >= {("en", "mwt"), ("zh-hans", "depparse")}
    assert all(r["active"] and r["installed"] for r in rows)
    assert main(["models", "list", "--models", str(res), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "active model set: compact-" in out


def test_cli_models_list_without_models_exits_2(tmp_path, capsys):
    assert main(["models", "list", "--models", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tifa: error:") and "tifa models download" in err


def test_model_set_is_a_tifa_error_subclass():
    assert issubclass(ModelNotFoundError, TifaError)
    ms = ModelSet(Path("x"), "p", {"en": {"tokenize": "p"}}, {"en/tokenize/p": "0"}, "1.0")
    assert ms.provenance()["model_set"] == ms.id


def test_malformed_config_file_is_a_clear_error(tmp_path):
    (tmp_path / "work" / "tifa.toml").write_text("[models\ndir = 1\n", encoding="utf-8")
    with pytest.raises(TifaError, match="tifa.toml: not valid TOML"):
        resolve_model_set()
    (tmp_path / "work" / "tifa.toml").write_text('models = "x"\n', encoding="utf-8")
    with pytest.raises(TifaError, match=r"\[models\] must be a table"):
        resolve_model_set()
