"""Where the project's shared folders are: templates, static files, config, locales."""

from pathlib import Path

# The checkout the apps run from (`pip install -e .`), where the top-level folders sit beside the
# packages. A wheel (a station's release, docs/operations.md) has no checkout: it carries copies of
# the folders in waystation/_share/ (setup.py). This is the one place that knows it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
_WHEEL_SHARE = Path(__file__).resolve().parent / "_share"
SHARE_DIR = _WHEEL_SHARE if _WHEEL_SHARE.is_dir() else PROJECT_ROOT
TEMPLATES_DIR = SHARE_DIR / "templates"
STATIC_DIR = SHARE_DIR / "static"
CONFIG_DIR = SHARE_DIR / "config"
