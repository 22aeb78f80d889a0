"""`tifa models list|download`: which Stanza model set is active, and fetching official models."""

from __future__ import annotations

import argparse

from . import _common
from ._common import add_format_option, print_table


def run_list(args: argparse.Namespace) -> int:
    from ..models import list_models

    if args.verify:
        from ..errors import ModelNotFoundError
        from ..models import resolve_model_set

        bad = resolve_model_set(args.models, args.package).verify()
        if bad:
            raise ModelNotFoundError(f"model files differ from resources.json checksums: {', '.join(bad)}; "
                                     f"re-download them (`tifa models download`)")
    active, table = list_models(args.models, args.package)
    if args.format == "text":
        print(f"active model set: {active.id}  (package {active.package!r}, Stanza {active.stanza_version})")
        print(f"directory: {active.dir}  ({active.source})")
        for lang, why in active.missing.items():
            print(f"unusable: {lang}: {why}")
    print_table(table, args.format)
    return 0


def run_download(args: argparse.Namespace) -> int:
    from ..models import LANGUAGES, download_models

    langs = tuple(args.lang) if args.lang else LANGUAGES
    directory = download_models(langs, args.dir, args.package or "default", timeout=args.timeout)
    print(f"downloaded {', '.join(langs)} ({args.package or 'default'}) into {directory}; "
          f"use it with --models {directory} or TIFA_STANZA_DIR={directory}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from ..training import load_recipe, train_models

    recipe = load_recipe(args.recipe)
    out = train_models(recipe, args.ud, args.out, languages=args.lang or None, cv=not args.no_cv,
                       progress=not args.no_progress, only_folds=args.fold, prepare_only=args.prepare)
    if args.prepare:
        print(f"prepared {out}: data, vectors and dictionaries for every model set; train with the same command "
              f"without --prepare (on this machine or another)")
        return 0
    if args.fold:
        print(f"folds {', '.join(map(str, args.fold))} trained and scored in {out}/cv (no final model)")
        return 0
    package = recipe.package
    print(f"model set written to {out}; use it with --models {out} --package {package} "
          f"(score it: tifa models evaluate --models {out} --package {package})")
    return 0


def _dir_package(value: str, option: str, form: str = "DIR:PACKAGE", shown: str | None = None) -> tuple[str, str]:
    """``DIR:PACKAGE`` (the package after the last colon) of an option's value, or a ParameterError
    naming the option's whole value (``shown``)."""
    from ..errors import ParameterError

    directory, colon, package = value.rpartition(":")
    if not colon or not directory or not package:
        raise ParameterError(f"{option} {shown or repr(value)}: use {form}, e.g. ../shared/stanza_resources:default")
    return directory, package


def run_combine(args: argparse.Namespace) -> int:
    from ..errors import ParameterError
    from ..training import combine_model_sets

    sources = {}
    for item in args.take:
        lang, sep, rest = item.partition("=")
        if not sep or not lang:
            raise ParameterError(f"--take {item!r}: use LANG[:PROC]=DIR:PACKAGE, e.g. zh-hans=../shared/stanza_resources:default")
        sources[lang] = _dir_package(rest, "--take", "LANG[:PROC]=DIR:PACKAGE", shown=repr(item))
    out = combine_model_sets(args.out, args.package, sources)
    print(f"model set written to {out}; use it with --models {out} --package {args.package}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from ..evaluation import evaluate_model_set, format_table
    from ..models import resolve_model_set

    active = resolve_model_set(args.models, args.package)
    # the set the scores are recorded for, checked before minutes of parsing
    target = resolve_model_set(*_dir_package(args.estimate_for, "--estimate-for")) if args.estimate_for else active
    rows = evaluate_model_set(active.dir, active.package, args.ud, test_sets=args.test or None,
                              threads=args.threads)
    print(f"model set {active.id} ({active.dir}, package {active.package!r}); CoNLL 2018 scorer, F1 in %, "
          f"end to end from raw text")
    if target is not active:
        print(f"the scores are recorded for {target.id}: each row's model_set says which set was measured")
    if args.record:
        from ..evaluation import record_accuracy

        path = record_accuracy(target.dir, target.id, rows)
        print(f"recorded in {path}")
    for folder in args.annotations or []:
        from ..evaluation import record_annotation_accuracy

        print(f"recorded in {record_annotation_accuracy(folder, target.id, rows)}")
    if args.format == "text":
        print(format_table(rows))
    else:
        import pandas as pd

        print_table(pd.DataFrame(rows), args.format)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("models", help="list the Stanza model set in use, or download official models")
    sub = p.add_subparsers(dest="models_command", metavar="ACTION")
    sub.required = True
    ls = sub.add_parser("list", help="show the model packages of the model directory and which set is active",
                        description="The active model set comes from --models/--package, else TIFA_STANZA_DIR/"
                                    "TIFA_STANZA_PACKAGE, else tifa.toml or ~/.config/tifa/config.toml, else "
                                    "~/stanza_resources with package 'default'.")
    ls.add_argument("--models", metavar="DIR", help="Stanza resources directory")
    ls.add_argument("--package", metavar="NAME", help="package name (default: 'default')")
    ls.add_argument("--verify", action="store_true", help="recompute the model files' MD5 checksums")
    add_format_option(ls)
    ls.set_defaults(func=run_list)
    dl = sub.add_parser("download", help="fetch Stanza's official models (needs internet)")
    dl.add_argument("--lang", action="append", metavar="LANG", help="language (repeatable; default: en and zh-hans)")
    dl.add_argument("--dir", metavar="DIR", help="target directory (default: $TIFA_STANZA_DIR or ~/stanza_resources)")
    dl.add_argument("--package", metavar="NAME", help="Stanza package (default: 'default')")
    dl.add_argument("--timeout", type=_common.positive_float, default=10.0, help="network timeout in seconds (default 10)")
    dl.set_defaults(func=run_download)
    tr = sub.add_parser("train", help="train a model set from UD treebanks with Stanza's trainers (hours on a CPU)",
                        description="Builds a Stanza resources directory from UD .conllu files as a recipe says "
                                    "(analysis/data/recipes: cpu, gpu). Resumable: rerun the same command after "
                                    "an interruption and finished stages are kept.")
    tr.add_argument("--recipe", default="cpu", metavar="NAME|FILE", help="recipe name or .toml path (default: cpu)")
    tr.add_argument("--ud", default="../shared/ud", metavar="DIR", help="folder of the UD .conllu files")
    tr.add_argument("--out", required=True, metavar="DIR", help="output resources directory (keep it out of git)")
    tr.add_argument("--lang", action="append", choices=("en", "zh-hans"), help="language (repeatable; default: all)")
    tr.add_argument("--no-cv", action="store_true", help="skip the cross-validation folds")
    tr.add_argument("--fold", action="append", type=_common.positive_int, metavar="K",
                    help="train and score only cross-validation fold K (repeatable; no final model): "
                         "folds can run side by side in separate processes")
    tr.add_argument("--prepare", action="store_true",
                    help="only assemble the data, word vectors and dictionary (final model and every fold) and "
                         "train nothing: the folder then trains elsewhere with the same command (needs only Stanza)")
    tr.add_argument("--no-progress", action="store_true", help="no progress bars")
    tr.set_defaults(func=run_train)
    cb = sub.add_parser("combine", help="a model set taking each language from another model set (copies the files)")
    cb.add_argument("--out", required=True, metavar="DIR", help="output resources directory (keep it out of git)")
    cb.add_argument("--package", required=True, metavar="NAME", help="package name of the combined set")
    cb.add_argument("--take", action="append", required=True, metavar="LANG[:PROC]=DIR:PACKAGE",
                    help="a language and the model set it comes from (repeatable); LANG:tokenize (or :mwt, "
                         ":lemma) takes that one processor from another set")
    cb.set_defaults(func=run_combine)
    ev = sub.add_parser("evaluate", help="score a model set end to end on the UD test sets (CoNLL 2018 scorer)")
    ev.add_argument("--models", metavar="DIR", help="Stanza resources directory (default: the active model set)")
    ev.add_argument("--package", metavar="NAME", help="package name")
    ev.add_argument("--ud", default="../shared/ud", metavar="DIR", help="folder of the UD .conllu files")
    ev.add_argument("--test", action="append", metavar="NAME", help="test set (repeatable): 'EWT test', 'GUM test', "
                                                                    "'GSDSimp test[450:500]'")
    ev.add_argument("--threads", type=_common.positive_int, default=None, help="torch threads")
    ev.add_argument("--record", action="store_true",
                    help="write the scores to <models>/accuracy.json (annotation provenance and figure captions read it)")
    ev.add_argument("--estimate-for", metavar="DIR:PACKAGE",
                    help="record the scores (--record, --annotations) for this other model set: one that trained "
                         "on the test sentences, measured by a set trained the same way without them")
    ev.add_argument("--annotations", action="append", metavar="DIR",
                    help="also record the scores in this annotations folder's provenance.json (it must be this "
                         "model set's; repeatable)")
    add_format_option(ev)
    ev.set_defaults(func=run_evaluate)
