"""Progress display for long loops, in the terminal and in notebooks (rich)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import TypeVar

from rich.progress import track as _rich_track

T = TypeVar("T")


def enabled() -> bool:
    """Progress bars unless ENQUETE_PROGRESS=0 or the output is not interactive (CI logs)."""
    if os.environ.get("ENQUETE_PROGRESS") == "0":
        return False
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def track(items: Sequence[T] | Iterable[T], description: str, total: int | None = None) -> Iterable[T]:
    """Iterate with a progress bar when it helps."""
    if not enabled():
        return items
    return _rich_track(items, description=description, total=total, transient=True)
