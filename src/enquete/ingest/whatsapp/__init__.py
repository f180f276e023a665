"""Read WhatsApp chat exports (Android and iOS, any locale, .txt or .zip).

One segment per message. The header format (brackets, date separator, comma, seconds,
AM/PM) is detected from the file; headers written with other digits, time first or
non-Gregorian years are first rewritten to a standard header (the message text is never
touched). The date order (day, month or year first) is inferred from the whole file.
Message texts are kept exactly as written; only export artefacts (the edited marker, a
leading direction mark, the media marker before a caption) are removed. What each
message is (text, media, deleted, system, call...) comes from the phrase table
(``whatsapp_phrases.yaml``). Every line of the input ends up in a message or in the
rejects.

One module per job: :mod:`.headers` (header formats and their detection), :mod:`.dates`
(date order, timestamps), :mod:`.senders` (who wrote each message, which bodies are
notices), :mod:`.kinds` (message types), :mod:`.phrasebook` (the phrase table compiled),
:mod:`.reader` (files to the segment table).
"""

from enquete.ingest.whatsapp.dates import infer_date_order
from enquete.ingest.whatsapp.headers import HEADER_PROBE, HeaderFormat, detect_format, detect_formats, looks_like_chat
from enquete.ingest.whatsapp.kinds import classify
from enquete.ingest.whatsapp.phrasebook import chat_name, phrase_table
from enquete.ingest.whatsapp.reader import count_lines, parse_whatsapp, read_whatsapp

__all__ = [
    "HEADER_PROBE",
    "HeaderFormat",
    "chat_name",
    "classify",
    "count_lines",
    "detect_format",
    "detect_formats",
    "infer_date_order",
    "looks_like_chat",
    "parse_whatsapp",
    "phrase_table",
    "read_whatsapp",
]
