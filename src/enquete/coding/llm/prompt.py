"""What is asked of the model, and how its answer is read and checked.

The prompt is built from the codebook alone (labels, definitions, inclusion and exclusion
criteria, cues, examples: ``prompt.yaml`` holds its sentences); each request adds the
segment, its context (the question asked, the previous message) and the nearest segments
the team coded. The answer is a JSON object ``{"codes": [{"code", "justification",
"quote", "confidence"}]}``; it is read tolerantly (fences and prose around the JSON), and a
code whose quote is not in the segment is dropped, so no invented evidence reaches a report.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from enquete.codebook import Codebook
from enquete.datafiles import package_yaml

CONTEXT_CHARS = 600  # the end of a long previous turn is what the segment answers
EXAMPLE_CHARS = 400
MAX_CUES = 12  # of a code's indicators, the first (the codebook lists phrases before single words)
WORDS = 20  # the longest justification, and the longest quote, asked for
REPAIR_CODES, REPAIR_WORDS = 3, 10  # what a repair asks for, after an answer cut or unreadable
#: Tokens of one code of an answer without its justification and quote (keys, id, confidence,
#: punctuation, the indentation models add), and per word of French: measured with Gemma 3's
#: tokenizer on answers naming every code of the bundled codebooks (40 to 45, 1.4 to 1.5), then rounded up.
ITEM_TOKENS, TOKENS_PER_WORD = 48, 2
FRAME_TOKENS = 10  # {"codes": [ ... ]}
#: Typographic characters a model may write for their plain form when it copies a quote.
PLAIN = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-", "\u00a0": " ", "\u202f": " "})
ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\)|…|\.\.\.)\s*")


@lru_cache(maxsize=1)
def _texts() -> dict:
    return package_yaml("enquete.coding.llm", "prompt.yaml")


def texts(language: str) -> dict:
    """The prompt's sentences in the run's language (French when there are none for it)."""
    table = _texts()
    return table.get(language, table["fr"])


def system_prompt(codebook: Codebook, language: str = "fr") -> str:
    """The instructions and the whole codebook: the same for every request of a run."""
    t = texts(language)
    lines = []
    for code in codebook.codes:
        lines.append(t["code"].format(id=code.id, label=code.display_label(language), definition=" ".join(code.display_definition(language).split())))
        for part in ("include", "exclude", "indicators", "examples"):
            items = getattr(code, part)[: MAX_CUES if part == "indicators" else None]
            if items:
                lines.append(t[part].format(items=" ; ".join(f"« {i} »" if part == "examples" else i for i in items)))
    description = " ".join(codebook.description.split())
    return t["system"].format(codebook=codebook.display_label(language), description=description, words=WORDS, codes="\n".join(lines))


def user_prompt(text: str, context: str = "", context_is_question: bool = False, examples: list[tuple[str, list[str]]] = (), language: str = "fr") -> str:
    """One request's message: the nearest coded segments, the context, then the segment."""
    t = texts(language)
    parts = []
    if examples:
        parts.append("\n".join([t["neighbours"], *(t["neighbour"].format(text=_short(e, EXAMPLE_CHARS), codes=", ".join(c) or t["no_code"]) for e, c in examples)]))
    if context:
        parts.append(t["context_question" if context_is_question else "context_previous"].format(text=_short(context, CONTEXT_CHARS, keep_end=True)))
    parts.append(t["segment"].format(text=text))
    return "\n\n".join(parts)


def repair_prompt(user: str, language: str = "fr") -> str:
    """A request's message asked again after an answer cut or unreadable: the same, and a shorter answer asked for
    (the system prompt and the start of the message unchanged, so that the server reuses them)."""
    return user + "\n\n" + texts(language)["repair"].format(codes=REPAIR_CODES, words=REPAIR_WORDS)


def answer_tokens(codebook: Codebook, codes: int | None = None, words: int = WORDS) -> int:
    """The longest answer asked for, in tokens (``max_tokens``): every code once (or ``codes`` of them),
    each with a justification and a quote of ``words`` words."""
    n = len(codebook.ids) if codes is None else min(codes, len(codebook.ids))
    return FRAME_TOKENS + n * (ITEM_TOKENS + 2 * words * TOKENS_PER_WORD)


def answer_schema(codebook: Codebook) -> dict:
    """The JSON schema of an answer (sent as ``response_format`` where the server supports it)."""
    item = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "enum": codebook.ids},
            "justification": {"type": "string"},
            "quote": {"type": "string"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["code", "justification", "quote", "confidence"],
        "additionalProperties": False,
    }
    return {"type": "object", "properties": {"codes": {"type": "array", "items": item}}, "required": ["codes"], "additionalProperties": False}


def prompt_hash(codebook: Codebook, language: str = "fr") -> str:
    """What identifies the questions asked: instructions, codebook, schema, request sentences."""
    payload = json.dumps([system_prompt(codebook, language), texts(language), answer_schema(codebook)], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _short(text: str, limit: int, keep_end: bool = False) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return "… " + text[-limit:] if keep_end else text[:limit] + " …"


class UnreadableAnswer(ValueError):
    """The model's answer holds no JSON object of the expected shape."""


def parse_answer(answer: str) -> list[dict]:
    """The list of codes of an answer: the first JSON object in it with a ``codes`` list
    (fences, prose and thinking tags around it are skipped)."""
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"\{", answer)):
        try:
            found, _ = decoder.raw_decode(answer, start)
        except json.JSONDecodeError:
            continue
        if isinstance(found, dict) and isinstance(found.get("codes"), list):
            return [c for c in found["codes"] if isinstance(c, dict)]
    raise UnreadableAnswer(f"pas d'objet JSON avec une liste « codes » dans la réponse : {answer[:200]!r}")


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).translate(PLAIN).casefold().split())


def quote_in(quote: str, text: str) -> bool:
    """Whether a quote is the segment's own words: whitespace, case and typographic quotes
    aside; the parts of a quote cut with « … » must appear in order."""
    body = _plain(text)
    parts = [p.strip(" \"'.,;:!?") for p in ELLIPSIS.split(_plain(quote).strip(" \"'"))]
    parts = [p for p in parts if p]
    position = 0
    for part in parts:
        found = body.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return bool(parts)


@dataclass
class Checked:
    """The codes of one answer that hold, and what was dropped."""

    codes: list[dict] = field(default_factory=list)  # code, justification, quote, confidence
    invented_quotes: list[str] = field(default_factory=list)  # codes dropped: their quote is not in the segment
    unknown: list[str] = field(default_factory=list)  # code ids not in the codebook


def check_codes(answer: list[dict], text: str, codebook: Codebook) -> Checked:
    """Keep the codes of the codebook whose quote is in the segment (once per code)."""
    checked = Checked()
    seen = set()
    for item in answer:
        code = str(item.get("code", "")).strip()
        if code not in codebook.ids:
            checked.unknown.append(code)
        elif not quote_in(str(item.get("quote", "")), text):
            checked.invented_quotes.append(code)
        elif code not in seen:
            seen.add(code)
            checked.codes.append({
                "code": code,
                "justification": " ".join(str(item.get("justification", "")).split()),
                "quote": " ".join(str(item["quote"]).split()),
                "confidence": _confidence(item.get("confidence")),
            })
    return checked


def _confidence(value) -> float:
    """The stated confidence, within 0..1 (1 when the model gave none)."""
    try:
        return min(max(float(value), 0.0), 1.0)
    except (TypeError, ValueError):
        return 1.0
