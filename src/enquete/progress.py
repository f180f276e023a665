"""Progress display for long loops, in the terminal and in notebooks (rich)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
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


@contextmanager
def progress_bar(description: str, total: float, unit: str, show: bool = True) -> Iterator[Callable[..., None]]:
    """A bar advanced by hand, ``advance(amount=1, note="")``, for slow items: done/total, the
    seconds per ``unit``, the time spent and left, and the last note (nothing when progress is off)."""
    if not (show and enabled()):
        yield lambda amount=1, note="": None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn(f"{{task.completed:.0f}}/{{task.total:.0f}} {unit}s"),
               TextColumn("{task.fields[per]}"), TimeElapsedColumn(), TextColumn("reste"), TimeRemainingColumn(), TextColumn("{task.fields[note]}"))
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(description, total=total, per="", note="")

        def advance(amount: float = 1, note: str = "") -> None:
            progress.advance(task, amount)
            done = progress.tasks[0]
            per = f"{done.elapsed / done.completed:.1f} s/{unit}" if done.completed and done.elapsed else ""
            progress.update(task, per=per, note=note)

        yield advance
