"""The seminar keeps its promise: every exercise is solved by changing a word or a number in a cell
the notebook gives, and the solutions' written answers quote what the code prints.

(tests/test_notebooks.py runs both seminar notebooks for errors; this file checks their content.)
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

from analysis.notebooks import run_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STUDENT = nbformat.read(NOTEBOOKS / "seminar.ipynb", as_version=4)
SOLUTIONS = nbformat.read(NOTEBOOKS / "seminar_solutions.ipynb", as_version=4)

EXERCISE_CELL = re.compile(r"# Exercise (\d+):")
PROMISE = re.compile(r"runs in about (\d+) seconds; you edit (\d+) cells")
FORBIDDEN = (".str.", "lambda", "groupby(", "apply(")
# a number as written in prose or printed by pandas (not inside a name such as R1, per_1000 or 06_topics)
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?(?!\w)")


def exercise_cells(nb) -> dict[int, int]:
    """Exercise number -> index of its code cell (the cell whose first line is ``# Exercise N: ...``)."""
    out = {}
    for i, cell in enumerate(nb.cells):
        m = EXERCISE_CELL.match(cell.source) if cell.cell_type == "code" else None
        if m:
            assert int(m.group(1)) not in out, f"two cells for exercise {m.group(1)}"
            out[int(m.group(1))] = i
    return out


def edit_cells(nb) -> list[int]:
    """The cells a student edits: the exercise cells and any left-over '# your answer here' cells."""
    return sorted(set(exercise_cells(nb).values())
                  | {i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "# your answer here" in c.source})


def answer(n: int) -> str:
    """The written model answer after exercise ``n``'s code cell in the solutions."""
    cell = SOLUTIONS.cells[exercise_cells(SOLUTIONS)[n] + 1]
    assert cell.cell_type == "markdown" and cell.source.startswith("**Answer.**"), f"exercise {n} has no answer"
    return cell.source[len("**Answer.**"):]


def code_shape(source: str) -> list[tuple[int, str]]:
    """Python tokens of ``source`` with every string and number literal blanked out."""
    return [(t.type, "" if t.type in (tokenize.STRING, tokenize.NUMBER) else t.string)
            for t in tokenize.generate_tokens(io.StringIO(source).readline)]


# ---------------------------------------------------------------------------------------------
# The promise (no kernel needed)
# ---------------------------------------------------------------------------------------------

def test_student_edits_exactly_the_promised_cells():
    found = PROMISE.search(STUDENT.cells[0].source)
    assert found, "the opening markdown states the run time and the number of cells to edit"
    assert PROMISE.search(SOLUTIONS.cells[0].source).groups() == found.groups()
    exercises = [int(n) for n in re.findall(r"\*\*Exercise (\d+)\.\*\*", "\n".join(
        c.source for c in STUDENT.cells if c.cell_type == "markdown"))]
    assert exercises == list(range(1, 9))
    assert len(edit_cells(STUDENT)) == int(found.group(2)) == len(exercises)
    assert sorted(exercise_cells(STUDENT)) == exercises


def test_student_code_needs_no_programming():
    for cell in STUDENT.cells:
        if cell.cell_type == "code":
            used = [f for f in FORBIDDEN if f in cell.source]
            assert not used, f"{used} in a student cell:\n{cell.source}"


def test_every_solution_changes_only_words_and_numbers_of_the_given_cell():
    student, solutions = exercise_cells(STUDENT), exercise_cells(SOLUTIONS)
    assert student.keys() == solutions.keys()
    for n in student:
        given, solved = STUDENT.cells[student[n]].source, SOLUTIONS.cells[solutions[n]].source
        assert given != solved, f"exercise {n}: the solution is the given cell"
        assert code_shape(given) == code_shape(solved), f"exercise {n}: the solution changes more than literals"


def test_solutions_are_the_student_notebook_plus_answers():
    answers = {exercise_cells(SOLUTIONS)[n] + 1 for n in exercise_cells(SOLUTIONS)}
    rest = [c for i, c in enumerate(SOLUTIONS.cells) if i not in answers]
    assert len(rest) == len(STUDENT.cells)
    changed = set(exercise_cells(STUDENT).values()) | {0}  # the exercise cells and the title
    for i, (a, b) in enumerate(zip(STUDENT.cells, rest)):
        assert a.cell_type == b.cell_type
        if i not in changed:
            assert a.source == b.source, f"cell {i} differs between the notebooks"


# ---------------------------------------------------------------------------------------------
# The answers against what the code prints
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[int, list[str]]:
    """Exercise number -> the text of each output of its cell in a fresh run of the solutions."""
    nb = run_notebook(NOTEBOOKS / "seminar_solutions.ipynb", env={"TIFA_FIGURES_DIR": str(tmp_path_factory.mktemp("fig"))})
    out = {}
    for n, i in exercise_cells(nb).items():
        texts = []
        for o in nb.cells[i].outputs:
            assert o.output_type != "error", f"exercise {n} fails: {o.get('evalue')}"
            texts.append(o.text if o.output_type == "stream" else o.data.get("text/plain", ""))
        out[n] = texts
    return out


def table_column(text: str) -> list[str]:
    """The first column of a DataFrame or Series printed by pandas (rows start with an index number)."""
    return [m.group(1) for m in re.finditer(r"^\d+\s+(\S+)", text, flags=re.M)]


def series_counts(text: str) -> dict[str, int]:
    """A value_counts() Series printed by pandas: label -> count."""
    lines = text.strip().splitlines()[1:]
    return {line.rsplit(maxsplit=1)[0]: int(line.rsplit(maxsplit=1)[1]) for line in lines
            if not line.startswith("Name:") and len(line.split()) >= 2}


@pytest.mark.slow
@pytest.mark.parametrize("n", range(1, 9))
def test_quoted_numbers_are_printed(printed, n):
    """Every number in a model answer is one the exercise's cell prints (to the answer's precision)."""
    shown = NUMBER.findall("\n".join(printed[n]))
    for quoted in NUMBER.findall(answer(n)):
        if "." not in quoted:
            assert quoted in shown, f"exercise {n}: the answer quotes {quoted}, the cell does not print it"
            continue
        places = len(quoted.split(".")[1])
        assert any("." in s and len(s.split(".")[1].split("e")[0]) >= places
                   and round(float(s), places) == float(quoted) for s in shown), \
            f"exercise {n}: the answer quotes {quoted}, the cell does not print it"


@pytest.mark.slow
def test_exercise_1_top_word_to_the_right(printed):
    lines, *_, counts = printed[1]
    assert lines.startswith("20 lines") and "20 lines" in answer(1)
    top = series_counts(counts)
    first, count = next(iter(top.items()))
    assert (first, count) == ("guidance", 3) and count > max(list(top.values())[1:])
    assert f"*{first}* ({count} lines" in answer(1)


@pytest.mark.slow
def test_exercise_2_documents(printed):
    summary, _, counts = printed[2]
    per_doc = series_counts(counts)
    assert summary.startswith(f"{sum(per_doc.values())} hits in {len(per_doc)} documents")
    text = answer(2)
    assert f"occurs {sum(per_doc.values())} times in {len(per_doc)} documents" in text
    quoted = {doc: (1 if times == "once" else int(times.split()[0]))
              for times, doc in re.findall(r"(once|\d+ times) in `([\w-]+)`", text)}
    assert quoted == per_doc == {"ideology-work-qiushi-zh": 6, "miit-zhang-feng-cybersecurity-zh": 1}


@pytest.mark.slow
def test_exercise_6_top_fives_differ_as_the_answer_says(printed):
    by_dice, by_mi = (table_column(t) for t in printed[6])
    assert len(by_dice) == len(by_mi) == 5
    text = answer(6)
    assert text.strip().startswith("They share none") and not set(by_dice) & set(by_mi)
    for words in (by_dice, by_mi):  # each list is quoted, in order
        positions = [text.index(f"*{w}*") for w in words]
        assert positions == sorted(positions)
