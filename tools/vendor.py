"""Copy runai_tokens and runai_tokens_client into another project, as subpackages of its own.

    python tools/vendor.py DEST        (what `make vendor DEST=...` runs)

DEST is a directory inside the importing project's package, e.g. acme/_vendor, so that the copies
import as acme._vendor.runai_tokens and acme._vendor.runai_tokens_client. Like pypa's `vendoring`
tool, the copies are rewritten so that they never name themselves by their top-level names: every
absolute import of either package becomes a relative one (`from runai_tokens_client.models import
X` in runai_tokens/_generated.py becomes `from ..runai_tokens_client.models import X`). A vendored
copy then loads only itself, even in a process where another runai-tokens is installed.

Every .py file is rewritten, whatever it is called, so new modules need no change here. A string
naming either package where code would import it (importlib, resources) cannot be rewritten
safely and is refused with its file and line; logger names are fine and stay as they are, so
logging configured for runai_tokens.* applies to a vendored copy too.

Standard library only: vendoring must work from a bare clone, before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Import package -> where it lives in this repository.
SOURCES = {
    "runai_tokens_client": REPO / "generated" / "runai_tokens_client",
    "runai_tokens": REPO / "overrides" / "runai_tokens",
}
# The test kit validates requests against the contract, so the contract travels with it, where a
# wheel puts it too (pyproject's force-include): runai_tokens.testing finds it as a resource.
CONTRACT = REPO / "openapi.yaml"
CONTRACT_TARGET = Path("runai_tokens", "testing", "openapi.yaml")

_PACKAGES = "|".join(map(re.escape, SOURCES))
# A module's name, or the start of one built at run time (f"runai_tokens_client.api.{name}").
_MODULE_NAME = re.compile(rf"(?:{_PACKAGES})(?:\.[A-Za-z_]\w*)*\.?")
# Calls that may take a package's name as their first argument without importing it.
_NAMING_ONLY = frozenset({"getLogger"})


class VendorError(Exception):
    """A source file the rewrite cannot make self-contained; the message says where and why."""


def vendor(dest: Path) -> list[Path]:
    """Copy both packages and the contract into dest, rewritten; return the files rewritten."""
    dest.mkdir(parents=True, exist_ok=True)
    # Prepare everything in a scratch directory first: a refused file leaves dest untouched.
    scratch = dest / ".runai-tokens-vendoring"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        for name, source in SOURCES.items():
            shutil.copytree(source, scratch / name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copyfile(CONTRACT, scratch / CONTRACT_TARGET)
        rewritten = [path for path in sorted(scratch.rglob("*.py")) if rewrite_file(path, scratch)]
        for name in SOURCES:
            shutil.rmtree(dest / name, ignore_errors=True)
            (scratch / name).rename(dest / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [dest / path.relative_to(scratch) for path in rewritten]


def rewrite_file(path: Path, root: Path) -> bool:
    """Rewrite path (a module under root) in place; True if anything changed."""
    source = path.read_bytes()
    where = path.relative_to(root)
    # From a module in package a.b, `from ...` (three dots) is the package holding both copies.
    up = "." * len(where.parent.parts) + "."
    new = rewrite_source(source, up, str(where))
    if new == source:
        return False
    path.write_bytes(new)
    return True


def rewrite_source(source: bytes, up: str, filename: str = "<source>") -> bytes:
    """source with each absolute import of a vendored package made relative through `up`."""
    tree = ast.parse(source, filename)
    _refuse_names_in_strings(tree, filename)
    # ast offsets are UTF-8 byte offsets within a line: splice bytes, not characters.
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, bytes]] = []
    for node in ast.walk(tree):
        replacement = _relative(node, up, filename)
        if replacement is None:
            continue
        assert isinstance(node, ast.stmt) and node.end_lineno and node.end_col_offset is not None
        start = starts[node.lineno - 1] + node.col_offset
        end = starts[node.end_lineno - 1] + node.end_col_offset
        edits.append((start, end, replacement(source[start:end].decode()).encode()))
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def _vendored(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in SOURCES


def _relative(node: ast.AST, up: str, filename: str) -> _Rewrite | None:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and _vendored(node.module):
        assert node.module is not None
        return _FromRewrite(node.module, up)
    if isinstance(node, ast.Import) and any(_vendored(alias.name) for alias in node.names):
        return _ImportRewrite(node, up, filename)
    return None


class _Rewrite:
    def __call__(self, statement: str) -> str:
        raise NotImplementedError


class _FromRewrite(_Rewrite):
    """`from pkg.mod import names` -> `from ..pkg.mod import names`; the names part is untouched
    (parentheses, comments and line breaks included)."""

    def __init__(self, module: str, up: str) -> None:
        dotted = r"\s*\.\s*".join(map(re.escape, module.split(".")))
        self._pattern = re.compile(rf"from(\s+){dotted}(?=[\s(\\])")
        self._replacement = f"from\\g<1>{up}{module}"

    def __call__(self, statement: str) -> str:
        new, count = self._pattern.subn(self._replacement, statement, count=1)
        assert count == 1, statement
        return new


class _ImportRewrite(_Rewrite):
    """`import pkg.mod as m, os` -> `from ..pkg import mod as m; import os`."""

    def __init__(self, node: ast.Import, up: str, filename: str) -> None:
        self._parts: list[str] = []
        for alias in node.names:
            if not _vendored(alias.name):
                self._parts.append(f"import {_alias(alias.name, alias.asname)}")
                continue
            parent, _, leaf = alias.name.rpartition(".")
            if parent and alias.asname is None:
                # `import a.b` binds `a` and loads a.b: no single relative import does both.
                raise VendorError(
                    f"{filename}:{node.lineno}: `import {alias.name}` cannot be made relative; "
                    f"write `from {parent} import {leaf}` (or add `as ...`)"
                )
            self._parts.append(f"from {up}{parent} import {_alias(leaf, alias.asname)}")

    def __call__(self, statement: str) -> str:
        return "; ".join(self._parts)


def _alias(name: str, asname: str | None) -> str:
    return name if asname is None else f"{name} as {asname}"


def _refuse_names_in_strings(tree: ast.AST, filename: str) -> None:
    for node in _module_name_strings(tree):
        raise VendorError(
            f"{filename}:{node.lineno}: the string {node.value!r} names a vendored package; a "
            "vendored copy would load the top-level one instead of itself. Use __package__ or "
            "__name__ (or a relative import)."
        )


def _module_name_strings(tree: ast.AST) -> Iterator[ast.Constant]:
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node.func) in _NAMING_ONLY and node.args:
            allowed.add(id(node.args[0]))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _MODULE_NAME.fullmatch(node.value)
            and id(node) not in allowed
        ):
            yield node


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vendor.py",
        description="Copy runai_tokens and runai_tokens_client into DEST, imports made relative.",
    )
    parser.add_argument("dest", type=Path, help="directory inside your package, e.g. acme/_vendor")
    args = parser.parse_args(argv)
    try:
        rewritten = vendor(args.dest)
    except VendorError as exc:
        print(f"vendor.py: {exc}", file=sys.stderr)
        return 1
    names = " and ".join(SOURCES)
    print(f"vendored {names} into {args.dest} ({len(rewritten)} files had imports rewritten)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
