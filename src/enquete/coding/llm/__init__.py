"""Coding with a language model on the user's own server (opt-in): see :class:`LLMCoder`."""

from enquete.coding.llm.client import AnswerCache, ChatClient, endpoint_host
from enquete.coding.llm.coder import LLMCoder, Plan

__all__ = ["AnswerCache", "ChatClient", "LLMCoder", "Plan", "endpoint_host"]
