"""The benchmark page's charts: SVGs in docs/bench/ drawn from a run's tables.

    .venv/bin/python bench/run.py                  a whole run writes RESULTS.md and the charts
    .venv/bin/python bench/run.py --charts-only    the charts alone, from bench/RESULTS.md

A chart shows a table's figures as they are in the run's Section (the same rows RESULTS.md
holds), so the page's tables and its charts never disagree. matplotlib comes from the `bench`
extra. The SVGs are written byte-for-byte the same from the same figures (no date, a fixed id
salt), so a run that measured the same counts leaves them unchanged in git.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bench_report import Section

CHARTS_DIR = Path(__file__).resolve().parents[1] / "docs" / "bench"

# The libraries, as their rows begin, in the order the charts show them.
LIBRARIES = ("runai-tokens", "httpx-auth", "Authlib", "runapy", "google-auth")
# runai-tokens stands out; the others in muted colours.
COLOURS = ("#1f6feb", "#9a6700", "#8250df", "#cf222e", "#57606a")


def read_sections(markdown: str) -> dict[str, Section]:
    """RESULTS.md's tables as Sections, by their number ("1", "2b", ...)."""
    sections: dict[str, Section] = {}
    for block in re.split(r"^### ", markdown, flags=re.MULTILINE)[1:]:
        title, _, body = block.partition("\n")
        number = re.match(r"(\w+)\. ", title)
        table = [line for line in body.splitlines() if line.startswith("|")]
        if number is None or len(table) < 2:
            continue
        header, *rows = (_cells(line) for line in table[:1] + table[2:])
        sections[number.group(1)] = Section(title, "", header, tuple(rows))
    return sections


def _cells(line: str) -> tuple[str, ...]:
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return tuple(cell.strip().replace("\\|", "|") for cell in cells)


def _column(section: Section, name: str) -> int:
    return section.header.index(name)


def _library(name: str) -> str | None:
    return next((library for library in LIBRARIES if name.startswith(library)), None)


def _number(cell: str) -> float:
    """The first number of a cell: '60' is 60, '1/16 ok' is 1."""
    found = re.search(r"\d+(?:\.\d+)?", cell)
    if found is None:
        raise ValueError(f"no number in {cell!r}")
    return float(found.group())


def _percent(cell: str) -> float:
    found = re.search(r"\((\d+(?:\.\d+)?)%\)", cell)
    if found is None:
        raise ValueError(f"no percentage in {cell!r}")
    return float(found.group(1))


Bars = dict[str, list[float | None]]


def _grouped_bars(
    path: Path, title: str, ylabel: str, groups: Sequence[str], bars: Bars, *, note: str = ""
) -> None:
    """One cluster of bars per group, one bar per series; a missing figure leaves a gap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "runai-tokens"
    plt.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, and searchable
    figure, axes = plt.subplots(figsize=(10, 4), layout="constrained")
    width = 0.8 / max(len(bars), 1)
    for index, (series, values) in enumerate(bars.items()):
        colour = COLOURS[index % len(COLOURS)]
        for group, value in enumerate(values):
            if value is None:
                continue
            x = group - 0.4 + width * (index + 0.5)
            axes.bar(x, value, width, color=colour, label=series if group == 0 else None)
            axes.annotate(
                f"{value:g}", (x, value), ha="center", va="bottom", fontsize=6.5,
                xytext=(0, 1), textcoords="offset points",
            )  # fmt: skip
    # A series without a figure in the first group still gets its legend entry.
    for index, (series, values) in enumerate(bars.items()):
        if values and values[0] is None:
            axes.bar(0, 0, 0, color=COLOURS[index % len(COLOURS)], label=series)
    axes.set_xticks(range(len(groups)), [textwrap.fill(group, 14) for group in groups])
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    if note:
        axes.set_xlabel(note, fontsize=8, color="#57606a")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)


def _by_library(
    section: Section, group_column: str, value: Callable[[tuple[str, ...]], float]
) -> tuple[list[str], Bars]:
    """Groups in the order they first appear, and one series per library."""
    name, group_at = _column(section, "library"), _column(section, group_column)
    groups: list[str] = []
    for row in section.rows:
        if row[group_at] not in groups:
            groups.append(row[group_at])
    bars: Bars = {library: [None] * len(groups) for library in LIBRARIES}
    for row in section.rows:
        library = _library(row[name])
        if library is not None:
            bars[library][groups.index(row[group_at])] = value(row)
    return groups, {
        library: values for library, values in bars.items() if any(v is not None for v in values)
    }


def cold_cache(section: Section, path: Path) -> None:
    requests = _column(section, "token requests")
    groups, bars = _by_library(section, "callers", lambda row: _number(row[requests]))
    _grouped_bars(
        path,
        "Cold cache: token requests when every caller needs a token at once (ideal: 1)",
        "token requests",
        groups,
        bars,
        note="Authlib's 0: it refuses to send before fetch_token(). runapy's 1: fetched serially "
        "in its constructor.",
    )


def expired_token(section: Section, path: Path) -> None:
    name, callers = _column(section, "library"), _column(section, "callers")
    requests, stale = _column(section, "token requests"), _column(section, "stale sends")
    threads = [row for row in section.rows if row[callers] == section.rows[0][callers]]
    groups = [_library(row[name]) or row[name] for row in threads]
    bars: Bars = {
        "token requests": [_number(row[requests]) for row in threads],
        "stale sends (each a 401)": [_number(row[stale]) for row in threads],
    }
    _grouped_bars(
        path,
        f"Expired token: {section.rows[0][callers]} find it expired at once "
        "(ideal: 1 request, 0 stale)",
        "requests",
        groups,
        bars,
    )


def flaky(section: Section, path: Path) -> None:
    faults, client, succeeded = (
        _column(section, name) for name in ("faults", "client", "calls succeeded")
    )
    groups = [row[faults] for row in section.rows if not row[faults].startswith("100%")]
    groups = list(dict.fromkeys(groups))
    bars: Bars = {}
    for row in section.rows:
        if row[faults] in groups:
            values = bars.setdefault(row[client], [None] * len(groups))
            values[groups.index(row[faults])] = _percent(row[succeeded])
    _grouped_bars(
        path,
        "A flaky control plane: calls that succeeded, of 200 GETs",
        "succeeded (%)",
        groups,
        bars,
    )


CHARTS: dict[str, tuple[str, Callable[[Section, Path], None]]] = {
    "1": ("cold-cache.svg", cold_cache),
    "2": ("expired-token.svg", expired_token),
    "3": ("flaky.svg", flaky),
}


def write_charts(sections: Mapping[str, Section], directory: Path = CHARTS_DIR) -> list[Path]:
    """Draws the chart of each table that has one and is in `sections`; returns the files."""
    written = []
    for number, (name, draw) in CHARTS.items():
        if number in sections:
            draw(sections[number], directory / name)
            written.append(directory / name)
    return written
