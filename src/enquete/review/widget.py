"""The review interface: an anywidget (works in JupyterLab, Notebook, VS Code and Voilà).

The browser side (``review.js``) draws the segment and sends what the person does; this side
asks the :class:`~enquete.review.session.ReviewSession` and sends back what to draw.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import anywidget
import traitlets

from enquete.datafiles import package_yaml
from enquete.errors import EnqueteError
from enquete.review.session import Filters, ReviewSession
from enquete.vocabulary import decimal

HERE = Path(__file__).parent


class ReviewWidget(anywidget.AnyWidget):
    """One segment at a time, in its context; the person's decisions go to the session's store.

    Parameters
    ----------
    session : the review session to show (:class:`ReviewSession`).
    kwargs : passed to ``anywidget.AnyWidget`` (a layout, say).
    """

    _esm = HERE / "review.js"
    _css = HERE / "review.css"
    item = traitlets.Dict(allow_none=True).tag(sync=True)
    progress = traitlets.Dict().tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    options = traitlets.Dict().tag(sync=True)
    texts = traitlets.Dict().tag(sync=True)
    filters = traitlets.Dict().tag(sync=True)

    def __init__(self, session: ReviewSession, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.texts = package_yaml("enquete.review", "textes.yaml")[session.settings.language]
        labels = session.codebook.labels(session.settings.language)
        queue = session.queue
        self.options = {
            "codes": [{"id": c, "label": labels[c]} for c in session.codebook.ids],
            "documents": sorted(queue["document_id"].unique().tolist()),
            "initiatives": [{"id": i, "label": session.initiatives.get(i, i)} for i in sorted(queue["initiative"].dropna().unique())],
        }
        self.on_msg(self._on_message)
        self._show()

    def _on_message(self, _widget, content: dict, _buffers) -> None:
        with self.hold_sync():  # the page gets the new segment and the status at once
            self._handle(content)

    def _handle(self, content: dict) -> None:
        try:
            if content.get("type") == "decide":
                segment = self.session.item()["segment_id"]
                refitted = self.session.decide(list(content.get("codes", [])), str(content.get("comment", "")))
                n = self.progress.get("decided", 0) + 1
                self.status = self.texts["refitted"].format(n=n) if refitted else self.texts["saved"].format(segment=segment)
            elif content.get("type") == "move":
                self.session.move(int(content.get("step", 0)))
                self.status = ""
            elif content.get("type") == "filter":
                names = {f.name for f in fields(Filters)}
                self.session.set_filters(**{k: v for k, v in content.items() if k in names})
                self.status = ""
        except EnqueteError as exc:
            self.status = str(exc)
        self._show()

    def _show(self) -> None:
        item = self.session.item()
        if item:  # the scores as the page's language writes them ("0,47" in French)
            language = self.session.settings.language
            item = {**item, "codes": [{**code, "score_text": decimal(code["score"], language)} for code in item["codes"]]}
        self.item = item
        self.progress = self.session.progress()
        self.filters = dict(self.session.filters.__dict__)
