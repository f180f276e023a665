"""What a reader would see wrong in a figure: texts over one another or off the figure (a test helper)."""

from __future__ import annotations

import matplotlib.text
from matplotlib.backends.backend_agg import FigureCanvasAgg


def text_collisions(fig, tolerance: float = 1.0) -> list[str]:
    """The texts of a figure (titles, axis and tick labels, annotations, legend entries,
    colour bar labels) that overlap one another or leave the figure, as matplotlib draws them."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = list(fig.texts)  # the suptitle and supylabel are among them
    for legend in fig.legends:
        texts += [legend.get_title(), *legend.get_texts()]
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                if axis.get_visible():
                    low, high = sorted(axis.get_view_interval())
                    shown = [label for at, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels()) if low - 1e-9 <= at <= high + 1e-9]
                    texts += [axis.label, *shown]
        if ax.get_legend() is not None:
            texts += [ax.get_legend().get_title(), *ax.get_legend().get_texts()]
    boxes = [(t, matplotlib.text.Text.get_window_extent(t, renderer)) for t in texts if t.get_visible() and t.get_text().strip()]  # an annotation's own box, not its arrow
    frame = fig.bbox
    problems = [f"« {t.get_text()[:40]} » est incliné ({t.get_rotation():.0f}°) : seuls 0° et 90° se vérifient exactement"
                for t, _ in boxes if t.get_rotation() % 90]
    problems += [f"« {t.get_text()[:40]} » dépasse de la figure" for t, b in boxes
                 if b.x0 < frame.x0 - tolerance or b.y0 < frame.y0 - tolerance or b.x1 > frame.x1 + tolerance or b.y1 > frame.y1 + tolerance]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            if min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0) > tolerance and min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0) > tolerance:
                problems.append(f"« {a.get_text()[:40]} » chevauche « {b.get_text()[:40]} »")
    return problems
