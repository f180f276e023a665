"""Dates of message headers: the order of the date fields (inferred from the whole file)
and the timestamps."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from enquete.errors import IngestError, ReadingWarning
from enquete.ingest.whatsapp.headers import MARKS, MONTH_HEADER, HeaderFormat
from enquete.ingest.whatsapp.phrasebook import phrase_table
from enquete.settings import Settings


def _inversions(year, month, day, hour, minute) -> int:
    key = (((year * 100 + month) * 100 + day) * 100 + hour) * 100 + minute
    return int((np.diff(key) < 0).sum())


ORDERS = {"DMY": (2, 1, 0), "MDY": (2, 0, 1), "YMD": (0, 1, 2)}  # positions of (year, month, day)


def possible_date_orders(d1: np.ndarray, d2: np.ndarray, d3: np.ndarray) -> list[str]:
    """The orders that give every date a month from 1 to 12 and a day from 1 to 31 (year first last)."""
    fields = (d1, d2, d3)
    possible = []
    for order, (_, m, d) in ORDERS.items():
        if (fields[m] >= 1).all() and (fields[m] <= 12).all() and (fields[d] >= 1).all() and (fields[d] <= 31).all():
            possible.append(order)
    return possible


def infer_date_order(d1: np.ndarray, d2: np.ndarray, d3: np.ndarray, hour=None, minute=None) -> str | None:
    """'DMY', 'MDY' or 'YMD' from the data; None when the data cannot tell.

    An order is possible when every date has a month from 1 to 12 and a day from 1 to
    31 (a first field above 31 is a year). Among the possible ones, the order that
    keeps messages in chronological order wins; then the one whose day field changes
    most often (days change faster than months, months faster than years).
    """
    if len(d1) == 0:
        return None
    if (d1 > 31).any():
        return "YMD"
    possible = possible_date_orders(d1, d2, d3)
    if len(possible) <= 1:
        return possible[0] if possible else None
    fields = (d1, d2, d3)
    zeros = np.zeros_like(d1)
    hour = zeros if hour is None else hour
    minute = zeros if minute is None else minute

    def year(a):
        return np.where(a < 100, a + 2000, a)

    inversions = {o: _inversions(year(fields[ORDERS[o][0]]), fields[ORDERS[o][1]], fields[ORDERS[o][2]], hour, minute) for o in possible}
    fewest = min(inversions.values())
    possible = [o for o in possible if inversions[o] == fewest]
    changes = {o: int((np.diff(fields[ORDERS[o][2]]) != 0).sum()) for o in possible}
    most = max(changes.values())
    best = [o for o in possible if changes[o] == most]
    return best[0] if len(best) == 1 else None


def fallback_date_order(fmt: HeaderFormat, settings: Settings) -> str:
    """The order to use when the data cannot tell: dots and dashes are day first; slashes with AM/PM month first."""
    if fmt.sep in ".-":
        return "DMY"
    return "MDY" if fmt.ampm else settings.locale_date_order


def to_datetimes(year, month, day, hour, minute, second) -> np.ndarray:
    """Naive datetime64[ns] from integer arrays; impossible dates become NaT."""
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (hour < 24) & (minute < 60) & (second < 60)
    months = np.where(valid, (year - 1970) * 12 + month - 1, 0)
    start = months.astype("datetime64[M]").astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - start).astype(np.int64)
    valid &= day <= length
    seconds = (start + (day - 1).astype("timedelta64[D]")).astype("datetime64[s]") + (
        hour * 3600 + minute * 60 + second
    ).astype("timedelta64[s]")
    out = seconds.astype("datetime64[ns]")
    out[~valid] = np.datetime64("NaT")
    return out


def _int_field(struct: pa.StructArray, name: str, n: int) -> np.ndarray:
    try:
        values = struct.field(name)
    except KeyError:
        return np.zeros(n, dtype=np.int64)
    return pc.cast(values, pa.int64()).to_numpy()


def timestamps_of(fields: pa.StructArray, order: str) -> np.ndarray:
    n = len(fields)
    d = [_int_field(fields, k, n) for k in ("d1", "d2", "d3")]
    hour, minute, second = (_int_field(fields, k, n) for k in ("H", "M", "S"))
    try:
        ampm = pc.utf8_lower(pc.utf8_slice_codeunits(pc.utf8_trim(fields.field("ampm"), f" {MARKS}\u202f\u00a0"), 0, 1))
        ampm = np.asarray(ampm.to_numpy(zero_copy_only=False), dtype=object)
        hour = np.where((ampm == "p") & (hour < 12), hour + 12, hour)
        hour = np.where((ampm == "a") & (hour == 12), 0, hour)
    except KeyError:
        pass
    y, m, day = ORDERS[order]
    year = np.where(d[y] < 100, d[y] + 2000, d[y])
    return to_datetimes(year, d[m], d[day], hour, minute, second)


def inferred_order(fields: pa.StructArray, fmt: HeaderFormat, settings: Settings, path: str) -> str:
    n = len(fields)
    d1, d2, d3, hour, minute = (_int_field(fields, k, n) for k in ("d1", "d2", "d3", "H", "M"))
    order = infer_date_order(d1, d2, d3, hour, minute)
    if order is None:
        possible = possible_date_orders(d1, d2, d3)
        order = fallback_date_order(fmt, settings)
        if possible and order not in possible:
            order = possible[0]
        warnings.warn(
            f"{path} : ordre des dates ambigu, {order} retenu ; s'il est faux, indiquez date_order: DMY, MDY ou YMD "
            "pour ce document dans corpus.yaml",
            ReadingWarning,
            stacklevel=4,
        )
    return order


def month_number(word: str) -> int | None:
    """1 to 12 for a month's name or abbreviation in a language of the phrase table ("Mar", "sept", "März")."""
    word = word.strip(".")
    return next((i for i, pattern in enumerate(phrase_table().months, start=1) if pattern.fullmatch(word)), None)


def _month_header(line: str) -> tuple[re.Match, int, int] | None:
    """(match, month, day) of a header written with the month's name."""
    m = MONTH_HEADER.match(line) if line else None
    if not m:
        return None
    month = month_number(m["month"] or m["month_first"])
    return (m, month, int(m["day"] or m["day_after"])) if month else None


def years_of(months: np.ndarray, days: np.ndarray, first_year: int | None = None, export: dt.datetime | None = None) -> np.ndarray:
    """The year of each (month, day) of a chronological chat, from its first message's year or the export's date.

    A new year starts each time the month goes back; the last message is not later than the export.
    """
    turns = np.r_[0, np.cumsum(np.diff(months) < 0)]
    if first_year is not None:
        return first_year + turns
    last = export.year - ((months[-1], days[-1]) > (export.month, export.day))
    return last - (turns[-1] - turns)


def dated_month_headers(lines: pa.Array, document_year: int | None, export: dt.datetime | None, path: str) -> pa.Array:
    """Lines whose headers written with the month's name are rewritten day first, with their year.

    Old Android exports leave the year out ("Mar 5, 8:11 PM - ", "18 Mar 12:14 - "): it is
    taken from ``document_year`` (the first message's year, ``year:`` in corpus.yaml) or
    from ``export`` (the date of the chat in its .zip), with a warning; without either the
    export is rejected with that reason. Message texts are untouched.
    """
    values = lines.to_pylist()
    found = [(i, *h) for i, line in enumerate(values) if (h := _month_header(line))]
    if not found:
        return lines
    months = np.array([month for _, _, month, _ in found])
    days = np.array([day for _, _, _, day in found])
    if all(m["year"] for _, m, _, _ in found):
        years = np.array([int(m["year"]) for _, m, _, _ in found])
    elif document_year is not None:
        years = years_of(months, days, first_year=document_year)
        warnings.warn(f"{path} : en-têtes sans année ; {document_year} (year: dans corpus.yaml) pour le premier message, "
                      f"{years[-1]} pour le dernier", ReadingWarning, stacklevel=4)
    elif export is not None:
        years = years_of(months, days, export=export)
        warnings.warn(f"{path} : en-têtes sans année ; années déduites de la date de la discussion dans le zip ({export:%d/%m/%Y}) : "
                      f"{years[0]} pour le premier message, {years[-1]} pour le dernier ; si c'est faux, indiquez year: (l'année du "
                      "premier message) pour ce document dans corpus.yaml", ReadingWarning, stacklevel=4)
    else:
        raise IngestError(path, f"en-têtes de messages sans année (« {found[0][1].group(0).strip()} … ») : indiquez year: (l'année du premier "
                          "message) pour ce document dans corpus.yaml ; non lu", found[0][0] + 1)
    for (i, m, month, day), year in zip(found, years):
        year = int(m["year"]) if m["year"] else int(year)
        time = f"{m['H']}:{m['M']}" + (f":{m['S']}" if m["S"] else "") + (f" {m['ampm'].strip()}" if m["ampm"] else "")
        header = f"[{day}/{month}/{year}, {time}] " if m["bracket"] else f"{day}/{month}/{year}, {time} - "
        values[i] = header + values[i][m.end():]
    return pa.array(values, pa.large_string())
