"""Atomic writes: permissions follow the umask; a killed run's temporary folder is removed by the
next run, and only a provably dead run's."""

from __future__ import annotations

import os
import subprocess
import sys

from analysis._atomic import atomic_directory, remove_dead_temp_dirs


def test_atomic_directory_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "out") as tmp:
            (tmp / "f").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "out" / "f").read_text() == "x"
    assert oct((tmp_path / "out").stat().st_mode & 0o777) == oct(0o755)


def test_only_dead_runs_temp_folders_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # that process has exited
    left = tmp_path / f".tmp-out.{dead_pid}-abc"
    left.mkdir()
    (left / "documents.jsonl").write_text("half")
    mine = tmp_path / f".tmp-out.{os.getppid()}-def"  # a live process (the test runner's parent)
    mine.mkdir()
    other = tmp_path / ".tmp-other.1-x"
    other.mkdir()
    assert remove_dead_temp_dirs(tmp_path / "out") == [left]
    assert not left.exists() and mine.exists() and other.exists()
