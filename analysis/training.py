"""Train a Stanza model set from UD treebanks: data, word vectors, and Stanza's own trainers, per recipe.

``tifa models train --recipe cpu --ud ../shared/ud --out models/offline-cpu`` builds a Stanza
resources directory (the layout of ``stanza.download()``, with ``resources.json``) that the model
resolver (:mod:`analysis.models`) uses like any other: ``--models models/offline-cpu --package
<recipe package>``.

**One recipe file holds every choice** (``analysis/data/recipes/<name>.toml``, or a path): which
treebanks form train and dev per language, the word-vector settings, and the arguments passed to
each Stanza trainer. Tifa only orchestrates: every model is trained by Stanza's own entry point
(``stanza.models.tokenizer``, ``mwt_expander``, ``tagger``, ``lemmatizer``, ``parser``), each in its
own subprocess (:mod:`analysis._stanza_entry`) with the recipe's seed and thread count.

**Stages** per language, in order: ``data`` (assemble train/dev CoNLL-U and the raw text and
character labels the tokenizer learns from), ``vectors`` (gensim word2vec on the lower-cased
training words, saved as a Stanza pretrain file), ``tokenize``, ``mwt`` (only where the training
data has multi-word tokens), ``pos``, ``lemma``, ``retag`` (the parser learns from the trained
tagger's predicted tags, as at parse time), ``depparse``, then ``package`` (copy into the resources
layout and write ``resources.json`` with each file's MD5). Each stage's result is written under
``<out>/work/<lang>/`` and marked done by a ``<stage>.done.json`` holding the hash of its settings:
an interrupted run resumes at the first stage that is not done, and a changed recipe redoes only
the stages whose settings changed and the stages that read their output (:data:`DEPENDS`: a new
lemmatizer schedule leaves the tagger and parser alone; a new tagger redoes retagging and the parser).

**Tifa's own keys in a processor table** (not passed to Stanza): ``max_minutes`` stops the trainer
after that many minutes of wall-clock time and keeps the best model it saved on dev before then (for
a machine lent for minutes, whose speed is not known in advance; the stage marker records the limit
and the last step reached); ``skip = true`` trains no model for a tokenizer, multi-word-token
expander or lemmatizer (take it from another set: ``tifa models combine --take``).

**Prepare here, train elsewhere**: ``prepare_only`` (``tifa models train --prepare``) runs only the
stages before the first trainer, for the final model and every fold; the same command without it
then trains, on this machine or on one that has Stanza but neither gensim nor jieba
(``scripts/train_elsewhere.py`` packs, runs and brings back such a run).

**Chinese cross-validation** (recipe key ``folds``): the in-domain sentences (``cv`` files, in
order) are cut into ``folds`` contiguous parts; part *k* is held out while a model set is trained on
the rest with the same recipe, and scored end to end on it (:mod:`analysis.evaluation`). Every
sentence is scored once, held out; the per-fold scores and the pooled table go to
``<out>/cv-<lang>.json``. The final model then trains on all in-domain sentences.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from importlib import resources as _resources
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ._atomic import atomic_path, write_text_atomic
from .errors import ParameterError, TrainingError
from .languages import joiner

#: Stage order for one language; ``mwt`` is skipped where the training data has no multi-word token.
STAGES = ("data", "vectors", "tokenize", "mwt", "pos", "lemma", "retag", "depparse", "package")
#: The stages whose output each stage reads: a stage is redone when its settings or theirs change.
DEPENDS = {
    "data": (), "vectors": ("data",), "tokenize": ("data",), "mwt": ("data",), "pos": ("vectors",),
    "lemma": ("data",), "retag": ("pos",), "depparse": ("retag", "vectors"),
    "package": ("tokenize", "mwt", "pos", "lemma", "depparse"),
}
#: The Stanza trainer behind each model stage.
TRAINERS = {
    "tokenize": "stanza.models.tokenizer",
    "mwt": "stanza.models.mwt_expander",
    "pos": "stanza.models.tagger",
    "lemma": "stanza.models.lemmatizer",
    "depparse": "stanza.models.parser",
}
LANG_NAMES = {"en": "English", "zh-hans": "Simplified_Chinese"}
RECIPE_DIR = "data/recipes"


# --------------------------------------------------------------------------------------------
# recipe


@dataclass
class Recipe:
    """A parsed recipe file: ``name``, ``package`` (the resources.json package name), ``seed``,
    ``threads``, and one table per language (``en``, ``zh-hans``)."""

    name: str
    package: str
    seed: int
    threads: int
    languages: dict[str, dict[str, Any]]
    path: Path | None = None
    text: str = ""

    def language(self, lang: str) -> dict[str, Any]:
        try:
            return self.languages[lang]
        except KeyError:
            raise ParameterError(f"recipe {self.name!r} has no language {lang!r}; it has "
                                 f"{', '.join(self.languages)}") from None


#: With a run's deadline: no trainer starts with less than this, and each stops this long before the
#: deadline, leaving time for retagging, scoring and packaging.
MIN_TRAINER_SECONDS, DEADLINE_RESERVE_SECONDS = 30.0, 60.0
#: Keys of a processor table that Tifa reads itself (not passed to the Stanza trainer).
TIFA_KEYS = ("max_minutes", "skip")
#: Processors that need no word vectors: they can come from another model set than the language's
#: tagger (``tifa models combine --take``), so a recipe may leave them untrained (``skip = true``).
SWAPPABLE = ("tokenize", "mwt", "lemma")


def _check_trainer_table(path: Path, lang: str, proc: str, table: dict[str, Any]) -> None:
    conf = table.get(proc) or {}
    where = f"recipe {path}: [{lang}.{proc}]"
    limit = conf.get("max_minutes")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0):
        raise ParameterError(f"{where} max_minutes must be a positive number of minutes, not {limit!r}")
    skip = conf.get("skip", False)
    if not isinstance(skip, bool):
        raise ParameterError(f"{where} skip must be true or false, not {skip!r}")
    if skip and proc not in SWAPPABLE:
        raise ParameterError(f"{where} cannot be skipped: only {', '.join(SWAPPABLE)} can "
                             f"(take them from another set with `tifa models combine --take`)")
    if skip and table.get("folds"):
        raise ParameterError(f"{where} cannot be skipped in a language with cross-validation folds: "
                             f"each fold is scored end to end by its own model set")


def available_recipes() -> list[str]:
    """Names of the recipes shipped with Tifa (``analysis/data/recipes/*.toml``)."""
    root = _resources.files("analysis").joinpath(RECIPE_DIR)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_recipe(name_or_path: str | os.PathLike) -> Recipe:
    """Read a recipe by shipped name (``cpu``, ``gpu``) or by path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        candidate = Path(str(_resources.files("analysis").joinpath(RECIPE_DIR, f"{name_or_path}.toml")))
        if not candidate.exists():
            raise ParameterError(f"unknown recipe {str(name_or_path)!r}: use one of "
                                 f"{', '.join(available_recipes())} or the path of a .toml file")
        path = candidate
    if not path.is_file():
        raise ParameterError(f"recipe file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"recipe {path}: not valid TOML: {exc}") from None
    head = raw.get("recipe", {})
    missing = [k for k in ("name", "package", "seed") if k not in head]
    if missing:
        raise ParameterError(f"recipe {path}: [recipe] lacks {', '.join(missing)}")
    languages = {k: v for k, v in raw.items() if k != "recipe"}
    for lang, table in languages.items():
        if lang not in LANG_NAMES:
            raise ParameterError(f"recipe {path}: unknown language table [{lang}] (use en, zh-hans)")
        for key in ("shorthand", "train", "dev"):
            if key not in table:
                raise ParameterError(f"recipe {path}: [{lang}] lacks {key!r}")
        unknown = set(table) - {"shorthand", "train", "dev", "cv", "folds", "external_dict", "licence",
                                "vectors", "retag", "compare", "tokenize_extra", *TRAINERS}
        if unknown:
            raise ParameterError(f"recipe {path}: [{lang}] has unknown keys {', '.join(sorted(unknown))}")
        for proc in TRAINERS:
            _check_trainer_table(path, lang, proc, table)
    return Recipe(name=head["name"], package=head["package"], seed=int(head["seed"]),
                  threads=int(head.get("threads", 1)), languages=languages, path=path, text=text)


# --------------------------------------------------------------------------------------------
# CoNLL-U data


def read_sentences(path: str | os.PathLike) -> list[str]:
    """The sentence blocks of a CoNLL-U file (comments included, no trailing blank line)."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"treebank not found: {path} (point --ud at the folder of UD .conllu files)")
    text = path.read_text(encoding="utf-8")
    return [b.strip("\n") for b in text.split("\n\n") if b.strip()]


def select_sentences(spec: str, ud_dir: Path) -> list[str]:
    """``file.conllu`` or ``file.conllu[a:b]`` (a Python slice of its sentences) under ``ud_dir``."""
    match = re.fullmatch(r"([^\[\]]+)(?:\[(-?\d*):(-?\d*)\])?", spec.strip())
    if not match:
        raise ParameterError(f"bad treebank spec {spec!r}: use file.conllu or file.conllu[a:b]")
    name, a, b = match.groups()
    blocks = read_sentences(ud_dir / name)
    if a is None:
        return blocks
    return blocks[int(a) if a else None:int(b) if b else None]


def gather(specs: Iterable[str], ud_dir: Path) -> list[str]:
    out: list[str] = []
    for spec in specs:
        out += select_sentences(spec, ud_dir)
    return out


def write_conllu(blocks: Sequence[str], path: Path) -> None:
    write_text_atomic(path, "\n\n".join(blocks) + "\n\n")


def raw_text(blocks: Sequence[str], lang: str) -> str:
    """The raw text of CoNLL-U sentences, from their ``# text`` comments: sentences of a paragraph
    joined by a space (by nothing in Chinese), paragraphs (``# newpar``/``# newdoc``) by a blank line."""
    glue = joiner(lang)
    paragraphs: list[list[str]] = []
    for block in blocks:
        lines = block.splitlines()
        texts = [line.split("=", 1)[1].strip() for line in lines if line.startswith("# text =")]
        if not texts:
            raise TrainingError(f"a sentence has no '# text =' comment: {lines[0] if lines else ''!r}")
        if not paragraphs or any(line.startswith(("# newpar", "# newdoc")) for line in lines):
            paragraphs.append([])
        paragraphs[-1].append(texts[0])
    return "\n\n".join(glue.join(p) for p in paragraphs) + "\n"


def words_of(blocks: Iterable[str]) -> Iterable[list[str]]:
    """The syntactic words (FORM column, multi-word token ranges and empty nodes left out) of each sentence."""
    for block in blocks:
        words = []
        for line in block.splitlines():
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if "-" in cols[0] or "." in cols[0]:
                continue
            words.append(cols[1])
        yield words


def has_mwt(blocks: Iterable[str]) -> bool:
    return any(re.match(r"^\d+-\d+\t", line) for b in blocks for line in b.splitlines())


def folds(n: int, k: int) -> list[range]:
    """``k`` contiguous parts of ``range(n)`` whose sizes differ by at most one (the first ``n % k`` are longer)."""
    if not 2 <= k <= n:
        raise ParameterError(f"folds must be between 2 and the number of sentences ({n}); got {k}")
    size, extra = divmod(n, k)
    out, start = [], 0
    for i in range(k):
        stop = start + size + (1 if i < extra else 0)
        out.append(range(start, stop))
        start = stop
    return out


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# word vectors and external dictionary


def train_vectors(sentences: Iterable[list[str]], out: Path, *, dim: int = 100, window: int = 5,
                  min_count: int = 2, epochs: int = 10, seed: int = 1234) -> int:
    """gensim word2vec (skip-gram off: CBOW, gensim's default) on lower-cased words, one worker so that
    a seed gives the same vectors; saved as a Stanza pretrain file. Returns the vocabulary size."""
    from gensim.models import Word2Vec
    from stanza.models.common.pretrain import Pretrain

    corpus = [[w.lower() for w in s] for s in sentences if s]
    model = Word2Vec(corpus, vector_size=dim, window=window, min_count=min_count, workers=1, seed=seed,
                     epochs=epochs)
    text_path = out.with_suffix(".vec.txt")
    model.wv.save_word2vec_format(str(text_path))
    tmp = out.with_name(out.name + ".partial.pt")
    Pretrain(str(tmp), str(text_path), save_to_file=True).load()
    os.replace(tmp, out)
    text_path.unlink()
    return len(model.wv)


def jieba_dictionary(out: Path, min_freq: int = 5) -> int:
    """Words of jieba's dictionary (``jieba/dict.txt``: word, frequency, tag) with frequency >= ``min_freq``
    and more than one character, one per line: the Chinese tokenizer's external dictionary."""
    try:
        import jieba
    except ImportError:
        raise TrainingError("the recipe's Chinese tokenizer uses jieba's word list: install the training "
                            "extra (`pip install -e \".[train]\"`)") from None
    source = Path(jieba.__file__).with_name("dict.txt")
    words = []
    for line in source.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) > 1 and int(parts[1]) >= min_freq:
            words.append(parts[0])
    write_text_atomic(out, "\n".join(words) + "\n")
    return len(words)


# --------------------------------------------------------------------------------------------
# stages


def _stage_hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _args(table: dict[str, Any]) -> list[str]:
    """Recipe keys to Stanza command-line flags: ``true`` → ``--flag``; ``false`` → left out."""
    out: list[str] = []
    for key, value in table.items():
        if value is False or value is None:
            continue
        out.append(f"--{key}")
        if value is not True:
            out.append(str(value))
    return out


#: A trainer's progress lines: "Finished STEP 20/2500" (tagger, parser, every few steps), "step 250:
#: train_loss = ..." (at each dev evaluation), "Step     20/   800 Loss" (tokenizer), "Epoch 3".
STEP_RE = re.compile(r"\b(?i:step)\s+(\d+)\s*(?:/\s*(\d+)|:)|[Ee]poch (\d+)")


def trainer_command(module: str, args: list[str]) -> list[str]:
    """The command line that runs a Stanza entry point (tests replace it with a fake trainer)."""
    return [sys.executable, "-m", "analysis._stanza_entry", module, *args]


def run_stanza(module: str, args: list[str], log: Path, *, threads: int,
               on_line: Callable[[str], None] | None = None, cwd: Path | None = None,
               time_limit: float | None = None) -> bool:
    """Run a Stanza entry point in a subprocess (through :mod:`analysis._stanza_entry`), output to ``log``.

    ``cwd`` (default: the log's folder) must not hold a file named like the model being saved: Stanza
    takes an existing ``save_name`` in the working directory for the model path and fails.

    ``time_limit`` (seconds): the trainer is stopped once it has run that long; returns True when it
    was (what it saved before then stays on disk), False when it ended by itself.
    """
    import threading

    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               PYTHONUNBUFFERED="1")
    cmd = trainer_command(module, args)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                cwd=cwd or log.parent)
        stopped = threading.Event()

        def stop() -> None:
            stopped.set()
            proc.terminate()

        timer = threading.Timer(time_limit, stop) if time_limit is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        if proc.stdout is None:  # pragma: no cover - stdout=PIPE always gives one
            raise TrainingError(f"{module}: no output stream")
        try:
            for line in proc.stdout:
                fh.write(line)
                fh.flush()  # the log shows the trainer's progress as it goes
                if on_line:
                    on_line(line)
        except BaseException:
            proc.kill()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        rc = proc.wait()
        if stopped.is_set():
            fh.write(f"[tifa] stopped at the time limit ({time_limit:g} s)\n")
            return True
    if rc != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        raise TrainingError(f"{module} failed (exit {rc}); log: {log}; last lines: " + " | ".join(tail))
    return False


@dataclass
class LanguageRun:
    """Training one model set for one language (the final model, or one cross-validation fold)."""

    recipe: Recipe
    lang: str
    ud_dir: Path
    work: Path
    train_blocks: list[str] | None = None     # override (a fold): otherwise the recipe's train files
    progress: bool = True
    log: Callable[[str], None] = print
    prepare_only: bool = False                # stop before the first trainer (see train_models)
    deadline: float | None = None             # time.time() by which every trainer must have stopped

    @property
    def conf(self) -> dict[str, Any]:
        return self.recipe.language(self.lang)

    @property
    def shorthand(self) -> str:
        return self.conf["shorthand"]

    def path(self, name: str) -> Path:
        return self.work / name

    # -- resume bookkeeping
    def _marker(self, stage: str) -> Path:
        return self.work / f"{stage}.done.json"

    def _is_done(self, stage: str, key: str) -> bool:
        marker = self._marker(stage)
        if not marker.exists():
            return False
        try:
            return json.loads(marker.read_text(encoding="utf-8")).get("key") == key
        except json.JSONDecodeError:
            return False

    def _mark(self, stage: str, key: str, **info: Any) -> None:
        write_text_atomic(self._marker(stage), json.dumps({"key": key, **info}, indent=1, sort_keys=True))

    def run(self) -> Path:
        """Run every stage not yet done; returns the resources directory of this model set."""
        self.work.mkdir(parents=True, exist_ok=True)
        base = _stage_hash(self.recipe.seed, self.lang, self.ud_dir.name,
                           None if self.train_blocks is None else _stage_hash(self.train_blocks))
        keys: dict[str, str] = {}
        for stage in STAGES:
            setting = self.conf.get(stage) if stage in TRAINERS else self._setting(stage)
            # a stage's key: its own settings and the keys of the stages whose output it reads
            keys[stage] = _stage_hash(base, stage, setting, [keys[d] for d in DEPENDS[stage]])
            chain = keys[stage]
            if self.prepare_only and stage in TRAINERS:
                self._prepare_dictionary()
                self.log(f"  {self.lang}: data and vectors ready; trainers not run (prepare only)")
                return self.work / "resources"
            if stage in TRAINERS and self._table(stage).get("skip"):
                self.path(f"{stage}.pt").unlink(missing_ok=True)    # not packaged: a skipped model is none
                self.log(f"  {self.lang} {stage}: skipped (the recipe says skip; take it from another set)")
                continue
            if stage == "mwt" and not has_mwt(read_sentences(self.path("train.conllu"))):
                self.log(f"  {self.lang} {stage}: skipped (no multi-word tokens in the training data)")
                continue
            if self._is_done(stage, chain):
                self.log(f"  {self.lang} {stage}: done earlier (resumed)")
                continue
            self.log(f"  {self.lang} {stage} ...")
            info = getattr(self, f"_stage_{stage}")() or {}
            self._mark(stage, chain, **info)
        return self.work / "resources"

    def _setting(self, stage: str) -> Any:
        conf = self.conf
        if stage == "data":
            return {k: conf.get(k) for k in ("train", "dev", "cv", "folds")}
        if stage == "vectors":
            return conf.get("vectors", {})
        if stage == "tokenize":
            return [conf.get("tokenize"), conf.get("external_dict"), conf.get("tokenize_extra")]
        if stage == "retag":
            return conf.get("retag", True)
        return None

    # -- stages
    def _stage_data(self) -> dict:
        train = self.train_blocks if self.train_blocks is not None else gather(self.conf["train"], self.ud_dir)
        dev = gather(self.conf["dev"], self.ud_dir)
        if not train or not dev:
            raise TrainingError(f"{self.lang}: empty training or dev data")
        for name, blocks in (("train", train), ("dev", dev)):
            write_conllu(blocks, self.path(f"{name}.conllu"))
            write_text_atomic(self.path(f"{name}.txt"), raw_text(blocks, self.lang))
            self._token_labels(name)
        return {"train_sentences": len(train), "dev_sentences": len(dev)}

    def _token_labels(self, name: str) -> None:
        from stanza.utils.datasets import prepare_tokenizer_data

        out = self.path(f"{name}.toklabels")
        prepare_tokenizer_data.main([str(self.path(f"{name}.txt")), str(self.path(f"{name}.conllu")),
                                     "-o", str(out), "-m", str(self.path(f"{name}-mwt.json"))])

    def _stage_vectors(self) -> dict:
        settings = dict(self.conf.get("vectors", {}))
        n = train_vectors(words_of(read_sentences(self.path("train.conllu"))), self.path("pretrain.pt"),
                          seed=self.recipe.seed, **settings)
        return {"vocabulary": n}

    def _table(self, stage: str) -> dict[str, Any]:
        """The recipe's table for a trainer stage (empty if the recipe has none)."""
        return self.conf.get(stage) or {}

    def _trainer_args(self, stage: str) -> list[str]:
        """The recipe's table for ``stage`` as Stanza flags (Tifa's own keys, :data:`TIFA_KEYS`, left out)."""
        return _args({k: v for k, v in self._table(stage).items() if k not in TIFA_KEYS})

    def _train(self, stage: str, args: list[str], save: str) -> dict:
        """Run the stage's Stanza trainer; returns what the stage marker records.

        With ``max_minutes`` in the stage's table the trainer is stopped after that many minutes and the
        best model it saved so far (Stanza saves one at each dev evaluation that improves on the
        last) is kept: the marker says so, with the last step reached. A step budget alone is not a
        time budget on a machine whose speed is unknown (a GPU lent for a quarter of an hour)."""
        limit = self._table(stage).get("max_minutes")
        seconds = None if limit is None else 60.0 * limit
        if self.deadline is not None:   # a run's deadline shortens the limit, keeping time for the stages after
            left = max(MIN_TRAINER_SECONDS, self.deadline - time.time() - DEADLINE_RESERVE_SECONDS)
            seconds = left if seconds is None else min(seconds, left)
        tmp_dir = self.work / f"{stage}.tmp"
        shutil.rmtree(tmp_dir, ignore_errors=True)
        tmp_dir.mkdir(parents=True)
        bar = _StepBar(f"{self.lang} {stage}", self.progress)
        log = self.work / f"{stage}.log"
        try:
            stopped = run_stanza(TRAINERS[stage], [*args, "--save_dir", str(tmp_dir), "--save_name", save,
                                                   "--seed", str(self.recipe.seed)],
                                 log, threads=self.recipe.threads, on_line=bar.update, cwd=tmp_dir,
                                 # not the work folder: a previous run's model there would confuse Stanza
                                 time_limit=seconds)
        finally:
            bar.close()
        produced = tmp_dir / save
        if not produced.exists():
            if stopped:
                raise TrainingError(f"{TRAINERS[stage]} reached its time limit ({seconds / 60:.2g} min) before it saved a "
                                    f"model: raise max_minutes or evaluate on dev sooner (eval_interval, "
                                    f"eval_steps); log: {log}")
            raise TrainingError(f"{TRAINERS[stage]} wrote no model ({produced}); log: {log}")
        info: dict[str, Any] = {}
        if stopped:
            _check_model_file(produced, log)
            info = {"time_limit_minutes": round(seconds / 60, 2), "last_step": bar.last_step}
            self.log(f"  {self.lang} {stage}: stopped at its {seconds / 60:.2g}-minute limit (step {bar.last_step}); "
                     f"kept the best model saved before then")
        os.replace(produced, self.path(f"{stage}.pt"))
        shutil.rmtree(tmp_dir, ignore_errors=True)
        return info

    def _common(self) -> list[str]:
        return ["--lang", self.lang, "--shorthand", self.shorthand]

    def _tokenizer_training_data(self) -> tuple[str, int]:
        """The tokenizer's training files: the language's ``train`` sentences, plus the recipe's
        ``tokenize_extra`` sentences (treebanks whose segmentation matches, used for no other model)."""
        extra_specs = self.conf.get("tokenize_extra") or []
        if not extra_specs:
            return "train", 0
        extra = gather(extra_specs, self.ud_dir)
        clash = set(extra) & set(read_sentences(self.path("dev.conllu")))
        if clash:
            raise ParameterError(f"[{self.lang}] tokenize_extra shares {len(clash)} sentences with the dev set")
        blocks = [*read_sentences(self.path("train.conllu")), *extra]
        write_conllu(blocks, self.path("train-tok.conllu"))
        write_text_atomic(self.path("train-tok.txt"), raw_text(blocks, self.lang))
        self._token_labels("train-tok")
        return "train-tok", len(extra)

    def _stage_tokenize(self) -> dict:
        name, n_extra = self._tokenizer_training_data()
        if n_extra:
            self.log(f"  {self.lang} tokenize: {n_extra:,} extra sentences ({', '.join(self.conf['tokenize_extra'])})")
        args = ["--txt_file", str(self.path(f"{name}.txt")), "--label_file", str(self.path(f"{name}.toklabels")),
                "--dev_txt_file", str(self.path("dev.txt")), "--dev_label_file", str(self.path("dev.toklabels")),
                "--dev_conll_gold", str(self.path("dev.conllu")), "--conll_file", str(self.path("dev.tok.conllu")),
                "--mwt_json_file", str(self.path("dev-mwt.json")), *self._common()]
        if self._prepare_dictionary():
            args += ["--use_dictionary", "--external_dict", str(self.path("external_dict.txt"))]
        info = self._train("tokenize", [*args, *self._trainer_args("tokenize")], "tokenize.pt")
        return {**info, "extra_sentences": n_extra} if n_extra else info

    def _prepare_dictionary(self) -> bool:
        """Write the recipe's external word list for the tokenizer (``external_dict.txt``), once: a list
        already written with the same settings is reused (a prepared folder needs no jieba where it
        trains). Returns whether the recipe has one."""
        external = self.conf.get("external_dict")
        if not external:
            return False
        if external.get("source") != "jieba":
            raise ParameterError(f"external_dict source {external.get('source')!r}: only 'jieba' is supported")
        settings = {"source": "jieba", "min_freq": int(external.get("min_freq", 5))}
        meta, words = self.path("external_dict.json"), self.path("external_dict.txt")
        try:
            known = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            known = {}
        if words.exists() and {k: known.get(k) for k in settings} == settings:
            return True
        n = jieba_dictionary(words, settings["min_freq"])
        write_text_atomic(meta, json.dumps({**settings, "words": n}))
        self.log(f"  {self.lang} tokenize: external dictionary of {n:,} jieba words")
        return True

    def _stage_mwt(self) -> dict:
        args = ["--train_file", str(self.path("train.conllu")), "--eval_file", str(self.path("dev.conllu")),
                "--output_file", str(self.path("dev.mwt.conllu")), "--gold_file", str(self.path("dev.conllu")),
                *self._common()]
        return self._train("mwt", [*args, *self._trainer_args("mwt")], "mwt.pt")

    def _stage_pos(self) -> dict:
        args = ["--train_file", str(self.path("train.conllu")), "--eval_file", str(self.path("dev.conllu")),
                "--output_file", str(self.path("dev.pos.conllu")),
                "--wordvec_pretrain_file", str(self.path("pretrain.pt")), *self._common()]
        return self._train("pos", [*args, *self._trainer_args("pos")], "pos.pt")

    def _stage_lemma(self) -> dict:
        args = ["--train_file", str(self.path("train.conllu")), "--eval_file", str(self.path("dev.conllu")),
                "--output_file", str(self.path("dev.lemma.conllu")), "--shorthand", self.shorthand]
        return self._train("lemma", [*args, *self._trainer_args("lemma")], "lemma.pt")

    def _stage_retag(self) -> dict:
        """Tag train and dev with the trained tagger, so the parser learns from the tags it will see."""
        if not self.conf.get("retag", True):
            for name in ("train", "dev"):
                shutil.copyfile(self.path(f"{name}.conllu"), self.path(f"{name}.retagged.conllu"))
            return {"retag": False}
        for name in ("train", "dev"):
            out = self.path(f"{name}.retagged.conllu")
            tmp = out.with_name(out.name + ".partial")
            run_stanza(TRAINERS["pos"], ["--mode", "predict", "--eval_file", str(self.path(f"{name}.conllu")),
                                         "--output_file", str(tmp), "--save_dir", str(self.work),
                                         "--save_name", "pos.pt", "--wordvec_pretrain_file",
                                         str(self.path("pretrain.pt")), *self._common()],
                       self.work / f"retag-{name}.log", threads=self.recipe.threads)
            os.replace(tmp, out)
        return {"retag": True}

    def _stage_depparse(self) -> dict:
        args = ["--train_file", str(self.path("train.retagged.conllu")),
                "--eval_file", str(self.path("dev.retagged.conllu")),
                "--output_file", str(self.path("dev.depparse.conllu")),
                "--wordvec_pretrain_file", str(self.path("pretrain.pt")), *self._common()]
        return self._train("depparse", [*args, *self._trainer_args("depparse")], "depparse.pt")

    def _stage_package(self) -> dict:
        return {"resources": str(package_resources(self.work, self.lang, self.recipe.package,
                                                   self.work / "resources"))}


def _check_model_file(path: Path, log: Path) -> None:
    """A model file saved by a trainer that was then stopped must load (it may have been cut mid-write)."""
    import torch

    try:
        torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises several kinds for a truncated file
        raise TrainingError(f"{path.name} was being written when its trainer reached the time limit and is "
                            f"unreadable ({type(exc).__name__}); rerun the stage; log: {log}") from None


def package_resources(work: Path, lang: str, package: str, out: Path) -> Path:
    """Copy the trained models of ``work`` into a Stanza resources directory ``out`` and (re)write its
    ``resources.json`` entry for ``lang`` (other languages' entries are kept)."""
    entry: dict[str, Any] = {"lang_name": LANG_NAMES[lang], "packages": {}, "default_processors": {}}
    processors = ["pretrain"] + [p for p in TRAINERS if (work / f"{p}.pt").exists()]
    for proc in processors:
        source = work / f"{proc}.pt"
        target = out / lang / proc / f"{package}.pt"
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
        item: dict[str, Any] = {"md5": _md5(target)}
        if proc in ("pos", "depparse"):
            item["dependencies"] = [{"model": "pretrain", "package": package}]
        entry[proc] = {package: item}
    chosen = {p: package for p in processors if p != "pretrain"}
    entry["packages"] = {package: dict(chosen), "default": dict(chosen)}
    entry["default_processors"] = dict(chosen)
    merge_resources(out, {lang: entry, **({"zh": {"alias": "zh-hans"}} if lang == "zh-hans" else {})})
    return out


def merge_resources(out: Path, entries: dict[str, Any]) -> None:
    from filelock import FileLock

    path = out / "resources.json"
    out.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out / ".resources.lock")):  # two languages may train side by side into one folder
        current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        current.update(entries)
        write_text_atomic(path, json.dumps(current, indent=2, sort_keys=True) + "\n")



def combine_model_sets(out: str | os.PathLike, package: str,
                       sources: dict[str, tuple[str | os.PathLike, str]]) -> Path:
    """Build a resources directory ``out`` whose package ``package`` takes each language from another
    model set: ``sources = {"en": (dir, package), "zh-hans": (dir, package)}``; a key
    ``"lang:processor"`` (a processor of :data:`SWAPPABLE`) takes that one processor from yet another
    set, e.g. ``{"zh-hans": (trained, "offline"), "zh-hans:tokenize": (shipped, "default")}``.

    For keeping the better model per language (e.g. a retrained English with the compact Chinese).
    Model files are copied (keep ``out`` out of git), ``resources.json`` lists their MD5s, so the
    combined set has its own identity (:attr:`analysis.models.ModelSet.id`).
    """
    from .models import REQUIRED_PROCESSORS, resolve_model_set

    out = Path(out)
    swaps: dict[str, dict[str, tuple[str | os.PathLike, str]]] = {}
    for key, source in sources.items():
        lang, _, proc = key.partition(":")
        if lang not in LANG_NAMES:
            raise ParameterError(f"unknown language {lang!r} (use en, zh-hans)")
        if proc:
            if proc not in SWAPPABLE:
                raise ParameterError(f"{key!r}: only {', '.join(SWAPPABLE)} can come from another model set "
                                     "(the tagger and parser must share their word vectors)")
            if lang not in sources:
                raise ParameterError(f"{key!r}: say where the rest of {lang} comes from ({lang}=DIR:PACKAGE)")
            swaps.setdefault(lang, {})[proc] = source
    for lang, (directory, source_package) in sources.items():
        if ":" in lang:
            continue
        # the processors taken from other sets may be missing here (a recipe that skipped them)
        source = resolve_model_set(directory, source_package, languages=(lang,), require=(lang,),
                                   partial=tuple(swaps.get(lang, {})))
        work = out / "combine" / lang
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for proc, proc_package in source.processors[lang].items():
            shutil.copyfile(Path(source.dir) / lang / proc / f"{proc_package}.pt", work / f"{proc}.pt")
        for proc, (swap_dir, swap_package) in swaps.get(lang, {}).items():
            other = resolve_model_set(swap_dir, swap_package, languages=(lang,), require=(lang,),
                                      partial=tuple(p for p in REQUIRED_PROCESSORS if p != proc))
            if proc not in other.processors[lang]:
                raise ParameterError(f"{swap_dir} (package {swap_package!r}) has no {lang} {proc} model")
            shutil.copyfile(Path(other.dir) / lang / proc / f"{other.processors[lang][proc]}.pt", work / f"{proc}.pt")
        resources = json.loads((Path(source.dir) / "resources.json").read_text(encoding="utf-8"))
        pos_entry = resources[lang]["pos"][source.processors[lang]["pos"]]
        pretrain_package = next(d["package"] for d in pos_entry.get("dependencies", []) if d["model"] == "pretrain")
        pretrain = Path(source.dir) / lang / "pretrain" / f"{pretrain_package}.pt"
        if not pretrain.exists():
            raise TrainingError(f"{directory}: no {lang} pretrain file {pretrain.name}")
        shutil.copyfile(pretrain, work / "pretrain.pt")
        package_resources(work, lang, package, out)
    record = {key: {"models": str(Path(d).resolve()), "package": pkg} for key, (d, pkg) in sources.items()}
    write_text_atomic(out / f"combined-{package}.json", json.dumps(record, indent=1, sort_keys=True))
    return out


class _StepBar:
    """A tqdm bar fed by the ``STEP i/n`` lines of a Stanza trainer's log."""

    def __init__(self, label: str, enabled: bool):
        self.label, self.enabled, self.bar = label, enabled, None
        self.last_step: int | None = None

    def update(self, line: str) -> None:
        m = STEP_RE.search(line)
        if not m or not m.group(1):
            return
        step = int(m.group(1))
        self.last_step = step
        if not self.enabled or m.group(2) is None:
            return
        total = int(m.group(2))
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=self.label, unit="step", leave=False)
        self.bar.n = step
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------------------------
# the whole run


def train_models(recipe: Recipe | str | os.PathLike, ud_dir: str | os.PathLike, out: str | os.PathLike, *,
                 languages: Sequence[str] | None = None, cv: bool = True, progress: bool = True,
                 only_folds: Sequence[int] | None = None, prepare_only: bool = False,
                 deadline: float | None = None, log: Callable[[str], None] = print) -> Path:
    """Train the recipe's model set into ``out`` (a Stanza resources directory plus ``work/``).

    For a language with ``folds`` and ``cv`` files, ``cv=True`` first trains and scores one model set
    per fold (``<out>/cv/<lang>/fold-<k>/``) and writes ``<out>/cv-<lang>.json``; the final model
    trains on the recipe's ``train`` files. Resumable: rerun the same command after an interruption.

    ``only_folds`` (1-based) trains and scores just those folds and no final model, so that folds can
    run side by side in separate processes; the pooled table is written once every fold is scored.

    ``prepare_only`` runs the stages before the first trainer (data, word vectors, the tokenizer's
    external dictionary) for the final model and every fold, and trains nothing: the prepared
    ``out`` folder can then train on another machine that needs only Stanza (no gensim, no jieba).

    ``deadline`` (a ``time.time()`` value): every trainer stops a minute before it, whatever its
    recipe's ``max_minutes`` (for a machine lent until a given time).
    """
    recipe = recipe if isinstance(recipe, Recipe) else load_recipe(recipe)
    # absolute paths: Stanza's trainers run in a subprocess and choke on an empty save_dir
    ud_dir, out = Path(ud_dir).resolve(), Path(out).resolve()
    if not ud_dir.is_dir():
        raise TrainingError(f"UD folder not found: {ud_dir}")
    langs = list(languages) if languages else list(recipe.languages)
    for lang in langs:
        recipe.language(lang)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "recipe.toml", recipe.text)
    for lang in langs:
        conf = recipe.language(lang)
        if only_folds is not None:
            if not conf.get("folds"):
                raise ParameterError(f"[{lang}] the recipe has no cross-validation folds")
            cross_validate(recipe, lang, ud_dir, out, progress=progress, log=log, only=only_folds,
                           prepare_only=prepare_only, deadline=deadline)
            continue
        if cv and conf.get("folds"):
            cross_validate(recipe, lang, ud_dir, out, progress=progress, log=log, prepare_only=prepare_only,
                           deadline=deadline)
        log(f"{lang}: final model")
        LanguageRun(recipe, lang, ud_dir, out / "work" / lang, progress=progress, log=log,
                    prepare_only=prepare_only, deadline=deadline).run()
        if not prepare_only:
            package_resources(out / "work" / lang, lang, recipe.package, out)
    return out


def _model_key(work: Path) -> str | None:
    """The key of a fold's packaged model set (its package stage marker), or None."""
    try:
        return json.loads((work / "package.done.json").read_text(encoding="utf-8")).get("key")
    except (OSError, json.JSONDecodeError):
        return None


def _fold_scores(work: Path) -> dict | None:
    """A fold's recorded scores, if they belong to the model set now in its folder (else None)."""
    try:
        scores = json.loads((work / "scores.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    model = scores.pop("model", None)
    return scores if model is not None and model == _model_key(work) else None


def cross_validate(recipe: Recipe, lang: str, ud_dir: Path, out: Path, *, progress: bool = True,
                   log: Callable[[str], None] = print, only: Sequence[int] | None = None,
                   prepare_only: bool = False, deadline: float | None = None) -> dict | None:
    """k-fold cross-validation over the recipe's ``cv`` sentences (see the module docstring).

    With a recipe key ``compare`` (a treebank spec inside the ``cv`` sentences, e.g. the sentences a
    reference model did not train on), the fold model that held those sentences out is also scored
    on them alone (``compare`` in the JSON).
    """
    from .evaluation import pool_folds, score_blocks

    conf = recipe.language(lang)
    pool = gather(conf["cv"], ud_dir)
    extra = [s for s in conf["train"] if s not in conf["cv"]]
    extra_blocks = gather(extra, ud_dir) if extra else []
    position = {b: i for i, b in enumerate(pool)}
    if conf.get("compare"):
        compare_blocks = select_sentences(conf["compare"], ud_dir)
        try:
            compare_idx = [position[b] for b in compare_blocks]
        except KeyError:
            raise ParameterError(f"[{lang}] compare {conf['compare']!r} is not inside the cv sentences") from None
    parts = folds(len(pool), int(conf["folds"]))
    # the fold that holds out the comparison sentences runs first: its score is the comparison
    order = sorted(range(len(parts)), key=lambda k: not (conf.get("compare") and
                                                          all(i in parts[k] for i in compare_idx)))
    if only is not None:
        bad = [k for k in only if not 1 <= int(k) <= len(parts)]
        if bad:
            raise ParameterError(f"[{lang}] folds are numbered 1-{len(parts)}; got {bad}")
        wanted = {int(f) for f in only}
        order = [k for k in order if k + 1 in wanted]
    for k in order:
        held = parts[k]
        log(f"{lang}: fold {k + 1}/{conf['folds']} (held out sentences {held.start}-{held.stop - 1})")
        train = [b for i, b in enumerate(pool) if i not in held] + extra_blocks
        work = out / "cv" / lang / f"fold-{k + 1}"
        resources = LanguageRun(recipe, lang, ud_dir, work, train_blocks=train, progress=progress, log=log,
                                prepare_only=prepare_only, deadline=deadline).run()
        if prepare_only:
            continue
        scores = _fold_scores(work)
        if scores is None:
            scores = score_blocks([pool[i] for i in held], lang, resources, recipe.package,
                                  threads=recipe.threads, keep=work / "eval")
            if conf.get("compare") and all(i in held for i in compare_idx):
                scores["compare"] = {"spec": conf["compare"],
                                     **score_blocks(compare_blocks, lang, resources, recipe.package,
                                                    threads=recipe.threads)}
            write_text_atomic(work / "scores.json", json.dumps({"model": _model_key(work), **scores}, indent=1))
    if prepare_only:
        return None
    # the table is built from every fold's recorded scores (those of other processes' folds included):
    # pooled only once every fold has been scored with this recipe
    scored = {k: _fold_scores(out / "cv" / lang / f"fold-{k + 1}") for k in range(len(parts))}
    if any(s is None for s in scored.values()):
        log(f"{lang}: folds still to score: " + ", ".join(str(k + 1) for k, s in scored.items() if s is None))
        return None
    results, folders, compare = [], [], None
    for k, scores in scored.items():
        if "compare" in scores:
            compare = {"fold": k + 1, **scores.pop("compare")}
        folders.append(out / "cv" / lang / f"fold-{k + 1}" / "eval")
        results.append({"fold": k + 1, "held_out": [parts[k].start, parts[k].stop], **scores})
    summary = {"lang": lang, "cv": conf["cv"], "folds": results, "pooled": pool_folds(folders),
               "compare": compare}
    write_text_atomic(out / f"cv-{lang}.json", json.dumps(summary, indent=1))
    return summary
