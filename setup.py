"""Builds the optional C accelerator; all other settings are in pyproject.toml.

``optional=True``: without a compiler or the Python headers the install still succeeds and
the checker uses its pure-Python code (see docs/checker.md, "Speed").
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("frankly._speedups", ["src/frankly/_speedups.c"], optional=True)])
