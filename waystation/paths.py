"""Where the project's shared folders are: templates, static files, config, locales."""

from pathlib import Path

# The apps are installed from a checkout (`pip install -e .`), so the top-level folders sit beside
# the packages; this is the one place that knows it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
CONFIG_DIR = PROJECT_ROOT / "config"
