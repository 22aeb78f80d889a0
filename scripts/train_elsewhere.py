"""Train a recipe's model set on another machine (a GPU lent for a few minutes) and bring it back.

Three steps, each a subcommand (docs/models.md, "Training on a GPU"):

``pack`` (here)
    ``tifa models train --prepare`` into ``--work`` (data, word vectors and the tokenizer's
    dictionary, for the final models and every cross-validation fold: the steps that need gensim
    and jieba), then writes ``--to`` (default ``.device/``): ``prepared.tar.xz`` (the prepared
    folder and the UD files the cross-validation reads), ``wheels/`` (Stanza and those of its
    requirements a bare PyTorch machine lacks, for Python 3.12 on x86-64 Linux) and
    ``manifest.json``.
``run`` (there)
    installs the wheels where Stanza is missing, unpacks, and trains with ``tifa models train``:
    one process per language, and per cross-validation fold, side by side (stops at once without a
    GPU, unless ``--allow-cpu``). The recipe's ``max_minutes`` stop each trainer in time, and none
    runs later than 1.5 minutes before the end of ``--minutes``, when whatever still runs is
    stopped. The fold that held out the recipe's ``compare`` sentences is scored on them a second
    time with the shipped tokenizer and lemmatizer (packed from ``--compare-with``). Writes the final
    models (in half precision, so that two languages' taggers and parsers fit through a 64 MiB
    return) with the logs, stage markers and cross-validation scores as ``results.tar.part-NN``
    files under ``--out`` each time a training process ends (so that a command killed early still
    returns what was done), and prints a summary.
``unpack`` (here)
    joins the parts into ``--work``, restores the models to single precision and packages them
    (``resources.json`` with the restored files' checksums). Then score them here:
    ``tifa models evaluate --models <work> --package <recipe package>``.

Half precision changes each weight by at most 2^-11 of its value (by less than 3e-8 for weights
under 6.1e-5, which half precision holds with fewer digits); the scores recorded are those of the
restored models, measured here.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parents[1]
#: Stanza and the requirements of its that the GPU machines' image lacks (docs: KINDS.md's list).
WHEELS = ("stanza", "emoji", "udtools", "udapi", "termcolor", "orjson", "platformdirs")
#: pip's platform tags for a manylinux x86-64 machine with CPython 3.12.
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64")
PART_BYTES = 15 * 2**20         # under the 16 MiB a returned file may have
MAX_PARTS = 7                   # with summary.json: the 8 files that may come back
PACKING_SECONDS = 30            # kept after the trainers' deadline for packing the results
RESULTS = "results.tar"


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# pack (here)


def ud_files(recipe: Any) -> list[str]:
    """The UD files a run reads after preparation: those of languages with cross-validation folds
    (their folds are rebuilt from the ``cv`` files, the tokenizer's extra sentences read there)."""
    names: set[str] = set()
    for conf in recipe.languages.values():
        if not conf.get("folds"):
            continue
        for key in ("train", "dev", "cv", "tokenize_extra"):
            names.update(spec.split("[")[0] for spec in conf.get(key) or [])
        if conf.get("compare"):
            names.add(conf["compare"].split("[")[0])
    return sorted(names)


def pack(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    from analysis.training import load_recipe, train_models

    recipe = load_recipe(args.recipe)
    ud, work, to = Path(args.ud).resolve(), Path(args.work), Path(args.to)
    _say(f"preparing {work} (recipe {recipe.name})")
    train_models(recipe, ud, work, languages=args.lang or None, prepare_only=True, progress=False, log=_say)
    to.mkdir(parents=True, exist_ok=True)
    archive = to / "prepared.tar.xz"
    with tarfile.open(archive.with_suffix(".xz.tmp"), "w:xz", preset=1) as tar:
        tar.add(work, arcname=work.name)
        for name in ud_files(recipe):
            tar.add(ud / name, arcname=f"{ud.name}/{name}")
    os.replace(archive.with_suffix(".xz.tmp"), archive)
    if not args.no_wheels:
        wheels = to / "wheels"
        shutil.rmtree(wheels, ignore_errors=True)
        from importlib import metadata

        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
               "--python-version", args.python_version, "--implementation", "cp", "-d", str(wheels)]
        for platform in PLATFORMS:
            cmd += ["--platform", platform]
        for name in WHEELS:   # the version installed here, else the newest built for that Python
            pinned = f"{name}=={metadata.version(name)}"
            if subprocess.run([*cmd, pinned], capture_output=True).returncode:
                _say(f"{pinned} has no wheel for Python {args.python_version}: taking the newest {name}")
                subprocess.run([*cmd, name], check=True, capture_output=True)
    shipped = None
    if args.compare_with:
        directory, _, package = args.compare_with.rpartition(":")
        if not directory or not (Path(directory) / "resources.json").exists():
            raise SystemExit(f"--compare-with {args.compare_with!r}: not DIR:PACKAGE of a Stanza resources "
                             f"directory ('' to score no comparison)")
        shipped = {"package": package, "languages": []}
        shutil.rmtree(to / "shipped", ignore_errors=True)
        for lang, conf in recipe.languages.items():
            if conf.get("folds") and conf.get("compare") and (args.lang is None or lang in args.lang):
                model_subset(Path(directory), package, lang, SWAPPED, to / "shipped")
                shipped["languages"].append(lang)
    (to / "recipe.toml").write_text(recipe.text, encoding="utf-8")   # the run reads this copy
    manifest = {"recipe": recipe.name, "package": recipe.package, "work": work.name, "ud": ud.name,
                "languages": args.lang or list(recipe.languages), "shipped": shipped}
    (to / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    size = sum(p.stat().st_size for p in to.rglob("*") if p.is_file())
    _say(f"packed {to}: {size / 2**20:.1f} MiB (prepared.tar.xz {archive.stat().st_size / 2**20:.1f} MiB)")
    return 0


#: The processors taken from the shipped set when the comparison fold is scored the second way.
SWAPPED = ("tokenize", "lemma")


def model_subset(source: Path, package: str, lang: str, processors: Sequence[str], dest: Path) -> None:
    """Copy ``processors`` of ``lang`` (package ``package``) from the Stanza resources directory
    ``source`` into ``dest``, with a ``resources.json`` that lists only them."""
    resources = json.loads((source / "resources.json").read_text(encoding="utf-8"))
    code = resources.get(lang, {}).get("alias", lang)
    entry = resources[code]
    chosen = entry["packages"][package] if "packages" in entry and package in entry["packages"] else \
        {proc: package for proc in processors}
    kept: dict[str, Any] = {"lang_name": entry.get("lang_name", lang), "default_processors": {},
                            "packages": {package: {}}}
    out_path = dest / "resources.json"
    merged = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() else {}
    for proc in processors:
        model = chosen[proc]
        kept[proc] = {model: entry[proc][model]}
        kept["default_processors"][proc] = model
        kept["packages"][package][proc] = model
        target = dest / code / proc / f"{model}.pt"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / code / proc / f"{model}.pt", target)
    merged[code] = kept
    if code != lang:
        merged[lang] = {"alias": code}
    dest.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(merged, indent=1), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# run (there)


def _ensure_stanza(source: Path) -> dict[str, str]:
    """Install the packed wheels into a private folder when Stanza is not importable; returns the
    environment for the training processes."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    paths = [str(ROOT)]
    if importlib.util.find_spec("stanza") is None:
        site = Path(os.environ.get("TMPDIR", "/tmp")) / "tifa-site"
        wheels = sorted((source / "wheels").glob("*.whl"))
        if not wheels:
            raise SystemExit(f"Stanza is not installed and {source / 'wheels'} has no wheels (run `pack` without --no-wheels)")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                        "--no-cache-dir", "--upgrade", "--target", str(site), *map(str, wheels)], check=True)
        paths.append(str(site))
        sys.path.append(str(site))       # this process scores the comparison fold with Stanza too
    env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in [os.environ.get("PYTHONPATH")] if p])
    return env


#: What a training process runs: :func:`analysis.training.train_models` (as ``tifa models train``
#: does, without importing the command line's other subcommands and their requirements).
TRAIN = ("import json, sys; from analysis.training import train_models; "
         "a = json.loads(sys.argv[1]); train_models(a['recipe'], a['ud'], a['out'], languages=[a['lang']], "
         "cv=a['cv'], only_folds=a['folds'], progress=False, deadline=a['deadline'])")


def _train_command(manifest: dict, recipe: Any, lang: str, *, cv: bool, folds: list[int] | None = None,
                   deadline: float | None = None) -> list[str]:
    spec = {"recipe": str(recipe.path), "ud": manifest["ud"], "out": manifest["work"], "lang": lang, "cv": cv,
            "folds": folds, "deadline": deadline}
    return [sys.executable, "-c", TRAIN, json.dumps(spec)]


def _jobs(manifest: dict, recipe: Any, deadline: float | None = None) -> list[tuple[str, list[str]]]:
    """One training process per language, and per fold for languages with folds. The last fold to be
    scored pools the cross-validation table."""
    jobs = []
    for lang in manifest["languages"]:
        folds = int(recipe.language(lang).get("folds") or 0)
        jobs += [(f"{lang}-fold-{k}", _train_command(manifest, recipe, lang, cv=True, folds=[k], deadline=deadline))
                 for k in range(1, folds + 1)]
        jobs.append((f"{lang}-final", _train_command(manifest, recipe, lang, cv=False, deadline=deadline)))
    return jobs


def _check_gpu(allow_cpu: bool) -> str:
    """The GPU's name; without one, stop at once unless ``allow_cpu`` (Stanza would quietly train on
    the CPU, and every time limit would pass before a first checkpoint)."""
    import torch

    if torch.cuda.is_available():
        torch.zeros(1, device="cuda")
        return torch.cuda.get_device_name(0)
    if not allow_cpu:
        raise SystemExit("no CUDA device here: this schedule is for a GPU (pass --allow-cpu to rehearse it on a CPU)")
    return "cpu"


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)


def run(args: argparse.Namespace) -> int:
    start = time.monotonic()
    source, out = Path(args.source).resolve(), Path(args.out).resolve()
    if not (source / "manifest.json").exists():
        raise SystemExit(f"{source} is not a pack (no manifest.json): run `pack` first and carry its folder")
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    device = _check_gpu(args.allow_cpu)
    env = _ensure_stanza(source)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    os.chdir(args.workdir)
    if not Path(manifest["work"]).is_dir():
        with tarfile.open(source / "prepared.tar.xz") as tar:
            tar.extractall(".", filter="data")
    sys.path.insert(0, str(ROOT))
    from analysis.training import load_recipe

    recipe = load_recipe(source / "recipe.toml")
    work = Path(manifest["work"])
    logs = work / "runs"
    logs.mkdir(exist_ok=True)
    guard = start + 60 * args.minutes
    # the trainers stop a minute before this (analysis.training), leaving time to retag, score and package
    deadline = time.time() + (guard - time.monotonic()) - PACKING_SECONDS
    procs: dict[str, subprocess.Popen] = {}
    for name, cmd in _jobs(manifest, recipe, deadline):
        with open(logs / f"{name}.log", "w", encoding="utf-8") as fh:
            procs[name] = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    _say(f"{device}: started {len(procs)} training processes: {', '.join(procs)}")
    timed_out, reported, converted = False, set(), {}
    while True:
        ended = {n for n, p in procs.items() if p.poll() is not None}
        if ended - reported:       # results so far: what comes back even if this command is killed
            for name in sorted(ended - reported):
                _say(f"{name} ended (exit {procs[name].returncode})")
            reported = ended
            write_results(work, out, converted)
        if len(ended) == len(procs):
            break
        if time.monotonic() > guard:
            _say(f"the run's {args.minutes:g} minutes are up: stopping {', '.join(sorted(set(procs) - ended))}")
            _stop(procs)
            timed_out = True
            break
        time.sleep(2)
    for proc in procs.values():
        proc.wait()
    failed = {n: p.returncode for n, p in procs.items() if p.returncode != 0}
    compared: dict[str, Any] = {}
    if manifest.get("shipped") and time.monotonic() < guard:
        try:
            compared = compare_with_shipped(work, recipe, manifest, source / "shipped")
        except Exception as exc:     # the trained models and their scores still come back
            compared = {"error": f"{type(exc).__name__}: {exc}"}
    summary = summarize(work, device, elapsed=time.monotonic() - start, failed=failed, timed_out=timed_out)
    summary["compare_with_shipped"] = compared
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    parts = write_results(work, out, converted)
    print(brief(summary))
    _say(f"{len(parts)} result parts in {out}; here: python scripts/train_elsewhere.py unpack --from <that folder>")
    return 1 if failed or timed_out else 0


def compare_with_shipped(work: Path, recipe: Any, manifest: dict, shipped: Path) -> dict:
    """The fold that held out each language's ``compare`` sentences, scored on them again with the
    shipped tokenizer and lemmatizer in place of its own (the estimate for a final set combined that
    way: `tifa models combine --take LANG:tokenize=...`). Written to ``cv/<lang>/compare-shipped.json``."""
    from analysis.evaluation import score_blocks
    from analysis.training import combine_model_sets, select_sentences

    results = {}
    for lang in manifest["shipped"]["languages"]:
        conf = recipe.language(lang)
        folds = sorted((work / "cv" / lang).glob("fold-*/scores.json"))
        fold = next((f.parent for f in folds if "compare" in json.loads(f.read_text(encoding="utf-8"))), None)
        if fold is None:
            continue
        package = manifest["shipped"]["package"]
        mix = combine_model_sets(fold / "compare-mix", "mix", {
            lang: (fold / "resources", recipe.package),
            **{f"{lang}:{proc}": (shipped, package) for proc in SWAPPED}})
        blocks = select_sentences(conf["compare"], Path(manifest["ud"]).resolve())
        scores = score_blocks(blocks, lang, mix, "mix")
        results[lang] = {"fold": fold.name, "spec": conf["compare"], "shipped": list(SWAPPED), **scores}
        (work / "cv" / lang / "compare-shipped.json").write_text(json.dumps(results[lang], indent=1), encoding="utf-8")
    return results


def summarize(work: Path, device: str, *, elapsed: float, failed: dict, timed_out: bool) -> dict:
    """Each model set's stage markers (time limits reached, last steps) and the scores so far."""
    sets: dict[str, Any] = {}
    for marker_dir in sorted({m.parent for m in work.glob("**/*.done.json")}):
        sets[str(marker_dir.relative_to(work))] = {
            m.name[:-len(".done.json")]: {k: v for k, v in json.loads(m.read_text(encoding="utf-8")).items() if k != "key"}
            for m in sorted(marker_dir.glob("*.done.json"))}
        scores = marker_dir / "scores.json"
        if scores.exists():
            sets[str(marker_dir.relative_to(work))]["scores"] = json.loads(scores.read_text(encoding="utf-8"))
    cv = {p.stem: json.loads(p.read_text(encoding="utf-8")).get("pooled") for p in work.glob("cv-*.json")}
    import torch

    return {"elapsed_minutes": round(elapsed / 60, 2), "failed": failed, "timed_out": timed_out,
            "device": device, "torch": torch.__version__, "cv_pooled": cv, "model_sets": sets}


def brief(summary: dict) -> str:
    """The summary in a few lines: each model set's time-limited stages and its held-out scores."""
    lines = [f"{summary['elapsed_minutes']} min on {summary['device']} (torch {summary['torch']}); "
             f"failed: {summary['failed'] or 'none'}; stopped by --minutes: {summary['timed_out']}"]
    for name, stages in summary["model_sets"].items():
        limited = [f"{st} (step {info.get('last_step')})" for st, info in stages.items()
                   if isinstance(info, dict) and info.get("time_limit_minutes")]
        done = [st for st in stages if st != "scores"]
        scores = stages.get("scores") or {}
        measured = " ".join(f"{m} {scores[m]:.2f}" for m in ("Words", "UPOS", "LAS") if m in scores)
        lines.append(f"{name}: {len(done)} stages done; at their time limit: {', '.join(limited) or 'none'}"
                     + (f"; held out: {measured}" if measured else ""))
    for name, pooled in summary["cv_pooled"].items():
        if pooled:
            lines.append(f"{name} pooled: " + " ".join(f"{m} {pooled[m]:.2f}" for m in ("Words", "UPOS", "LAS")
                                                       if m in pooled))
    for lang, scores in (summary.get("compare_with_shipped") or {}).items():
        if lang == "error":
            lines.append(f"the comparison with the shipped tokenizer failed: {scores}")
            continue
        lines.append(f"{lang} {scores['fold']} on {scores['spec']} with the shipped tokenizer and lemmatizer: "
                     + " ".join(f"{m} {scores[m]:.2f}" for m in ("Words", "UPOS", "LAS")))
    return "\n".join(lines)


def _cast(value: Any, source: str, target: str) -> Any:
    """``value`` (a model file's dict, nested) with every tensor of dtype ``source`` cast to ``target``."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.to(getattr(torch, target)) if value.dtype == getattr(torch, source) else value
    if isinstance(value, dict):
        return {k: _cast(v, source, target) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, source, target) for v in value)
    return value


def write_results(work: Path, out: Path, converted: dict | None = None) -> list[Path]:
    """The final models of ``work/work/<lang>/`` in half precision (not the word vectors: they were
    made by ``pack`` and are still here), logs, markers, scores and the folds' held-out parses (from
    which the pooled table is rebuilt), split into parts under ``out``. The folds' models stay there.

    ``converted`` keeps each model's half-precision bytes between calls (``run`` writes the results
    each time a process ends): a model file not changed since is not converted again."""
    import torch

    converted = {} if converted is None else converted

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(work.rglob("*")):
            rel = path.relative_to(work)
            keep = (path.suffix in (".log", ".json") or (path.suffix == ".conllu" and rel.parent.name == "eval") or
                    (path.suffix == ".pt" and rel.parts[0] == "work" and len(rel.parts) == 3
                     and path.name != "pretrain.pt"))
            if not path.is_file() or not keep or "resources" in rel.parts or "compare-mix" in rel.parts:
                continue
            if path.suffix == ".pt":
                stat = path.stat()
                stamp = (stat.st_mtime_ns, stat.st_size)
                if converted.get(path, (None,))[0] != stamp:
                    data = io.BytesIO()
                    torch.save(_cast(torch.load(path, map_location="cpu", weights_only=False), "float32", "float16"),
                               data)
                    converted[path] = (stamp, data.getvalue())
                half = converted[path][1]
                info = tarfile.TarInfo(str(rel) + ".half")
                info.size = len(half)
                tar.addfile(info, io.BytesIO(half))
            else:
                tar.add(path, arcname=str(rel))
    blob = buffer.getvalue()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{RESULTS}.part-*"):
        old.unlink()
    if len(blob) > MAX_PARTS * PART_BYTES:
        raise SystemExit(f"the results are {len(blob) / 2**20:.0f} MiB: more than {MAX_PARTS} parts of "
                         f"{PART_BYTES // 2**20} MiB can come back (smaller models in the recipe)")
    parts = []
    for i in range(0, len(blob), PART_BYTES):
        part = out / f"{RESULTS}.part-{i // PART_BYTES:02d}"
        part.write_bytes(blob[i:i + PART_BYTES])
        parts.append(part)
    return parts


# --------------------------------------------------------------------------------------------
# unpack (here)


def unpack(args: argparse.Namespace) -> int:
    import torch

    sys.path.insert(0, str(ROOT))
    from analysis.training import load_recipe, package_resources

    source, work = Path(args.source), Path(args.work)
    parts = sorted(source.glob(f"{RESULTS}.part-*"))
    if not parts:
        raise SystemExit(f"no {RESULTS}.part-* files in {source}")
    blob = b"".join(p.read_bytes() for p in parts)
    restored = []
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        for member in tar.getmembers():
            target = work / member.name
            if not member.isfile() or ".." in Path(member.name).parts:
                continue
            data = tar.extractfile(member).read()
            target.parent.mkdir(parents=True, exist_ok=True)
            if member.name.endswith(".pt.half"):
                target = target.with_suffix("")             # x.pt.half -> x.pt
                model = _cast(torch.load(io.BytesIO(data), map_location="cpu", weights_only=False), "float16", "float32")
                torch.save(model, target)
                restored.append(target)
            else:
                target.write_bytes(data)
    if not args.recipe and not (Path(args.pack) / "recipe.toml").exists():
        raise SystemExit(f"{args.pack} has no recipe.toml: name the pack folder (--pack) or the recipe (--recipe)")
    recipe = load_recipe(args.recipe or Path(args.pack) / "recipe.toml")
    for lang_dir in sorted((work / "work").iterdir()):
        if (lang_dir / "package.done.json").exists():
            package_resources(lang_dir, lang_dir.name, recipe.package, work)
    skipped = sorted({f"{lang}:{proc}" for lang, conf in recipe.languages.items() for proc, table in conf.items()
                      if isinstance(table, dict) and table.get("skip")})
    _say(f"restored {len(restored)} models into {work} (package {recipe.package!r}); "
         + (f"it has no {', '.join(skipped)}: take them from another set with `tifa models combine --take` "
            f"(docs/models.md, 'Training on a GPU'), then score" if skipped else "score it")
         + " with `tifa models evaluate --models DIR --package NAME`")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="prepare the data here and pack it with Stanza's wheels")
    p.add_argument("--recipe", default="gpu")
    p.add_argument("--ud", default="../shared/ud")
    p.add_argument("--work", default="models/gpu")
    p.add_argument("--to", default=".device")
    p.add_argument("--lang", action="append", choices=("en", "zh-hans"))
    p.add_argument("--no-wheels", action="store_true", help="do not download Stanza's wheels")
    p.add_argument("--python-version", default="3.12", help="the other machine's Python (default 3.12)")
    p.add_argument("--compare-with", default="../shared/stanza_resources:default", metavar="DIR:PACKAGE",
                   help="the set whose tokenizer and lemmatizer the comparison fold is also scored with "
                        "(default: the shipped compact set; '' for none)")
    p.set_defaults(func=pack)
    r = sub.add_parser("run", help="train there (start it in the repository root)")
    r.add_argument("--from", dest="source", default=".device")
    r.add_argument("--out", required=True, help="folder for the result parts (e.g. $OUT)")
    r.add_argument("--workdir", default="models", help="where the prepared folder is unpacked (default: models, "
                                                      "which git ignores: a second run on the same machine resumes)")
    r.add_argument("--minutes", type=float, default=8.5,
                   help="stop everything after this many minutes (default 8.5); the trainers stop 1.5 minutes "
                        "before, so that the last stages and the packing finish")
    r.add_argument("--allow-cpu", action="store_true", help="run without a GPU (a rehearsal)")
    r.set_defaults(func=run)
    u = sub.add_parser("unpack", help="bring the results into the prepared folder here")
    u.add_argument("--from", dest="source", required=True, help="the folder holding results.tar.part-*")
    u.add_argument("--work", default="models/gpu")
    u.add_argument("--pack", default=".device", help="the folder `pack` wrote (its recipe.toml is used)")
    u.add_argument("--recipe", help="recipe name or file (default: the pack's recipe.toml)")
    u.set_defaults(func=unpack)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
