"""Review the automatic codes in JupyterLab or in a local page: one segment at a time, in its
context, decisions saved at once to the corpus's private store, the coder learning as they come.

``ReviewSession`` is the logic (what to show, what was decided); ``ReviewWidget`` shows a
session in a notebook cell; ``serve`` opens the same widget as a page (``enquete revue``).
"""

from __future__ import annotations

from enquete.review.session import Filters, ReviewSession

__all__ = ["Filters", "ReviewSession", "ReviewWidget", "serve"]


def __getattr__(name: str):
    """The widget and the page load anywidget and Voilà only when they are used."""
    if name == "ReviewWidget":
        from enquete.review.widget import ReviewWidget

        return ReviewWidget
    if name == "serve":
        from enquete.review.server import serve

        return serve
    raise AttributeError(name)
