"""LLMCoder: the codebook applied by a language model on the user's own server, with the
offline coder's shape (:class:`~enquete.coding.coder.SegmentCoder`: ``fit``/``predict``,
``codes``, ``score_<id>``, ``evidence``), so that review, analysis, report and exports work
unchanged.

Only the segment's (pseudonymised) text, the previous segment's text as context and the
nearest segments the team coded on this corpus are sent: no file name, speaker name, date
or document metadata. The offline coder runs too: with ``only_uncertain`` it decides where it
is confident, and it codes the segments whose answer could not be read.

Every answer is bounded (``max_tokens``, sized from the codebook). An answer cut at that bound
or unreadable is asked once more for a shorter answer, then the segment keeps the offline
codes; each is counted, with the tokens the server reports, in :attr:`LLMCoder.report_`.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from enquete.codebook import Codebook, load_codebook
from enquete.coding.coder import Coder, label_matrix
from enquete.coding.llm.client import Answer, AnswerCache, ChatClient, endpoint_host
from enquete.coding.llm.prompt import (
    REPAIR_CODES,
    REPAIR_WORDS,
    UnreadableAnswer,
    answer_schema,
    answer_tokens,
    check_codes,
    parse_answer,
    prompt_hash,
    repair_prompt,
    system_prompt,
    texts,
    user_prompt,
)
from enquete.coding.training import FOREIGN_ID
from enquete.errors import ConfigError, LLMError
from enquete.progress import progress_bar
from enquete.schema import coded_rows, split_codes
from enquete.settings import DEFAULTS, LLMSettings

UNCERTAIN = 0.15  # a score this close to its code's threshold: the offline coder hesitates
CONTEXT_TYPES = ("turn", "text", "paragraph", "poll")  # rows that can be a segment's context
CHARS_PER_TOKEN = 4  # the dry run's estimate, compared with the server's count on the first requests
MEASURED = 5  # requests on which the estimate is compared with the server's count
MAX_FAILED_SHARE = 0.1  # more segments than this without an answer: the run stops
COUNTED = {
    "cut": "réponse(s) coupée(s) à la limite de longueur",
    "unreadable": "réponse(s) illisible(s)",
    "repaired": "réponse(s) redemandée(s) plus brève(s) puis lue(s)",
    "no_answer": "requête(s) sans réponse (délai dépassé ou refus)",
    "invented_quotes": "code(s) écarté(s) : citation absente du segment",
    "unknown_codes": "code(s) hors grille ignoré(s)",
    "failed": "segment(s) codé(s) hors ligne faute de réponse lisible",
}


@dataclass
class Request:
    """One question to the model: a distinct segment text in its context, one vote."""

    text: str
    context: str
    question: bool
    vote: int
    examples: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class Reply:
    """What came back for one request: its answers (the first, and the repair's when the first
    was cut or unreadable), the codes read from the last one, or the error that stopped it."""

    answers: list[Answer] = field(default_factory=list)
    codes: list[dict] | None = None
    error: LLMError | None = None
    estimated_tokens: int = 0  # of its first prompt, as the dry run counts them
    order: int = 0  # when it came back, among the run's replies

    @property
    def outcome(self) -> str:
        """read (the first answer), repaired (the second), or fallback (none: the offline codes)."""
        return "fallback" if self.codes is None else "read" if len(self.answers) == 1 else "repaired"


@dataclass
class Plan:
    """What a run would send (``--dry-run``): requests, an estimate of the tokens, one prompt."""

    segments: int
    requests: int
    tokens: int  # prompt tokens sent, estimated (CHARS_PER_TOKEN)
    messages: list[dict]
    offline_confident: int = 0
    shared_tokens: int = 0  # of each prompt, the instructions and the codebook, identical in every request
    answer_tokens: int = 0  # the longest answer asked for (max_tokens)

    def describe(self) -> str:
        """What a run would send, in a sentence (French, as the command line speaks)."""
        text = (f"{self.segments} segment(s) à soumettre, {self.requests} requête(s), environ {_n(self.tokens)} tokens envoyés (dont "
                f"{_n(self.shared_tokens)} par requête pour les consignes et la grille, identiques : un serveur qui garde ce début en cache "
                f"ne les relit pas), réponses de {_n(self.answer_tokens)} tokens au plus")
        return text + (f" ; {self.offline_confident} segment(s) laissé(s) au codeur hors ligne, sûr de lui" if self.offline_confident else "")


class LLMCoder:
    """Multi-label coding by a language model served over the OpenAI chat API.

    Parameters
    ----------
    codebook : a codebook, a bundled codebook's name or a .yaml path.
    settings : the server, the model and how to ask (:class:`~enquete.settings.LLMSettings`).
    offline : the offline coder (created from the codebook when not given).
    cache_dir : the private folder where answers are cached (``llm_answers.sqlite``).
    language : the language the prompt is written in.
    seed : sent to the server (deterministic sampling where it supports it).
    allow_raw_text : accept human-coded examples from another table (their text may not be pseudonymised).
    progress : show a progress bar (seconds per segment, time left, tokens) when progress bars are on.
    backoff : seconds before the first retry after a transient failure (doubled each time).
    """

    def __init__(self, codebook: Codebook | str | Path = "facteurs_reussite", settings: LLMSettings | None = None, *,
                 offline: Coder | None = None, cache_dir: str | Path | None = None, language: str = "fr", seed: int = DEFAULTS.seed,
                 allow_raw_text: bool = False, progress: bool = True, backoff: float = 1.0):
        self.codebook = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        self.settings = settings or LLMSettings()
        if not self.settings.enabled:
            raise ConfigError("codage par modèle de langue : adresse du serveur manquante (--llm-url, settings.llm.url)")
        self.host = endpoint_host(self.settings.url, self.settings.allow_remote)
        self.offline = offline or Coder(self.codebook, cache_dir=cache_dir, seed=seed)
        self.codes = self.codebook.ids
        self.cache_dir, self.language, self.seed = cache_dir, language, seed
        self.allow_raw_text, self.progress, self.backoff = allow_raw_text, progress, backoff
        self.system = system_prompt(self.codebook, language)
        self.prompt_hash = prompt_hash(self.codebook, language)
        self.schema = answer_schema(self.codebook)
        self.max_tokens, self.repair_tokens = answer_tokens(self.codebook), answer_tokens(self.codebook, REPAIR_CODES, REPAIR_WORDS)
        self.examples_ = pd.DataFrame({"text": pd.Series(dtype=str), "codes": pd.Series(dtype=str)})
        self.fitted_ = False
        self.report_: dict = {}

    # --- learning -----------------------------------------------------------------

    def label_matrix(self, codes) -> np.ndarray:
        """(n, codes) 0/1 matrix, as :meth:`Coder.label_matrix`."""
        return label_matrix(codes, self.codebook)

    def fit(self, segments: pd.DataFrame, codes) -> "LLMCoder":
        """Keep the human-coded segments of this corpus as the examples shown to the model (the
        nearest ones in each prompt), and fit the offline coder on them (it sorts and stands in)."""
        self.offline.fit(segments, codes)
        labels = [";".join(c for c, on in zip(self.codes, row) if on) for row in self.label_matrix(codes)]
        examples = pd.DataFrame({"segment_id": segments["segment_id"].astype(str).to_numpy() if "segment_id" in segments else "",
                                 "text": segments["text"].fillna("").astype(str).to_numpy(), "codes": labels})
        own = ~examples["segment_id"].str.startswith(FOREIGN_ID.format("")) | self.allow_raw_text
        self.examples_ = examples[own & examples["text"].str.strip().ne("")][["text", "codes"]].reset_index(drop=True)
        self.learning_ = self.offline.learning_
        self.fitted_ = True
        return self

    def describe_learning(self) -> str:
        """What the model is shown and what the offline coder learned, in a sentence (French)."""
        shown = (f"{len(self.examples_)} segment(s) codé(s) par l'équipe, dont les {self.settings.examples} plus proches montrés "
                 "au modèle avec chaque segment" if self.settings.examples and len(self.examples_) else "aucun exemple montré au modèle")
        return f"{shown} ; codeur hors ligne (tri et repli) : {self.offline.describe_learning()}"

    def description(self) -> dict:
        """Where the text went and what was asked: for the run summary and the manifest (no key)."""
        return {"host": self.host, "model": self.settings.model, "prompt_hash": self.prompt_hash, "votes": self.settings.votes,
                "only_uncertain": self.settings.only_uncertain, "examples": self.settings.examples, "max_tokens": self.max_tokens}

    def describe_asking(self) -> str:
        """What the model was asked, what came back and what it cost, in a sentence (French, as the command line speaks)."""
        r = self.report_
        text = (f"{r['model']} sur {r['host']} : {r['segments']} segment(s) soumis, {r['requests']} requête(s) "
                f"({r['sent']} envoyée(s), {r['from_cache']} du cache)")
        if r["offline_confident"]:
            text += f" ; {r['offline_confident']} segment(s) laissé(s) au codeur hors ligne, sûr de lui"
        tokens = r["tokens"]
        if r["sent"]:
            text += (f" ; {_n(tokens['prompt'])} tokens envoyés dont {_n(tokens['cached'])} repris du cache du serveur, {_n(tokens['completion'])} reçus, "
                     f"{r['seconds_per_segment']:.1f} s par segment (la plus longue requête : {r['slowest_seconds']:.0f} s)")
        if r["estimate"]:
            e = r["estimate"]
            text += f" ; estimation à sec : {_n(e['estimated'])} tokens pour les {e['requests']} premières requêtes, {_n(e['measured'])} comptés par le serveur"
        counted = [f"{r[key]} {label}" for key, label in COUNTED.items() if r[key]]
        return text + (" ; " + ", ".join(counted) if counted else "")

    # --- what to ask --------------------------------------------------------------

    def _requests(self, segments: pd.DataFrame, offline: pd.DataFrame, rows: np.ndarray | None = None) -> tuple[np.ndarray, list[Request], np.ndarray]:
        """Rows to ask about, the requests (``votes`` per distinct text in its context), and
        each asked row's distinct text."""
        ask = coded_rows(segments) if rows is None else coded_rows(segments) & rows
        if self.settings.only_uncertain:
            ask &= self._uncertain(offline)
        context, question = contexts(segments)
        keys = pd.Series(list(zip(segments["text"].fillna("").astype(str), context, question)), index=segments.index)[ask]
        distinct, first_vote = pd.factorize(keys) if len(keys) else (np.array([], dtype=int), [])
        examples = self._nearest([k[0] for k in first_vote])
        votes = self.settings.votes
        requests = [Request(text, ctx, q, vote, examples[i]) for i, (text, ctx, q) in enumerate(first_vote) for vote in range(votes)]
        return ask, requests, np.asarray(distinct)

    def _uncertain(self, offline: pd.DataFrame) -> np.ndarray:
        scores = offline[[f"score_{c}" for c in self.codes]].to_numpy(dtype=float)
        thresholds = np.array([self.offline.threshold(c) for c in self.codes])
        return (np.abs(scores - thresholds) < UNCERTAIN).any(axis=1)

    def _nearest(self, queries: list[str]) -> list[list[tuple[str, list[str]]]]:
        """The ``settings.examples`` human-coded segments nearest each query (character n-grams),
        never the query's own text."""
        k = self.settings.examples
        if not k or self.examples_.empty or not queries:
            return [[] for _ in queries]
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        known = vectorizer.fit_transform(self.examples_["text"])
        similarity = (vectorizer.transform(queries) @ known.T).toarray()
        similarity[np.equal.outer(np.array(queries, dtype=object), self.examples_["text"].to_numpy(dtype=object))] = -1.0
        order = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
        texts_, codes = self.examples_["text"].tolist(), self.examples_["codes"].tolist()
        return [[(texts_[j], split_codes(codes[j])) for j in row if similarity[i, j] > 0] for i, row in enumerate(order)]

    def _user(self, request: Request) -> str:
        return user_prompt(request.text, request.context, request.question, request.examples, self.language)

    def _messages(self, user: str) -> list[dict]:
        """The codebook first and identical in every request (a server reuses it), the segment last."""
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def plan(self, segments: pd.DataFrame) -> Plan:
        """What :meth:`predict` would send, without sending anything."""
        offline = self.offline.predict(segments) if self.settings.only_uncertain else segments
        ask, requests, _ = self._requests(segments, offline)
        tokens = sum(_estimate(self._messages(self._user(r))) for r in requests)
        confident = int((coded_rows(segments) & ~ask).sum())
        return Plan(int(ask.sum()), len(requests), tokens, self._messages(self._user(requests[0])) if requests else [], confident,
                    _estimate([{"content": self.system}]), self.max_tokens)

    # --- asking -------------------------------------------------------------------

    def predict(self, segments: pd.DataFrame, rows: np.ndarray | None = None) -> pd.DataFrame:
        """segments + ``codes``, ``score_<id>`` and ``evidence``, from the model's answers.

        Parameters
        ----------
        segments : the segment table (whole documents: each segment's context is read in it).
        rows : a boolean mask of the segments to ask about (default: every coded row); the others keep the offline codes.
        """
        offline = self.offline.predict(segments)
        ask, requests, distinct = self._requests(segments, offline, rows)
        started = time.perf_counter()
        replies, sent, from_cache = self._ask(requests) if requests else ([], 0, 0)
        seconds = time.perf_counter() - started
        votes, t = self.settings.votes, texts(self.language)
        tally = {"invented_quotes": 0, "unknown_codes": 0}
        per_text = [self._combine(requests[i : i + votes], replies[i : i + votes], tally) for i in range(0, len(requests), votes)]
        out = offline.copy()
        labels = self.codebook.labels(self.language)
        for index, text in zip(out.index[ask], distinct):
            answer = per_text[text]
            if answer is None:
                out.at[index, "evidence"] = f"{t['fallback']} : {out.at[index, 'evidence']}"
                continue
            applied, scores, evidence = answer
            out.at[index, "codes"] = ";".join(c for c in self.codes if c in applied)
            for code in self.codes:
                out.at[index, f"score_{code}"] = round(scores[code], 4)
            out.at[index, "evidence"] = _evidence(self.settings.model, evidence, labels, self.language)
        confident = coded_rows(segments) & ~ask & (rows if rows is not None else True)
        out.loc[confident, "evidence"] = [f"{t['confident']} : {e}" for e in out.loc[confident, "evidence"]]
        self.report_ = {**self.description(), "segments": int(ask.sum()), "distinct_texts": len(per_text), "requests": len(requests),
                        "sent": sent, "from_cache": from_cache, "offline_confident": int(confident.sum()),
                        "failed": sum(a is None for a in per_text), **tally, **_costs(replies, len(per_text), seconds)}
        return out

    def _ask(self, requests: list[Request]) -> tuple[list[Reply], int, int]:
        """Each request's reply (in the requests' order), and how many requests went to the server and came from the cache."""
        key = os.environ.get(self.settings.key_env) if self.settings.key_env else None
        if self.settings.key_env and not key:
            raise ConfigError(f"variable d'environnement {self.settings.key_env} vide ou absente (clé du serveur de modèle)")
        cache = AnswerCache(Path(self.cache_dir) / "llm_answers.sqlite" if self.cache_dir else None)
        with ChatClient(self.settings.url, self.settings.model, key=key, timeout=self.settings.timeout,
                        retries=self.settings.retries, backoff=self.backoff, cache=cache) as client:
            client.check_model()
            replies: list[Reply | None] = [None] * len(requests)
            done: list[Reply] = []
            votes = self.settings.votes
            with ThreadPoolExecutor(self.settings.concurrency) as pool, \
                    progress_bar("modèle de langue", len(requests) / votes, "segment", self.progress) as advance:
                futures = {pool.submit(self._one, client, request): i for i, request in enumerate(requests)}
                for future in as_completed(futures):
                    replies[futures[future]] = reply = future.result()
                    reply.order = len(done)
                    done.append(reply)
                    advance(1 / votes, _note(done))
            sent, from_cache = client.sent, client.from_cache
        errors = [r.error for r in replies if r.error is not None]
        if errors and len(errors) > MAX_FAILED_SHARE * len(replies):
            raise LLMError(f"{len(errors)} requête(s) sur {len(replies)} sans réponse ({errors[0]}) ; les réponses reçues sont "
                           "gardées en cache : relancez quand le serveur répond")
        return replies, sent, from_cache

    def _one(self, client: ChatClient, request: Request) -> Reply:
        """Ask, and once more for a shorter answer when the first was cut or unreadable."""
        user = self._user(request)
        temperature = 0.0 if self.settings.votes == 1 else 0.7
        reply = Reply(estimated_tokens=_estimate(self._messages(user)))
        try:
            for content, max_tokens in ((user, self.max_tokens), (repair_prompt(user, self.language), self.repair_tokens)):
                answer = client.complete(self._messages(content), max_tokens=max_tokens, schema=self.schema, seed=self.seed + request.vote,
                                         temperature=temperature)
                reply.answers.append(answer)
                if answer.cut:
                    continue
                try:
                    reply.codes = parse_answer(answer.content)
                    break
                except UnreadableAnswer:
                    continue
        except LLMError as exc:
            reply.error = exc
        return reply

    def _combine(self, requests: list[Request], replies: list[Reply], tally: dict) -> tuple[set, dict, dict] | None:
        """One text's replies → the codes applied, a score per code (the stated confidence, or
        the share of the votes giving it), and one quote per code applied; None when no answer
        could be read."""
        given = {c: [] for c in self.codes}
        evidence: dict[str, dict] = {}
        read = 0
        for request, reply in zip(requests, replies):
            if reply.codes is None:
                continue
            read += 1
            checked = check_codes(reply.codes, request.text, self.codebook)
            tally["invented_quotes"] += len(checked.invented_quotes)
            tally["unknown_codes"] += len(checked.unknown)
            for item in checked.codes:
                given[item["code"]].append(item["confidence"])
                evidence.setdefault(item["code"], item)
        if not read:
            return None
        if len(requests) == 1:
            return set(evidence), {c: (v[0] if v else 0.0) for c, v in given.items()}, evidence
        shares = {c: len(v) / read for c, v in given.items()}
        applied = {c for c, share in shares.items() if share >= 0.5}
        return applied, shares, {c: e for c, e in evidence.items() if c in applied}


def contexts(segments: pd.DataFrame) -> tuple[list[str], list[bool]]:
    """Each row's context: the text of the previous turn or message of its document, and
    whether it is the interviewer's question."""
    order = segments.sort_values(["document_id", "position"], kind="stable") if {"document_id", "position"} <= set(segments) else segments
    has_text = order["text"].fillna("").str.strip().ne("")
    if "message_type" in order:
        has_text &= order["message_type"].isin(CONTEXT_TYPES).fillna(True)
    document = order["document_id"] if "document_id" in order else pd.Series("", index=order.index)
    role = order["speaker_role"] if "speaker_role" in order else pd.Series("", index=order.index)
    previous_text = order["text"].where(has_text).groupby(document).transform(lambda s: s.shift().ffill())
    previous_role = role.where(has_text).groupby(document).transform(lambda s: s.shift().ffill())
    previous_text, previous_role = previous_text.reindex(segments.index), previous_role.reindex(segments.index)
    return previous_text.fillna("").astype(str).tolist(), previous_role.eq("interviewer").fillna(False).astype(bool).tolist()


def _evidence(model: str, found: dict[str, dict], labels: dict[str, str], language: str) -> str:
    t = texts(language)
    if not found:
        return t["evidence_none"].format(model=model)
    parts = [t["evidence_code"].format(label=labels[c], quote=found[c]["quote"], why=found[c]["justification"]) for c in labels if c in found]
    return t["evidence"].format(model=model, codes=" ; ".join(parts))


def _estimate(messages: list[dict]) -> int:
    """Tokens of a prompt as the dry run estimates them (CHARS_PER_TOKEN)."""
    return math.ceil(sum(len(m["content"]) for m in messages) / CHARS_PER_TOKEN)


def _sent(replies: list[Reply]) -> list[Answer]:
    return [a for r in replies for a in r.answers if not a.from_cache]


def _note(done: list[Reply]) -> str:
    """The progress bar's note: tokens per request so far, the share the server read from its
    cache, and how the dry run's estimate compares with its count on the first requests."""
    sent = _sent(done)
    prompt = sum(a.prompt_tokens for a in sent)
    if not prompt:
        return ""
    cached, estimate = sum(a.cached_tokens for a in sent), _estimate_beside_count(done)
    note = f"{_n(prompt // len(sent))} tokens/requête, {cached / prompt:.0%} du cache du serveur, {_n(sum(a.completion_tokens for a in sent) // len(sent))} reçus"
    return note + (f", compte/estimation à sec ×{estimate['measured'] / estimate['estimated']:.2f}" if estimate else "")


def _estimate_beside_count(replies: list[Reply]) -> dict:
    """The dry run's estimate of the first MEASURED prompts sent, beside the server's count of them."""
    first = [r for r in sorted(replies, key=lambda r: r.order) if r.answers and not r.answers[0].from_cache][:MEASURED]
    measured = sum(r.answers[0].prompt_tokens for r in first)
    return {"requests": len(first), "estimated": sum(r.estimated_tokens for r in first), "measured": measured} if measured else {}


def _n(number: int) -> str:
    """A count as French writes it (1 290)."""
    return f"{number:,}".replace(",", "\u202f")


def _costs(replies: list[Reply], texts_asked: int, seconds: float) -> dict:
    """What the replies were (read, repaired, fallen back; answers cut or unreadable) and what
    they cost: tokens the server counted, seconds, and the dry run's estimate beside the count of
    the first requests sent."""
    sent = _sent(replies)
    outcomes = [r.outcome for r in replies]
    return {
        "read": outcomes.count("read"), "repaired": outcomes.count("repaired"), "fallback": outcomes.count("fallback"),
        "cut": sum(a.cut for r in replies for a in r.answers),
        "unreadable": sum(not a.cut for r in replies for a in (r.answers if r.codes is None else r.answers[:-1])),
        "no_answer": sum(r.error is not None for r in replies),
        "tokens": {"prompt": sum(a.prompt_tokens for a in sent), "cached": sum(a.cached_tokens for a in sent),
                   "completion": sum(a.completion_tokens for a in sent)},
        "seconds": round(seconds, 1), "seconds_per_segment": round(seconds / texts_asked, 2) if texts_asked else 0.0,
        "slowest_seconds": max((a.seconds for a in sent), default=0.0),
        "estimate": _estimate_beside_count(replies),
    }
