"""The ranker is a pure library: no web framework, no ORM, and only matching/ imports it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "marketplace"
BLOCKED = ("flask", "flask_babel", "flask_sqlalchemy", "sqlalchemy", "werkzeug")

# Runs in a fresh interpreter: any import of a blocked package (or a submodule of one) raises
# ImportError, then marketplace.ranking and every module under it are imported.
PROBE = f"""
import importlib, importlib.abc, pkgutil, sys

BLOCKED = {BLOCKED!r}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked for the purity test: " + name)
        return None

sys.meta_path.insert(0, Block())
for name in BLOCKED:
    sys.modules.pop(name, None)

import marketplace.ranking as ranking
names = [ranking.__name__]
names += [m.name for m in pkgutil.walk_packages(ranking.__path__, ranking.__name__ + ".")]
failed = []
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(name + ": " + repr(exc))
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
if failed or loaded:
    print("\\n".join(failed + ["loaded: " + m for m in loaded]))
    sys.exit(1)
print(len(names))
"""


def test_ranking_imports_without_flask_or_sqlalchemy():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=PACKAGE.parent,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert int(done.stdout.split()[-1]) >= 9  # the package and its modules were all imported


def _imported_modules(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """Every module a file imports, at any depth (imports inside functions count too)."""
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    if path.name == "__init__.py":
        module = module.rsplit(".", 1)[0]
        package = module
    else:
        package = module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return found


def _imports_ranking(names: set[str]) -> bool:
    return any(n == "marketplace.ranking" or n.startswith("marketplace.ranking.") for n in names)


def test_only_matching_imports_ranking():
    allowed = (PACKAGE / "matching", PACKAGE / "ranking")
    offenders = sorted(
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if not any(path.is_relative_to(folder) for folder in allowed)
        and _imports_ranking(_imported_modules(path))
    )
    assert offenders == [], f"only marketplace/matching/ may import the ranker: {offenders}"


def test_the_scan_sees_every_form_of_import(tmp_path):
    """The scan itself: absolute, from-package, relative and in-function imports are all seen."""
    cases = {
        "import marketplace.ranking.model": True,
        "from marketplace.ranking import generator": True,
        "from marketplace import ranking": True,
        "def f():\n    from marketplace.ranking.market import KINDS": True,
        "from ..ranking import market": True,
        "from marketplace import taxonomy": False,
        "from marketplace.rankings_page import x": False,
    }
    folder = tmp_path / "marketplace" / "demo"
    folder.mkdir(parents=True)
    for source, expected in cases.items():
        path = folder / "probe.py"
        path.write_text(source + "\n", encoding="utf-8")
        assert _imports_ranking(_imported_modules(path, root=tmp_path)) is expected, source
