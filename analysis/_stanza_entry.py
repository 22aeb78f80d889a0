"""Run one of Stanza's own training entry points in this process (``python -m analysis._stanza_entry MODULE ARGS``).

:mod:`analysis.training` starts every training stage as a subprocess through this module, so that
Stanza's ``main()`` runs exactly as ``python -m stanza.models.tagger ...`` would, with one
difference that does not change any number: ``torch.nn.functional.bilinear`` (used by the
tagger's biaffine output layers through ``nn.Bilinear``) is replaced by the same contraction
written with :func:`torch.einsum`, ``out[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]``.
PyTorch's CPU kernel for ``bilinear`` is slow in its backward pass (0.54 s against 0.03 s for
``einsum`` on a 1,600 x 150 x 50 x 20 case on this project's machine); the training loss of the
first 30 tagger steps is the same to 6 significant digits with either (tests/test_training.py
checks the two functions agree on random inputs).

And one that changes no byte of a model: ``torch.save`` to a path writes ``<path>.partial`` and then
renames it, so a trainer stopped at its time limit (:mod:`analysis.training`) while saving its best
model leaves the previous best whole instead of a cut file.
"""

from __future__ import annotations

import runpy
import sys


def einsum_bilinear(input1, input2, weight, bias=None):
    """``torch.nn.functional.bilinear`` computed with ``einsum`` (same shapes, same result)."""
    import torch

    out = torch.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def patch_bilinear() -> None:
    import torch.nn.functional as F

    F.bilinear = einsum_bilinear


def patch_save() -> None:
    """``torch.save(obj, path)`` writes ``path + ".partial"`` and renames it over ``path``."""
    import os

    import torch

    original = torch.save

    def save(obj, f, *args, **kwargs):
        if not isinstance(f, (str, os.PathLike)):
            return original(obj, f, *args, **kwargs)
        partial = f"{os.fspath(f)}.partial"
        original(obj, partial, *args, **kwargs)
        os.replace(partial, f)

    torch.save = save


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m analysis._stanza_entry stanza.models.MODULE [ARGS...]")
    module, args = argv[0], argv[1:]
    if not module.startswith(("stanza.models.", "stanza.utils.")):
        raise SystemExit(f"not a Stanza entry point: {module}")
    patch_bilinear()
    patch_save()
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
