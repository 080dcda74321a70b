"""The engine must stay headless: importing it never loads Textual."""

import subprocess
import sys

CORE_MODULES = [
    "loratui.core",
    "loratui.core.store.db",
    "loratui.core.store.models",
    "loratui.core.projects.workspace",
    "loratui.core.audit",
    "loratui.cli",
]


def test_core_never_imports_textual() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import loratui.core\n"
        "for m in pkgutil.walk_packages(loratui.core.__path__, 'loratui.core.'):\n"
        "    importlib.import_module(m.name)\n"
        f"for m in {CORE_MODULES!r}:\n"
        "    importlib.import_module(m)\n"
        "import loratui.cli\n"
        "loratui.cli.build_parser()\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(len(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0", out.stdout + out.stderr
