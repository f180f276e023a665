"""YAML files: the data shipped with enquete (phrase tables, labels, codebooks, texts) and corpus.yaml.

Parsed with libyaml's C loader when PyYAML has it (ten times faster), same safe schema.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from yaml import YAMLError

__all__ = ["YAMLError", "package_yaml", "read_yaml"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> Any:
    """Parse YAML text safely (plain data only)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


def package_yaml(package: str, name: str) -> Any:
    """A YAML data file shipped inside an enquete package."""
    return read_yaml((resources.files(package) / name).read_text("utf-8"))
