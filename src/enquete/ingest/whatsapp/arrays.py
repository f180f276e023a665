"""Arrow helpers the WhatsApp reader's stages share: regex masks and row-wise replacement."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def mask(array: pa.Array, pattern: str, rows: np.ndarray | None = None) -> np.ndarray:
    """Where ``pattern`` matches (RE2); only ``rows`` are tested when given (the rest is False)."""
    if rows is None:
        return pc.fill_null(pc.match_substring_regex(array, pattern), False).to_numpy(zero_copy_only=False)
    out = np.zeros(len(array), dtype=bool)
    if len(rows):
        out[rows] = mask(pc.take(array, pa.array(rows)), pattern)
    return out


def starting(prefix: str, alternation: str) -> str:
    """A case-insensitive RE2 pattern: the line starts with prefix, then one of the phrases."""
    return f"(?i)^{prefix}(?:{alternation})"


def replace_rows(array: pa.Array, rows: np.ndarray, transform) -> pa.Array:
    """``array`` with ``transform`` applied to the given rows only (no full-length copy when none)."""
    if not len(rows):
        return array
    mask = np.zeros(len(array), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(array, pa.array(mask), transform(pc.take(array, pa.array(rows))))


def isin(values: pa.Array, allowed) -> np.ndarray:
    return pc.fill_null(pc.is_in(values, pa.array(sorted(allowed), values.type)), False).to_numpy(zero_copy_only=False)
