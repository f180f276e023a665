"""Property: a chat rendered in any supported export format reads back identically."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enquete.corpus import Document
from enquete.ingest.whatsapp import HEADER_PROBE, classify, parse_whatsapp
from tests.conftest import reading_warnings


def _h12(ts: dt.datetime) -> str:
    return f"{ts.hour % 12 or 12}:{ts:%M}"


def _ampm(ts: dt.datetime) -> str:
    return "AM" if ts.hour < 12 else "PM"


FORMATS = {
    "android_fr": (lambda t: f"{t:%d/%m/%Y %H:%M} - ", False),
    "android_fr_comma": (lambda t: f"{t:%d/%m/%Y, %H:%M} - ", False),
    "android_fr_old": (lambda t: f"{t:%d/%m/%Y} à {t:%H:%M} - ", False),
    "android_en": (lambda t: f"{t.month}/{t.day}/{t:%y}, {_h12(t)}\u202f{_ampm(t)} - ", False),
    "android_dots": (lambda t: f"{t:%d.%m.%y}, {t:%H:%M} - ", False),
    "android_ymd": (lambda t: f"{t:%Y-%m-%d %H:%M} - ", False),
    "ios_fr": (lambda t: f"[{t:%d/%m/%Y %H:%M:%S}] ", True),
    "ios_en": (lambda t: f"[{t.month}/{t.day}/{t:%y}, {_h12(t)}:{t:%S}\u202f{_ampm(t)}] ", True),
}

SENDERS = st.sampled_from(
    ["Amélie Durand", "Karim 🌻", "Jean-Pierre", "Manuel (gardien)", "+33 6 12 34 56 78", "Zoé", "Nadia B.", "Ibrahima Sow"]
)
ALPHABET = "abcdeéèàçôùxyzABCÉZ0123456789 :;[]()/-.,!?'«»€²😀👍🏾"
LINE = st.text(alphabet=ALPHABET, max_size=30).filter(lambda s: not HEADER_PROBE.match(s))
# WhatsApp sends no message ending with a line break (the reader leaves such blank lines out)
TEXT = st.lists(LINE, min_size=1, max_size=4).map(lambda lines: "\n".join(lines).rstrip("\n")).filter(lambda t: classify([t])[0][0].as_py() == "text")


@st.composite
def chats(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    start = dt.datetime(2021, 3, 13, 8, 0, 0)  # day 13: the date order is decidable
    gaps = draw(st.lists(st.integers(min_value=0, max_value=200_000), min_size=n, max_size=n))
    times, t = [], start
    for gap in gaps:
        t += dt.timedelta(seconds=gap)
        times.append(t)
    senders = draw(st.lists(SENDERS, min_size=n, max_size=n))
    texts = draw(st.lists(TEXT, min_size=n, max_size=n))
    return list(zip(times, senders, texts))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(chat=chats(), fmt=st.sampled_from(sorted(FORMATS)))
def test_rendered_chats_read_back_identically(chat, fmt):
    render, seconds = FORMATS[fmt]
    export = "".join(f"{render(t)}{s}: {x}\n" for t, s, x in chat)
    with reading_warnings("ordre des dates ambigu"):
        df = parse_whatsapp(export.encode(), Document(id="g", path=None, relpath="g.txt"))
    assert df["speaker"].tolist() == [s for _, s, _ in chat]
    assert df["text"].tolist() == [x for _, _, x in chat]
    expected = [t if seconds else t.replace(second=0) for t, _, _ in chat]
    assert [ts.to_pydatetime() for ts in df["timestamp"]] == expected
    assert set(df["message_type"]) == {"text"}
