"""Decoding text files: BOMs, UTF-16, cp1252, binary data and empty files."""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from enquete.errors import IngestError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first kilobytes: not a text file (CHAT's
    time bullets, 0x15, are text)."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if (b < 9 or 13 < b < 32) and b != 0x15)
    return controls > max(8, len(head) // 100)


def decode_bytes(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode a text file's bytes; return (text, encoding).

    A BOM decides; else UTF-8 if it decodes; else the best guess among the encodings
    charset-normalizer proposes (cp1252 and latin-1 for French files). Line endings are
    normalised to LF and BOMs at the start of lines are removed.
    """
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise IngestError(path, "fichier vide")
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding:
        text = data[len(next(b for b, e in _BOMS if e == encoding)) :].decode(encoding, errors="strict")
    else:
        if looks_binary(data):
            raise IngestError(path, "données binaires : ce n'est pas un fichier texte")
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            best = from_bytes(data, cp_isolation=["cp1252", "latin_1", "utf_16"]).best()
            if best is None:
                line = data[: exc.start].count(b"\n") + 1
                raise IngestError(path, "encodage illisible (ni UTF-8 ni cp1252)", line) from None
            encoding = best.encoding
            text = str(best)
    return normalise_newlines(text), encoding


def normalise_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\ufeff" in text:
        text = text.lstrip("\ufeff").replace("\n\ufeff", "\n")
    return text


def read_text(path: str | Path) -> tuple[str, str]:
    """Read and decode a text file; see :func:`decode_bytes`."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise IngestError(path, f"lecture impossible ({exc.strerror or exc})") from None
    return decode_bytes(data, path)
