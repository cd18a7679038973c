"""The one thing pyproject.toml cannot say with automatic package discovery: the repository's
`presets/` and `resources/` folders are installed as the packages `playground._presets` and
`playground._resources` (package data, read through `importlib.resources` by
playground/core/builtin_data.py). Everything else about the project is in pyproject.toml."""
from setuptools import find_packages, setup

BUILTIN_DATA = {
    "playground._presets": "presets",
    "playground._presets.lessons": "presets/lessons",
    "playground._resources": "resources",
}

setup(packages=find_packages(include=["playground*", "widgets*"]) + list(BUILTIN_DATA),
      package_dir=BUILTIN_DATA)
