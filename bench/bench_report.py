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
