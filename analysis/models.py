"""Which Stanza model set annotates the corpus: one resolver, one identity.

A *model set* is a Stanza resources directory (the layout ``stanza.download()`` creates, with
its ``resources.json``) plus a package name, over Tifa's two languages ``en`` and ``zh-hans``.

Where the model set comes from (first hit wins):

1. explicit arguments (``resolve_model_set(dir=..., package=...)``, CLI ``--models``/``--package``);
2. environment variables ``TIFA_STANZA_DIR`` and ``TIFA_STANZA_PACKAGE``;
3. a config file: ``./tifa.toml`` (in the current directory), else
   ``$XDG_CONFIG_HOME/tifa/config.toml`` (default ``~/.config/tifa/config.toml``), with::

       [models]
       dir = "../shared/stanza_resources"   # relative to the config file's directory
       package = "compact"

4. Stanza's own default: ``$STANZA_RESOURCES_DIR`` or ``~/stanza_resources``, package ``default``.

Directory and package are resolved independently (e.g. the directory from the environment and
the package from the config file). A relative directory given as an argument or in the
environment is taken relative to the current working directory.

The *identity* of a model set (:attr:`ModelSet.id`, e.g. ``compact-1a2b3c4d``) is the package
name plus 8 hex digits of a SHA-256 over the Stanza version and, for each language and
processor, the package name and the model file's MD5 recorded in ``resources.json`` (the
checksums Stanza's downloader verifies; :meth:`ModelSet.verify` recomputes them from the
files). It names the annotation directory ``corpus/annotations/<id>/`` and is part of every
document's cache key, so a changed model re-parses everything it parsed.

Nothing here touches the network: pipelines are always built with ``download_method=None``, and
a missing directory or model file raises :class:`~analysis.errors.ModelNotFoundError` saying how
to get models (``tifa models download``) or where to point (``TIFA_STANZA_DIR``).
"""

from __future__ import annotations

import hashlib
import json
import os
import logging
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import ModelNotFoundError, TifaError
from .languages import LANGUAGES as _REGISTRY
from .languages import stanza_code

#: Stanza language codes Tifa annotates, and the corpus codes that map to them.
LANGUAGES = tuple(lang.stanza for lang in _REGISTRY.values())
#: Processors Tifa runs, in pipeline order; ``mwt`` only where the language has one.
PROCESSORS = ("tokenize", "mwt", "pos", "lemma", "depparse")
REQUIRED_PROCESSORS = ("tokenize", "pos", "lemma", "depparse")

ENV_DIR = "TIFA_STANZA_DIR"
#: Scores recorded beside the models by ``tifa models evaluate --record`` (:mod:`analysis.evaluation`).
ACCURACY_FILE = "accuracy.json"
ENV_PACKAGE = "TIFA_STANZA_PACKAGE"
DEFAULT_PACKAGE = "default"

_HOW_TO_GET = (
    "download models with `tifa models download` (needs internet), or point Tifa to a Stanza "
    f"resources directory with --models DIR or the environment variable {ENV_DIR} "
    "(on this project's machines: ../shared/stanza_resources)"
)


#: Version of the text preparation Tifa applies before parsing (see
#: :func:`analysis.annotation.prepare_text`); part of the model-set identity, hence of the cache key.
TEXT_PREPARATION = "zh-fullwidth-punctuation-1"


def stanza_language(lang: str) -> str:
    """The Stanza language code for a corpus language code (``zh`` → ``zh-hans``; :mod:`analysis.languages`)."""
    return stanza_code(lang)


def stanza_version() -> str:
    """The installed Stanza version, without importing Stanza (which is slow)."""
    try:
        return metadata.version("stanza")
    except metadata.PackageNotFoundError:
        return "not-installed"


def stanza_default_dir() -> Path:
    """Stanza's own default resources directory (``$STANZA_RESOURCES_DIR`` or ``~/stanza_resources``)."""
    env = os.environ.get("STANZA_RESOURCES_DIR")
    return Path(env).expanduser() if env else Path.home() / "stanza_resources"


def config_paths() -> list[Path]:
    """Config files Tifa reads, in order of precedence."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    user = (Path(xdg) if xdg else Path.home() / ".config") / "tifa" / "config.toml"
    return [Path.cwd() / "tifa.toml", user]


def read_config() -> tuple[dict[str, Any], Path | None]:
    """The ``[models]`` table of the first existing config file, and that file's path."""
    for path in config_paths():
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise TifaError(f"{path}: not valid TOML ({exc}); fix or remove the file") from None
            models = data.get("models", {})
            if not isinstance(models, dict):
                raise TifaError(f"{path}: [models] must be a table with keys dir and package")
            return models, path
    return {}, None


@dataclass(frozen=True)
class ModelSet:
    """A resolved Stanza model set: directory, package, and per-language processor packages.

    ``processors[lang]`` maps each processor to its package; ``checksums`` maps
    ``"lang/processor/package"`` (dependencies such as ``pretrain`` included) to the MD5 of the
    model file. ``source`` says where the choice came from (argument, environment, config, stanza
    default).
    """

    dir: Path
    package: str
    processors: dict[str, dict[str, str]]
    checksums: dict[str, str]
    stanza_version: str
    source: str = "argument"
    missing: dict[str, str] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.processors)

    @property
    def name(self) -> str:
        """A readable name: the package name all processors share, else the requested package."""
        names = {pkg for procs in self.processors.values() for pkg in procs.values()}
        return names.pop() if len(names) == 1 else self.package

    @property
    def digest(self) -> str:
        payload = json.dumps(
            {"stanza": self.stanza_version, "processors": self.processors, "checksums": self.checksums,
             "preparation": TEXT_PREPARATION},
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def id(self) -> str:
        """The model-set identity, e.g. ``compact-1a2b3c4d`` (stable across machines and paths).

        It hashes the Stanza version, the processor packages, the model checksums and
        :data:`TEXT_PREPARATION`, so a change to any of them re-annotates.
        """
        return f"{self.name}-{self.digest[:8]}"

    def has_language(self, lang: str) -> bool:
        return stanza_language(lang) in self.processors

    def require(self, lang: str) -> dict[str, str]:
        """The processor packages for ``lang``; :class:`ModelNotFoundError` if it has none here."""
        code = stanza_language(lang)
        if code not in self.processors:
            why = self.missing.get(code, f"no {code} models")
            raise ModelNotFoundError(f"model set {self.id} in {self.dir} has no usable {code} models ({why}); {_HOW_TO_GET}")
        return self.processors[code]

    def model_path(self, lang: str, processor: str, package: str) -> Path:
        return self.dir / stanza_language(lang) / processor / f"{package}.pt"

    def verify(self) -> list[str]:
        """Recompute the MD5 of every model file; return the keys whose checksum differs."""
        bad = []
        for key, md5 in sorted(self.checksums.items()):
            lang, processor, package = key.split("/")
            h = hashlib.md5()
            with open(self.model_path(lang, processor, package), "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            if md5 and h.hexdigest() != md5:
                bad.append(key)
        return bad

    def provenance(self) -> dict[str, Any]:
        """A JSON-serialisable description (for the provenance file beside annotations).

        Includes ``accuracy`` (per language: the test set, UPOS and LAS) when the model directory
        holds an ``accuracy.json`` for this model set (``tifa models evaluate --record``).
        """
        record = {
            "model_set": self.id,
            "package": self.package,
            "stanza_version": self.stanza_version,
            "processors": self.processors,
            "checksums": dict(sorted(self.checksums.items())),
        }
        accuracy = self.accuracy()
        if accuracy:
            record["accuracy"] = accuracy
        return record

    def accuracy(self) -> dict[str, dict[str, Any]]:
        """End-to-end scores per language recorded by ``tifa models evaluate --record`` (empty if none).

        ``{"en": {"test": "EWT test", "UPOS": 94.1, "LAS": 80.2, ...}, ...}``: read from
        ``<dir>/accuracy.json`` when it was written for this model set's id.
        """
        path = Path(self.dir) / ACCURACY_FILE
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        sets = record.get("model_sets", {})
        return dict(sets.get(self.id, {}))

    def pipeline(self, lang: str, **kwargs: Any):
        """A ``stanza.Pipeline`` for ``lang`` (tokenize, mwt, pos, lemma, depparse), offline.

        ``download_method=None`` always: Stanza never reaches for its hub.
        """
        processors = self.require(lang)
        import stanza  # slow import: only when a parser is really needed

        options = {"logging_level": "WARN", "use_gpu": False}
        options.update(kwargs)
        logger = logging.getLogger("stanza")
        held: list[logging.LogRecord] = []
        hold = _HoldRecords(held)  # Stanza logs a failure before raising it: we raise one clear error instead
        logger.addFilter(hold)
        try:
            pipeline = stanza.Pipeline(
                stanza_language(lang),
                dir=str(self.dir),
                package=None,
                processors=dict(processors),
                download_method=None,
                **options,
            )
            logger.removeFilter(hold)
            for record in held:  # a pipeline that loaded: its warnings are shown as Stanza would
                logger.handle(record)
            return pipeline
        except (FileNotFoundError, ValueError, KeyError) as exc:
            raise ModelNotFoundError(f"cannot load the {lang} models of {self.dir}: {exc}; {_HOW_TO_GET}") from None
        except Exception as exc:  # noqa: BLE001 - torch raises UnpicklingError, RuntimeError, EOFError... on a damaged file
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ModelNotFoundError(
                f"cannot load the {lang} models of {self.dir}: a model file is damaged ({type(exc).__name__}: "
                f"{first[:120]}); check them with `tifa models list --verify` and download them again") from None
        finally:
            logger.removeFilter(hold)


class _HoldRecords(logging.Filter):
    """A logging filter that keeps records aside instead of letting them through."""

    def __init__(self, held: list):
        super().__init__()
        self.held = held

    def filter(self, record: logging.LogRecord) -> bool:
        self.held.append(record)
        return False


def _entry_checksums(resources: dict, lang: str, processor: str, package: str, out: dict[str, str]) -> None:
    entry = resources.get(lang, {}).get(processor, {}).get(package)
    if entry is None:
        raise ModelNotFoundError(f"{processor}/{package}")
    out[f"{lang}/{processor}/{package}"] = str(entry.get("md5", ""))
    for dep in entry.get("dependencies", []) or []:
        key = f"{lang}/{dep['model']}/{dep['package']}"
        if key not in out:
            _entry_checksums(resources, lang, dep["model"], dep["package"], out)


def _processor_packages(resources: dict, lang: str, package: str) -> dict[str, str]:
    info = resources.get(lang, {})
    packages = info.get("packages", {}) or {}
    if package in packages:
        chosen = dict(packages[package])
    elif package == DEFAULT_PACKAGE:
        chosen = dict(info.get("default_processors", {}) or {})
    else:  # a single treebank package name, e.g. "ewt": use it for every processor that has it
        chosen = {p: package for p in PROCESSORS if package in (info.get(p) or {})}
    out = {}
    for p in PROCESSORS:
        pkg = chosen.get(p)
        if isinstance(pkg, (list, tuple)):
            pkg = pkg[0] if pkg else None
        if isinstance(pkg, str) and pkg in (info.get(p) or {}):
            out[p] = pkg
    return out


def _load_resources(directory: Path, source: str) -> dict:
    if not directory.is_dir():
        raise ModelNotFoundError(f"Stanza model directory {directory} (from {source}) does not exist; {_HOW_TO_GET}")
    res_file = directory / "resources.json"
    if not res_file.is_file():
        raise ModelNotFoundError(f"{directory} (from {source}) has no resources.json, so it is not a Stanza "
                                 f"resources directory; {_HOW_TO_GET}")
    try:
        resources = json.loads(res_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelNotFoundError(f"{res_file}: not valid JSON ({exc}); re-download the models") from None
    odd = [k for k, v in resources.items() if not isinstance(v, dict)] if isinstance(resources, dict) else None
    if odd is None or odd:
        shown = f"entries {', '.join(map(repr, odd[:3]))} are not objects" if odd else "it is not a JSON object"
        raise ModelNotFoundError(f"{res_file}: not a Stanza resources file ({shown}); re-download the models "
                                 f"(`tifa models download`) or point Tifa at another directory")
    # resolve aliases ("zh": {"alias": "zh-hans"})
    return resources


def resolve_model_set(
    dir: str | os.PathLike | None = None,
    package: str | None = None,
    *,
    languages: tuple[str, ...] = LANGUAGES,
    require: tuple[str, ...] = (),
    partial: tuple[str, ...] = (),
) -> ModelSet:
    """Find the active model set (argument > environment > config file > Stanza default).

    Languages of ``languages`` whose models are absent are left out of the set (recorded in
    :attr:`ModelSet.missing`); languages in ``require`` must be present. ``partial``: processors a
    language may lack (a set that trained no tokenizer, to be combined with another's). Raises
    :class:`ModelNotFoundError` when the directory, its ``resources.json`` or a required model
    file is missing — never downloads and never touches the network.
    """
    config, config_path = (None, None)
    sources = []
    if dir is not None:
        directory, dsource = Path(dir).expanduser(), "argument"
    elif os.environ.get(ENV_DIR):
        directory, dsource = Path(os.environ[ENV_DIR]).expanduser(), f"${ENV_DIR}"
    else:
        config, config_path = read_config()
        if config.get("dir"):
            directory = Path(str(config["dir"])).expanduser()
            if not directory.is_absolute():
                directory = config_path.parent / directory
            dsource = str(config_path)
        else:
            directory, dsource = stanza_default_dir(), "Stanza's default directory"
    if package is not None:
        pkg, psource = package, "argument"
    elif os.environ.get(ENV_PACKAGE):
        pkg, psource = os.environ[ENV_PACKAGE], f"${ENV_PACKAGE}"
    else:
        if config is None:
            config, config_path = read_config()
        if config.get("package"):
            pkg, psource = str(config["package"]), str(config_path)
        else:
            pkg, psource = DEFAULT_PACKAGE, "default"
    sources.append(f"dir from {dsource}")
    sources.append(f"package from {psource}")
    directory = directory.resolve() if not directory.is_absolute() else directory

    resources = _load_resources(directory, dsource)
    processors: dict[str, dict[str, str]] = {}
    checksums: dict[str, str] = {}
    missing: dict[str, str] = {}
    wanted = list(dict.fromkeys([*(stanza_language(x) for x in languages), *(stanza_language(x) for x in require)]))
    for lang in wanted:
        code = lang
        alias = resources.get(code, {}).get("alias")
        if alias:
            code = alias
        if code not in resources:
            missing[lang] = f"resources.json lists no {lang} models"
            continue
        try:
            procs = _processor_packages(resources, code, pkg)
        except (AttributeError, TypeError, ValueError) as exc:
            raise ModelNotFoundError(f"{directory / 'resources.json'}: the {lang} entry has an unexpected layout "
                                     f"({type(exc).__name__}: {exc}); re-download the models") from None
        absent = [p for p in REQUIRED_PROCESSORS if p not in procs and p not in partial]
        if absent:
            missing[lang] = f"package {pkg!r} has no {', '.join(absent)} model"
            continue
        sums: dict[str, str] = {}
        try:
            for p, p_pkg in procs.items():
                _entry_checksums(resources, code, p, p_pkg, sums)
        except ModelNotFoundError as exc:
            missing[lang] = f"resources.json lacks {exc.args[0]}"
            continue
        except (AttributeError, TypeError, KeyError) as exc:
            raise ModelNotFoundError(f"{directory / 'resources.json'}: the {lang} models have an unexpected layout "
                                     f"({type(exc).__name__}: {exc}); re-download the models") from None
        files = [directory / code / k.split("/")[1] / f"{k.split('/')[2]}.pt" for k in sums]
        lost = [str(f) for f in files if not f.is_file()]
        if lost:
            missing[lang] = f"model file {lost[0]} is missing"
            continue
        processors[lang] = procs
        checksums.update(sums)
    for lang in require:
        code = stanza_language(lang)
        if code not in processors:
            raise ModelNotFoundError(
                f"no usable {code} models in {directory} ({missing.get(code, 'not found')}; {', '.join(sources)}); {_HOW_TO_GET}"
            )
    if not processors:
        detail = "; ".join(f"{k}: {v}" for k, v in missing.items())
        raise ModelNotFoundError(f"no usable models for {', '.join(wanted)} in {directory} ({detail}); {_HOW_TO_GET}")
    return ModelSet(directory, pkg, processors, checksums, stanza_version(), "; ".join(sources), missing)


def try_resolve_model_set(dir=None, package=None, **kwargs: Any) -> ModelSet | None:
    """:func:`resolve_model_set`, or ``None`` when no models are installed."""
    try:
        return resolve_model_set(dir, package, **kwargs)
    except ModelNotFoundError:
        return None


def list_models(dir: str | os.PathLike | None = None, package: str | None = None):
    """A table (DataFrame) of the model packages in the active directory, marking the active set.

    One row per language and processor package: ``lang, processor, package, size_mb, md5,
    active`` (``active`` is true for the processors of the active model set).
    """
    import pandas as pd

    active = resolve_model_set(dir, package)
    resources = _load_resources(active.dir, active.source)
    rows = []
    for lang, info in resources.items():
        if not isinstance(info, dict) or "alias" in info:
            continue
        for processor, packages in info.items():
            if processor in ("packages", "default_processors", "default_dependencies", "lang_name") or not isinstance(packages, dict):
                continue
            for pkg, entry in packages.items():
                if not isinstance(entry, dict):
                    continue
                path = active.dir / lang / processor / f"{pkg}.pt"
                rows.append({
                    "lang": lang,
                    "processor": processor,
                    "package": pkg,
                    "installed": path.is_file(),
                    "size_mb": round(path.stat().st_size / 1e6, 1) if path.is_file() else None,
                    "md5": entry.get("md5", ""),
                    "active": f"{lang}/{processor}/{pkg}" in active.checksums,
                })
    df = pd.DataFrame(rows, columns=["lang", "processor", "package", "installed", "size_mb", "md5", "active"])
    return active, df.sort_values(["lang", "processor", "package"], kind="stable").reset_index(drop=True)


def download_models(languages: tuple[str, ...] = LANGUAGES, dir: str | os.PathLike | None = None,
                    package: str = DEFAULT_PACKAGE, *, timeout: float = 10.0) -> Path:
    """Fetch Stanza's official models with Stanza's own downloader (needs internet).

    Fails fast with a :class:`ModelNotFoundError` (no hang) when Stanza's hub cannot be reached
    within ``timeout`` seconds.
    """
    import socket

    directory = Path(dir).expanduser() if dir is not None else (
        Path(os.environ[ENV_DIR]).expanduser() if os.environ.get(ENV_DIR) else stanza_default_dir())
    import stanza

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    # Stanza's downloader uses requests without a timeout; bound every request it makes.
    import requests

    original_request = requests.Session.request

    def bounded(self, method, url, **kw):
        kw.setdefault("timeout", timeout)
        if kw.get("timeout") is None:
            kw["timeout"] = timeout
        return original_request(self, method, url, **kw)

    requests.Session.request = bounded
    try:
        for lang in languages:
            stanza.download(stanza_language(lang), model_dir=str(directory), package=package,
                            processors="tokenize,mwt,pos,lemma,depparse", logging_level="WARN")
    except (OSError, requests.RequestException) as exc:
        raise ModelNotFoundError(
            f"could not download Stanza models into {directory}: {type(exc).__name__}: {exc}. Without internet, "
            f"point Tifa to an existing Stanza resources directory with --models DIR or {ENV_DIR}"
        ) from None
    except Exception as exc:  # stanza raises plain ValueError/Exception for unknown packages
        raise ModelNotFoundError(f"Stanza's downloader failed for {directory}: {type(exc).__name__}: {exc}") from None
    finally:
        socket.setdefaulttimeout(old)
        requests.Session.request = original_request
    return directory
