"""An OpenAI-compatible chat server (Ollama, llama.cpp, vLLM, LM Studio, an institution's
gateway): where it may be, how it is asked, and every answer cached.

Only the chat completions route is used (``POST {url}/chat/completions``), with ``GET
{url}/models`` to check the model first. The key, if any, comes from an environment variable
and is sent in the ``Authorization`` header only. Every request bounds its answer
(``max_tokens``); the answer comes back with why it ended (``finish_reason``) and what it cost
(``usage``). A server that said it is busy (429, 5xx) is asked again after a pause (its
``Retry-After``, or an exponential backoff); a request that timed out is not resent unchanged
(above temperature 0, once more with another seed); anything else is an
:class:`~enquete.errors.LLMError` in one line that says what to do.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
import sqlite3
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from enquete.errors import LLMError, PrivacyError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
CONTEXT_ERROR = "exceed_context_size_error"  # llama.cpp's type for a prompt longer than its context
RESEED = 1000  # a request timed out above temperature 0 is sent again with its seed + RESEED, beyond the other votes' seeds
MAX_WAIT = 60.0  # seconds, the longest pause between two tries


def endpoint_host(url: str, allow_remote: bool = False) -> str:
    """The server's host, refused (:class:`PrivacyError`) unless it is this machine or a private
    address, or the user confirmed a remote one."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if not host:
        raise LLMError(f"adresse du serveur de modèle illisible : {url!r} (par ex. http://127.0.0.1:11434/v1)")
    if allow_remote or _is_local(host):
        return host
    raise PrivacyError(
        f"le serveur {host} n'est ni cette machine ni une adresse privée : le texte pseudonymisé du corpus y serait envoyé. "
        "Confirmez avec --llm-allow-remote (ou settings.llm.allow_remote: true) si c'est bien voulu."
    )


def _is_local(host: str) -> bool:
    try:
        addresses = {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(host, None)}
        except (socket.gaierror, UnicodeError):
            return False
    return bool(addresses) and all(a.is_loopback or a.is_private or a.is_link_local for a in addresses)


class AnswerCache:
    """Answers kept by request (model, messages, sampling): a rerun, or ``enquete verify``,
    sends nothing already answered. One SQLite file in the corpus's private folder."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._db = None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)")

    @staticmethod
    def key(request: dict) -> str:
        return hashlib.sha256(json.dumps(request, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()

    def get(self, key: str) -> str | None:
        if self._db is None:
            return None
        with self._lock:
            row = self._db.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, answer: str) -> None:
        if self._db is not None:
            with self._lock, self._db:
                self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, answer))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@dataclass(frozen=True)
class Answer:
    """A server's answer to one request, and what it cost (``usage``: tokens of the prompt, of it
    reused from the server's cache, of the answer; 0 where the server does not say)."""

    content: str
    finish_reason: str = "stop"  # "length": cut at max_tokens
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    from_cache: bool = False

    @property
    def cut(self) -> bool:
        return self.finish_reason == "length"


class ChatClient:
    """Asks one model on one server; thread-safe (requests may run concurrently).

    Parameters
    ----------
    url : the server's OpenAI-compatible base address (``http://127.0.0.1:11434/v1`` for Ollama).
    model : the model's name on that server.
    key : the API key, if the server wants one (read from an environment variable by the caller).
    timeout : seconds to wait for one answer.
    retries : further tries after a transient failure.
    backoff : seconds before the first retry, doubled at each next one.
    cache : where answers are kept (:class:`AnswerCache`).
    """

    def __init__(self, url: str, model: str, *, key: str | None = None, timeout: float = 120.0, retries: int = 4,
                 backoff: float = 1.0, cache: AnswerCache | None = None):
        self.url, self.model, self.timeout, self.retries, self.backoff = url.rstrip("/"), model, timeout, retries, backoff
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(base_url=self.url + "/", timeout=timeout, headers=headers)
        self.cache = cache or AnswerCache(None)
        self.structured = True  # False once the server refused response_format
        self.sent = self.from_cache = 0
        self._count = threading.Lock()

    def __enter__(self) -> "ChatClient":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()
        self.cache.close()

    def check_model(self) -> None:
        """Fail early, and clearly, when the server is unreachable or does not serve the model."""
        try:
            response = self.http.get("models")
        except httpx.HTTPError as exc:
            raise LLMError(f"serveur de modèle injoignable à {self.url} ({type(exc).__name__}) : est-il lancé (Ollama : ollama serve) ?") from None
        if response.status_code in (401, 403):
            raise LLMError(f"le serveur {self.url} refuse l'accès ({response.status_code}) : clé absente ou invalide (--llm-key-env)")
        if response.status_code != 200:
            return  # no model list on this server: the first request will tell
        available = [m.get("id", "") for m in response.json().get("data", []) if isinstance(m, dict)]
        if available and self.model not in available and not any(a.split(":")[0] == self.model for a in available):
            raise LLMError(f"le serveur {self.url} ne sert pas le modèle « {self.model} » ; modèles disponibles : {', '.join(available)}")

    def complete(self, messages: list[dict], *, max_tokens: int, schema: dict | None = None, seed: int = 0, temperature: float = 0.0) -> Answer:
        """The model's answer to ``messages``, at most ``max_tokens`` long (from the cache when it was asked before)."""
        request = {"model": self.model, "messages": messages, "temperature": temperature, "seed": seed, "max_tokens": max_tokens}
        key = AnswerCache.key({**request, "schema": schema})
        cached = self.cache.get(key)
        if cached is not None:
            with self._count:
                self.from_cache += 1
            return Answer(**{**json.loads(cached), "from_cache": True})
        answer = self._post(request, schema)
        self.cache.put(key, json.dumps(asdict(answer), ensure_ascii=False))
        return answer

    def _post(self, request: dict, schema: dict | None) -> Answer:
        body = dict(request)
        if schema is not None and self.structured:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "codes", "strict": True, "schema": schema}}
        schema_refused = False
        for attempt in range(self.retries + 1):
            started = time.perf_counter()
            try:
                response = self.http.post("chat/completions", json=body)
            except httpx.TimeoutException:
                with self._count:
                    self.sent += 1
                # the same request would run as long again: at temperature 0 it is not resent; above, with another seed
                if body["temperature"] == 0 or attempt == self.retries:
                    raise LLMError(f"le serveur {self.url} n'a pas répondu en {self.timeout:g} s à une requête de {body['max_tokens']} tokens de réponse "
                                   "au plus : allongez le délai (--llm-timeout, settings.llm.timeout) ou donnez au serveur au moins autant de requêtes "
                                   "simultanées que settings.llm.concurrency (llama.cpp : --parallel), l'attente dans sa file comptant dans le délai") from None
                body["seed"] += RESEED
                continue
            except httpx.HTTPError as exc:
                raise LLMError(f"serveur de modèle injoignable à {self.url} ({type(exc).__name__})") from None
            with self._count:
                self.sent += 1
            if response.status_code == 200:
                if schema_refused:
                    self.structured = False  # a server without structured output: the prompt says the shape
                return _answer(response, time.perf_counter() - started)
            if response.status_code == 400 and "response_format" in body and _kind(response) != CONTEXT_ERROR:
                body.pop("response_format")  # perhaps a server without structured output: asked once without the schema
                schema_refused = True
                continue
            if response.status_code in RETRY_STATUS and attempt < self.retries:
                time.sleep(self._wait(attempt, response.headers.get("retry-after")))
                continue
            raise LLMError(_refusal(response, self.url, self.model))
        raise LLMError(f"le serveur {self.url} n'a pas donné de réponse utilisable")

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        try:
            return min(float(retry_after), MAX_WAIT) if retry_after else min(self.backoff * 2**attempt, MAX_WAIT)
        except ValueError:  # an HTTP date: wait as if none were given
            return min(self.backoff * 2**attempt, MAX_WAIT)


def _answer(response: httpx.Response, seconds: float) -> Answer:
    try:
        body = response.json()
        choice = body["choices"][0]
        usage = body.get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        return Answer(choice["message"]["content"] or "", str(choice.get("finish_reason") or "stop"), int(usage.get("prompt_tokens") or 0),
                      int(details.get("cached_tokens") or 0), int(usage.get("completion_tokens") or 0), round(seconds, 3))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise LLMError(f"réponse du serveur sans message (format OpenAI attendu) : {response.text[:200]!r}") from None


def _error(response: httpx.Response) -> dict:
    """The server's error object (OpenAI's shape: ``{"error": {"message", "type", "code"}}``), or its text as the message."""
    try:
        error = response.json().get("error", "")
    except (ValueError, AttributeError):
        return {"message": response.text[:200]}
    return error if isinstance(error, dict) else {"message": str(error)}


def _kind(response: httpx.Response) -> str:
    return str(_error(response).get("type", ""))


def _refusal(response: httpx.Response, url: str, model: str) -> str:
    """The server's refusal in one French line, with what to do."""
    error = _error(response)
    detail = " ".join(str(error.get("message", "")).split())
    if error.get("type") == CONTEXT_ERROR or "context" in detail.lower() and "exceed" in detail.lower():
        size = f" : la requête fait {error['n_prompt_tokens']} tokens, le contexte en a {error['n_ctx']}" if {"n_prompt_tokens", "n_ctx"} <= set(error) else ""
        return (f"le serveur {url} refuse une requête trop longue pour son contexte{size}. Augmentez le contexte du serveur "
                "(llama.cpp : -c, par requête parallèle ; Ollama : num_ctx ; vLLM : --max-model-len) ou montrez moins d'exemples "
                f"(settings.llm.examples) ; message du serveur : {detail}")
    if response.status_code == 404 or "model" in detail.lower() and "not found" in detail.lower():
        return f"le serveur {url} ne connaît pas le modèle « {model} » ({response.status_code} : {detail})"
    if response.status_code in (401, 403):
        return f"le serveur {url} refuse l'accès ({response.status_code}) : clé absente ou invalide (--llm-key-env)"
    kind = f" {error['type']}" if error.get("type") else ""
    return f"le serveur {url} a refusé la requête ({response.status_code}{kind}) : {detail}"
