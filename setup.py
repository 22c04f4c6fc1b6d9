"""Build hook: a wheel carries the shared folders (templates, static, config) inside the package.

The project's metadata is in pyproject.toml. From a checkout (`pip install -e .`) the apps read
the top-level folders where they are; a wheel, as a station's release is installed from
(docs/operations.md, "Upgrading a station"), has no checkout beside it, so the folders are copied
to `waystation/_share/` at build time and waystation/paths.py looks there first.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

SHARED = ("templates", "static", "config")


class BuildWithSharedFolders(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own folders
        for name in SHARED:
            self.copy_tree(name, os.path.join(self.build_lib, "waystation", "_share", name))


setup(cmdclass={"build_py": BuildWithSharedFolders})
