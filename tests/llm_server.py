"""A stand-in for an OpenAI-compatible model server, on 127.0.0.1: scripted answers and a record
of every request it received.

It answers from a few cue words (the word it finds is its quote), and behaves badly on request:
``behaviours`` maps a piece of segment text to "fence" (JSON inside a Markdown fence with prose),
"malformed" (prose first, JSON after the repair message), "invented" (a quote not in the
segment), "busy" (429 once, then an answer), "slow" (too slow once, then an answer) or "prose"
(never JSON).
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CUES = {"jardin": "lieu", "fête": "rencontres", "ensemble": "faire_ensemble", "mairie": "facilitateurs", "local": "logistique"}
SEGMENT = re.compile(r"(?:Extrait à coder : « |Excerpt to code: \")(.*?)(?: »|\")\Z", re.S)


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, models=("test-model",), accept_schema: bool = True, delay: float = 2.0):
        super().__init__(("127.0.0.1", 0), Handler)
        self.models, self.accept_schema, self.delay = list(models), accept_schema, delay
        self.behaviours: dict[str, str] = {}
        self.requests: list[dict] = []
        self.headers_seen: list[dict] = []
        self.misbehaved: set[str] = set()
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
        segment = SEGMENT.search(user[0]).group(1)
        behaviour = next((b for key, b in self.behaviours.items() if key in segment), "")
        once = behaviour + segment
        with self.lock:
            first_time = once not in self.misbehaved
            self.misbehaved.add(once)
        if behaviour == "busy" and first_time:
            return 429, {"Retry-After": "0"}, json.dumps({"error": {"message": "too many requests"}})
        if behaviour == "slow" and first_time:
            time.sleep(self.delay)
        codes = [{"code": code, "justification": f"le segment parle de {cue}", "quote": _found(segment, cue), "confidence": 0.9}
                 for cue, code in CUES.items() if cue in segment.lower()]
        if behaviour == "invented" and codes:
            codes[0]["quote"] = "une phrase que personne n'a dite"
        content = json.dumps({"codes": codes}, ensure_ascii=False)
        if behaviour == "fence":
            content = f"Voici mon codage :\n```json\n{content}\n```\nJ'espère que cela aide."
        if behaviour == "prose" or (behaviour == "malformed" and len(user) == 1):
            content = "Je pense que ce segment relève du lieu."
        return 200, {}, json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})


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
