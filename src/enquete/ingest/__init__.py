"""Ingest stage: corpus files to the segment table (one row per turn or message).

``read_whatsapp``, ``read_transcript``, ``read_social`` and the field readers read one file;
``read_document`` picks the right one (:mod:`~enquete.ingest.reading`); ``ingest_corpus``
reads a whole corpus, turning every unreadable file into a row of the rejects report instead
of stopping; :mod:`~enquete.ingest.describe` says in French how each was read.
"""

from __future__ import annotations

from enquete.errors import IngestError
from enquete.ingest.common import Reject
from enquete.ingest.describe import describe_reading, speaker_flags, speakers_by_document
from enquete.ingest.reading import detect_kind, ingest_corpus, ingest_paths, read_document
from enquete.ingest.transcripts import read_transcript
from enquete.ingest.whatsapp import read_whatsapp

__all__ = [
    "IngestError",
    "Reject",
    "describe_reading",
    "detect_kind",
    "speaker_flags",
    "speakers_by_document",
    "ingest_corpus",
    "ingest_paths",
    "read_document",
    "read_transcript",
    "read_whatsapp",
]
