"""Atomic file writes: a file is either completely written or not there at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    The temporary file lives in the same directory, so the final ``os.replace`` is atomic on
    POSIX and Windows. If the body raises (or the process dies), ``target`` is untouched and the
    temporary file is removed (or, after a kill, left as an ignorable ``.tmp-*`` file).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{target.name}.", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp creates 0600; give the file ordinary permissions
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_text_atomic(target: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 (LF line endings) to ``target`` atomically; return the path."""
    with atomic_path(target) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(target)


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; return the path."""
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(target)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_dead_temp_dirs(target: str | os.PathLike) -> list[Path]:
    """Remove temporary directories beside ``target`` left by runs that were killed.

    :func:`atomic_directory` names its directory ``.tmp-<name>.<pid>-<random>``; only those whose
    process no longer exists are removed (never a running import's, never another file).
    """
    target = Path(target)
    removed = []
    if not target.parent.is_dir():
        return removed
    for path in target.parent.glob(f".tmp-{target.name}.*-*"):
        pid_text = path.name[len(f".tmp-{target.name}."):].split("-", 1)[0]
        if path.is_dir() and pid_text.isdigit() and int(pid_text) != os.getpid() and not _alive(int(pid_text)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``target``; on success it becomes ``target``.

    ``target`` must not exist or be an empty directory. On failure the temporary directory is
    removed and ``target`` is left as it was; after a kill, the next call removes it
    (:func:`remove_dead_temp_dirs`). The directory gets the permissions the umask gives (not
    ``mkdtemp``'s 0700).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_dead_temp_dirs(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}.{os.getpid()}-", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        if target.exists():
            target.rmdir()  # only an empty directory may be replaced
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
