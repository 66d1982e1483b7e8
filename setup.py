"""What pyproject.toml cannot say: the packages, with the top-level ``templates/`` folder installed
as ``victim_support/templates``.

A ``package-dir`` mapping only takes effect for a listed package, and
``[tool.setuptools.packages.find]`` cannot list one outside its search; so the packages are found
here and the mapped one (with its sub-folders) added. Everything else (metadata, dependencies,
package data) is in pyproject.toml. From a checkout (``pip install -e .``)
``victim_support.app.asset_dir`` finds the top-level folder itself.
"""

from setuptools import find_namespace_packages, setup

TOP_LEVEL = ("core", "ledgers", "importers", "gis", "victim_support")

setup(
    packages=[
        *find_namespace_packages(
            include=[pattern for name in TOP_LEVEL for pattern in (name, f"{name}.*")],
            exclude=["*.__pycache__"],
        ),
        "victim_support.templates",
        # its sub-folders too (setuptools warns about a data folder that is not a listed package)
        *(f"victim_support.templates.{name}" for name in find_namespace_packages("templates")),
    ],
    package_dir={"victim_support.templates": "templates"},
)
