"""tools/vendor.py's rewrite, on sources made up for the purpose (test_vendoring runs the copy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools import vendor

REPO = Path(__file__).resolve().parents[1]


def rewrite(source: str, up: str = "..") -> str:
    return vendor.rewrite_source(source.encode(), up).decode()


def test_from_imports_become_relative_keeping_their_layout() -> None:
    source = (
        "from runai_tokens_client import Client\n"
        "if TYPE_CHECKING:\n"
        "    from runai_tokens.testing import (  # the kit\n"
        "        FakeRunaiServer,\n"
        "    )\n"
        "from runai_tokens_client_extra import x  # another package that merely starts alike\n"
        "from .errors import ApiException\n"
    )
    assert rewrite(source, up="...") == (
        "from ...runai_tokens_client import Client\n"
        "if TYPE_CHECKING:\n"
        "    from ...runai_tokens.testing import (  # the kit\n"
        "        FakeRunaiServer,\n"
        "    )\n"
        "from runai_tokens_client_extra import x  # another package that merely starts alike\n"
        "from .errors import ApiException\n"
    )


def test_plain_imports_become_relative() -> None:
    source = 's = "é"; import os, runai_tokens_client.models as models, runai_tokens\n'
    assert rewrite(source) == (
        's = "é"; import os; from ..runai_tokens_client import models as models; '
        "from .. import runai_tokens\n"
    )


def test_what_cannot_be_made_relative_is_refused_with_its_line() -> None:
    with pytest.raises(vendor.VendorError, match=r"<source>:2: `import runai_tokens.testing`"):
        rewrite("import os\nimport runai_tokens.testing\n")
    with pytest.raises(vendor.VendorError, match=r"<source>:1: the string 'runai_tokens.testing'"):
        rewrite('files = resources.files("runai_tokens.testing")\n')
    with pytest.raises(vendor.VendorError, match=r"the string 'runai_tokens_client.api.'"):
        rewrite('module = importlib.import_module(f"runai_tokens_client.api.{name}")\n')


def test_logger_names_and_prose_stay() -> None:
    source = (
        'logger = logging.getLogger("runai_tokens.auth")\n'
        'HELP = "run the fake server (runai_tokens.testing)"\n'
    )
    assert rewrite(source) == source


def test_a_refused_file_leaves_an_earlier_copy_untouched(tmp_path: Path) -> None:
    dest = tmp_path / "acme" / "_vendor"
    vendor.vendor(dest)
    before = sorted(p.relative_to(dest) for p in dest.rglob("*"))
    bad = tmp_path / "bad"
    shutil.copytree(REPO / "overrides" / "runai_tokens", bad)
    (bad / "_new.py").write_text("import runai_tokens.auth\n")
    sources = {**vendor.SOURCES, "runai_tokens": bad}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vendor, "SOURCES", sources)
        with pytest.raises(vendor.VendorError, match=r"_new\.py:1"):
            vendor.vendor(dest)
    assert sorted(p.relative_to(dest) for p in dest.rglob("*")) == before
