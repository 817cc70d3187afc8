"""Markdown tables: each benchmark returns a Section, run.py prints them and writes RESULTS.md."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import attrs


@attrs.frozen
class Section:
    title: str
    intro: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", self.intro, ""]
        lines.append("| " + " | ".join(self.header) + " |")
        lines.append("|" + "|".join("---" for _ in self.header) + "|")
        lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in self.rows)
        if self.notes:
            lines.append("")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def section(
    title: str,
    intro: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: Sequence[str] = (),
) -> Section:
    return Section(title, intro, tuple(header), tuple(tuple(row) for row in rows), tuple(notes))


def median_range(values: Sequence[float], digits: int = 0, *, signed: bool = False) -> str:
    """'12 (10 to 15)': the median and the range; signed writes +/- on each (differences)."""
    spec = f"{'+' if signed else ''}.{digits}f"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:{spec}} ({low:{spec}} to {high:{spec}})"


@attrs.frozen
class Goal:
    """A figure measured against one of the goals `make bench` checks (issue 19)."""

    figure: str
    met: bool


# The goals, in the order they are printed: each benchmark that measures one records its
# figure here (goal()), and run.py prints them last, with a verdict.
GOAL_ROWS = {
    "startup": "import + connect() <= 1.15x `import httpx, attrs` (CPU)",
    "warm-get": "warm `runai-token get` <= 2.5x `python -c pass` (CPU)",
    "grant": "grant_token per call <= 1.10x wall and <= 1.30x client CPU vs raw httpx",
    "get": "authenticated GET <= 1.05x wall and <= 1.10x CPU vs a fixed-header httpx client, "
    "sync and async",
}
GOALS: dict[str, list[Goal]] = {}


def goal(key: str, figure: str, met: bool) -> None:
    GOALS.setdefault(key, []).append(Goal(figure, met))


def goals_section() -> Section:
    rows = []
    for key, name in GOAL_ROWS.items():
        measured = GOALS.get(key, [])
        verdict = "PASS" if measured and all(g.met for g in measured) else "FAIL"
        figures = "; ".join(g.figure for g in measured) or "not measured"
        rows.append([name, figures, verdict if measured else "not measured"])
    return section(
        "Goals (issue 19)",
        "Each goal's figure from the tables of this run, measured on a regular wheel install "
        "with bytecode: the median ratio over paired rounds, with its min to max. A goal is met "
        "when every median is within it.",
        ["goal", "measured", "verdict"],
        rows,
    )


def tally(outcomes: Sequence[str]) -> str:
    """'64/64 ok', or '0/10 ok; 10x error:MissingTokenError'."""
    ok = sum(1 for o in outcomes if o == "ok")
    others: dict[str, int] = {}
    for o in outcomes:
        if o != "ok":
            others[o] = others.get(o, 0) + 1
    text = f"{ok}/{len(outcomes)} ok"
    if others:
        text += "; " + ", ".join(f"{n}x {o}" for o, n in sorted(others.items()))
    return text
