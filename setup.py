"""Build hook: the wheel carries the top-level ``templates/`` and ``migrations/``.

Everything else about the package is declared in pyproject.toml. The two folders stay at
the top of the repository (the product owner asked for ``templates/`` there), so setuptools'
package data can't reach them; this copies them into the built package as
``directory/templates`` and ``directory/migrations``, where ``directory.resources`` looks
first. Editable installs skip the copy and use the repository's folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED_FOLDERS = ("templates", "migrations")


class BuildPyWithTopLevelFolders(build_py):
    """``build_py`` that also copies the top-level folders into the built package."""

    def run(self) -> None:
        """Build as usual, then copy the folders in (not for editable installs)."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in SHIPPED_FOLDERS:
            source = ROOT / name
            if not source.is_dir():
                raise FileNotFoundError(f"{source} is missing: the wheel would not run")
            target = Path(self.build_lib) / "directory" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithTopLevelFolders})
