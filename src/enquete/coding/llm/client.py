"""An OpenAI-compatible chat server (Ollama, llama.cpp, vLLM, LM Studio, an institution's
gateway): where it may be, how it is asked, and every answer cached.

Only the chat completions route is used (``POST {url}/chat/completions``), with ``GET
{url}/models`` to check the model first. The key, if any, comes from an environment variable
and is sent in the ``Authorization`` header only. Transient failures (429, 5xx, timeouts) are
retried with exponential backoff (or the server's ``Retry-After``); anything else is an
:class:`~enquete.errors.LLMError` that says what to do.
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
from pathlib import Path

import httpx

from enquete.errors import LLMError, PrivacyError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
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
        self.url, self.model, self.retries, self.backoff = url.rstrip("/"), model, retries, backoff
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

    def complete(self, messages: list[dict], *, schema: dict | None = None, seed: int = 0, temperature: float = 0.0) -> str:
        """The model's answer to ``messages`` (from the cache when it was asked before)."""
        request = {"model": self.model, "messages": messages, "temperature": temperature, "seed": seed}
        key = AnswerCache.key({**request, "schema": schema})
        cached = self.cache.get(key)
        if cached is not None:
            with self._count:
                self.from_cache += 1
            return cached
        answer = self._post(request, schema)
        self.cache.put(key, answer)
        return answer

    def _post(self, request: dict, schema: dict | None) -> str:
        for attempt in range(self.retries + 1):
            body = dict(request)
            if schema is not None and self.structured:
                body["response_format"] = {"type": "json_schema", "json_schema": {"name": "codes", "strict": True, "schema": schema}}
            try:
                response = self.http.post("chat/completions", json=body)
            except httpx.TimeoutException:
                if attempt == self.retries:
                    raise LLMError(f"le serveur {self.url} n'a pas répondu à temps, {self.retries + 1} fois (--llm-timeout)") from None
                time.sleep(self._wait(attempt, None))
                continue
            except httpx.HTTPError as exc:
                raise LLMError(f"serveur de modèle injoignable à {self.url} ({type(exc).__name__})") from None
            with self._count:
                self.sent += 1
            if response.status_code == 200:
                return _content(response)
            if response.status_code == 400 and "response_format" in body:
                self.structured = False  # an older server: ask again without the schema, the prompt says the shape
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


def _content(response: httpx.Response) -> str:
    try:
        return response.json()["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMError(f"réponse du serveur sans message (format OpenAI attendu) : {response.text[:200]!r}") from None


def _refusal(response: httpx.Response, url: str, model: str) -> str:
    try:
        detail = response.json().get("error", "")
        detail = detail.get("message", "") if isinstance(detail, dict) else str(detail)
    except ValueError:
        detail = response.text[:200]
    if response.status_code == 404 or "model" in detail.lower() and "not found" in detail.lower():
        return f"le serveur {url} ne connaît pas le modèle « {model} » ({response.status_code} : {detail})"
    if response.status_code in (401, 403):
        return f"le serveur {url} refuse l'accès ({response.status_code}) : clé absente ou invalide (--llm-key-env)"
    return f"le serveur {url} a répondu {response.status_code} : {detail}"
