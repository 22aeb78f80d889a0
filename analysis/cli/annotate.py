"""`tifa annotate`: parse the corpus with Stanza into cached CoNLL-U (see analysis.annotation)."""

from __future__ import annotations

import argparse
import shlex

from . import _common
from ._common import add_format_option, add_tokens_options, corpus_from_args, print_table


def run_check(args: argparse.Namespace, corpus) -> int:
    """Print each document's annotation status for the chosen model set; parse nothing."""
    import pandas as pd

    from ..annotation import _corpus_languages, annotations_root, document_status
    from ..models import resolve_model_set

    model_set = resolve_model_set(args.models, args.package, require=_corpus_languages(list(corpus)))
    out_dir = args.annotations or annotations_root(corpus) / model_set.id
    status = document_status(corpus, out_dir, model_set.id)
    table = pd.DataFrame({"doc_id": list(status), "status": list(status.values())})
    if args.format == "text":
        n = sum(v == "current" for v in status.values())
        print(f"{out_dir} ({model_set.id}): {n} of {len(status)} documents up to date")
    print_table(table, args.format)
    return 0


def run(args: argparse.Namespace) -> int:
    from ..annotation import _corpus_languages, annotate, annotations_root
    from ..models import resolve_model_set

    corpus = corpus_from_args(args)
    if args.check:
        return run_check(args, corpus)
    model_set = resolve_model_set(args.models, args.package, require=_corpus_languages(list(corpus)))
    out_dir = args.annotations or annotations_root(corpus) / model_set.id
    parts = ["tifa", "annotate"]
    for flag in ("corpus", "annotations", "models", "package"):
        if getattr(args, flag, None):
            parts += [f"--{flag}", str(getattr(args, flag))]
    if args.scheduler:
        parts += ["--scheduler", args.scheduler]
    elif args.workers != 1:
        parts += ["--workers", str(args.workers)]
    if args.force:
        parts.append("--force")
    command = " ".join(shlex.quote(a) for a in parts)
    options = dict(model_set=model_set, out_dir=out_dir, workers=args.workers, force=args.force,
                   threads=args.threads, progress=not args.quiet, command=command)
    if args.scheduler:
        with _connect(args.scheduler) as client:
            report = annotate(corpus, client=client, **options)
    else:
        report = annotate(corpus, **options)
    print(report)
    return 0


#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 10


def _connect(address: str):
    """A ``distributed.Client`` of the Dask scheduler at ``address``, or an AnnotationError saying what to do."""
    from ..errors import AnnotationError

    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise AnnotationError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise AnnotationError(f"cannot reach the Dask scheduler at {address!r} ({exc}); start one (dask scheduler, "
                              "dask-jobqueue, dask-kubernetes) and pass its address, e.g. tcp://host:8786") from None


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "annotate", help="parse the corpus with Stanza into cached CoNLL-U files",
        description="Parse every document whose annotation is missing or out of date (text hash or model set "
                    "changed) into <corpus>/annotations/<model set>/<doc_id>.conllu, writing each file "
                    "atomically: interrupt at any time and rerun to resume.")
    add_tokens_options(p)
    p.add_argument("--workers", type=_common.positive_int, default=1, metavar="N",
                   help="parsing processes, each with its own pipelines (default 1, in this process; N > 1 starts a local Dask cluster of N workers; at most one per core helps)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="parse on an existing Dask cluster (e.g. tcp://host:8786); the files are written here "
                        "(see docs/scale.md)")
    p.add_argument("--threads", type=_common.positive_int, default=None, metavar="N",
                   help="torch threads per parsing process (default: torch's choice; 1 is often faster on a busy machine)")
    p.add_argument("--force", action="store_true", help="re-parse every document, even up-to-date ones")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--check", action="store_true",
                   help="only print each document's status (current, missing, stale-text, stale-model)")
    add_format_option(p)
    p.set_defaults(func=run)
