"""CLI conventions: --format text|csv|json, user errors as one line on stderr with status 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from analysis.cli import main


def test_corpus_info_formats(capsys):
    assert main(["corpus", "info", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["doc_id"] == "media-convergence-plan" and records[-1]["doc_id"] == "TOTAL"
    assert main(["corpus", "info", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 24 and rows[0]["kind"] == "mixed"
    assert main(["corpus", "info"]) == 0
    assert "ideology-work-qiushi-zh" in capsys.readouterr().out


def test_user_error_is_one_line_and_status_2(capsys, tmp_path):
    assert main(["corpus", "import", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tifa: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_debug_shows_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "analysis", "--debug", "corpus", "info", "--corpus",
                           str(tmp_path / "nope")], capture_output=True, text=True)
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "CorpusError" in proc.stderr


def test_corpus_import_cli(tmp_path, capsys):
    src = tmp_path / "texts"
    src.mkdir()
    (src / "one.txt").write_text("Hello.\n\nWorld.", encoding="utf-8")
    assert main(["corpus", "import", str(src), "--out", str(tmp_path / "out"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["paragraphs"] == 2
    assert (tmp_path / "out" / "documents.jsonl").is_file()


@pytest.mark.parametrize("argv", [["corpus"], ["nonsense"], ["corpus", "info", "--format", "xml"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
