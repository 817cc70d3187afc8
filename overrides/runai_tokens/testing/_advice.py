"""How to get what the test kit needs, in words that fit the copy of the package at hand.

An installed runai-tokens gets it from its `testing` extra. A copy vendored into another project
(tools/vendor.py: acme._vendor.runai_tokens) has no extra to install: pip would fetch a second,
separate runai-tokens. Its advice names the vendored package and the packages themselves.
Standard library only: it is what is said when the kit's dependencies are missing.
"""

from __future__ import annotations

# What the `testing` extra brings for the kit (pyproject.toml; pytest only for the plugin).
KIT_PACKAGES = "PyYAML and jsonschema"


def install_advice() -> str:
    """`pip install 'runai-tokens[testing]'`, or, for a vendored copy, where it lives."""
    package = (__package__ or "").rpartition(".")[0]  # the package holding this test kit
    if "." not in package:  # installed under its own top-level name
        return "pip install 'runai-tokens[testing]'"
    return (
        f"install {KIT_PACKAGES} with your project's test dependencies ({package} is a "
        "vendored copy: it has no extra of its own, and pip would install a second copy)"
    )
