"""The arrows of the layout may not turn around: nothing outside `studio/tui/` imports textual.

The CLI never pays for the studio: every core module (and the CLI with all
its commands registered) is imported in a fresh interpreter, which must end
up without `textual` in `sys.modules`.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import studio

PACKAGE = Path(studio.__file__).parent


def _core_modules() -> list[str]:
    """Every module of the package except the studio's own."""
    names = []
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="studio."):
        if info.name == "studio.tui" or info.name.startswith("studio.tui."):
            continue
        if info.name.startswith("studio.demo"):
            continue  # the demo's models import SQLAlchemy only, checked below by the file scan
        names.append(info.name)
    return sorted(names)


def test_core_imports_no_textual() -> None:
    modules = ["studio.cli", "studio.commands.diff", "studio.run.runner", *_core_modules()]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"textual imported by the core: {out.stdout.strip()}"


def test_importing_the_studio_package_is_cheap() -> None:
    """`studio.tui` itself defers textual until the app is opened (the CLI imports it lazily)."""
    code = "import sys, studio.tui; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_core_file_mentions_textual_imports() -> None:
    """A static check too: an import inside a function would escape the subprocess test."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "tui":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "textual" or n.startswith("textual.") for n in names):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, f"textual imported outside studio/tui: {offenders}"
