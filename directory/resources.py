"""Where the app's top-level folders are, in a checkout and in an installed wheel.

``templates/`` and ``migrations/`` sit at the top of the repository (the product owner
wants the templates there). A wheel carries them inside the package, as
``directory/templates`` and ``directory/migrations`` (``setup.py`` copies them in at build
time), so an installed app finds them beside its code; a checkout or an editable install
has no such folders in the package and uses the repository's.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped_folder(name: str) -> Path:
    """The real directory holding the top-level folder ``name`` (templates or migrations).

    Flask's template loader and Alembic both need a path on disk, which an installed
    wheel has (pip unpacks it); a zipped install isn't supported.
    """
    packaged = Path(str(files("directory") / name))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name
