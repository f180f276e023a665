"""``enquete revue``: the review widget as a page of its own, served by Voilà.

The page shows personal data (pseudonymised, but still the corpus): it listens on 127.0.0.1
only, and answers only requests that carry a random token (in the URL, as Jupyter does).
The page is a one-cell notebook written to a temporary folder; Voilà runs it in a kernel,
so the page and the notebook cell are the same widget.
"""

from __future__ import annotations

import logging
import secrets
import socket
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

HOST = "127.0.0.1"
#: The page may talk to its own server only: no request leaves the machine (Voilà's template
#: links an icon font on a CDN; the browser does not even ask for it).
CONTENT_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; style-src 'self' 'unsafe-inline' blob:; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws://127.0.0.1:* http://127.0.0.1:*; frame-ancestors 'self'"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def page_notebook(folder: Path, corpus: Path, out: Path, select: int) -> Path:
    """The one-cell notebook the page runs."""
    import nbformat

    cell = f"import enquete\nenquete.Study({str(corpus)!r}).review({str(out)!r}, select={int(select)})"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "revue.ipynb"
    nbformat.write(notebook, path)
    return path


def serve(
    corpus: str | Path,
    out: str | Path = "outputs",
    select: int = 200,
    port: int = 0,
    open_browser: bool = True,
    announce: Callable[[str], None] = print,
    verbose: bool = False,
) -> None:
    """Serve the review page until interrupted (Ctrl+C).

    Parameters
    ----------
    corpus : the corpus folder (its private folder keeps the decisions).
    out : the run's output folder.
    select : how many segments to propose.
    port : the port on 127.0.0.1 (0: a free one).
    open_browser : open the page in the default browser.
    announce : called with the page's address (token included) as soon as it is known.
    verbose : show the server's own log (Voilà, Jupyter); else only its errors.
    """
    token = secrets.token_urlsafe(24)
    port = port or free_port()
    url = f"http://{HOST}:{port}/?token={token}"
    announce(url)
    if open_browser:
        threading.Thread(target=_open_when_listening, args=(port, url), daemon=True).start()
    from voila.app import Voila  # a few seconds to import: after the address is shown

    quiet = []
    if not verbose:  # the page's own server speaks only of its errors
        quiet = ["--Voila.log_level=CRITICAL"]
        logging.getLogger("tornado").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="enquete-revue-") as folder:
        notebook = page_notebook(Path(folder), Path(corpus).resolve(), Path(out).resolve(), select)
        Voila.launch_instance(  # the kernel talks to the page's server over local sockets, not TCP
            argv=[str(notebook), "--no-browser", f"--port={port}", f"--Voila.ip={HOST}", f"--token={token}", "--theme=light",
                  "--KernelManager.transport=ipc", *quiet],
            tornado_settings={"headers": {"Content-Security-Policy": CONTENT_POLICY}},
        )


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def _open_when_listening(port: int, url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if listening(port):
            webbrowser.open(url)
            return
        time.sleep(0.3)
