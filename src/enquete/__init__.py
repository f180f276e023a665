"""enquete: qualitative field surveys of neighbourhood social ties.

```python
import enquete
study = enquete.Study("corpora/demo")     # a corpus and its settings
segments = study.segments()               # read and pseudonymised as `enquete run` does
coded = study.code(segments)
study.run(out="outputs")
```

For tables outside a corpus folder, the stage functions: ``ingest_paths``, ``pseudonymise``,
``Coder``, ``load_codebook``, ``agreement``; ``load_run`` reads a run's output folder back.
Names load their module on first use: ``import enquete`` loads no pandas, spaCy or matplotlib.
"""

from importlib import import_module

__version__ = "0.1.0"

_HOMES = {
    "Study": "enquete.study",
    "load_run": "enquete.runfolder",
    "verify": "enquete.verification",
    "load_corpus": "enquete.corpus",
    "ingest_paths": "enquete.ingest",
    "pseudonymise": "enquete.pseudonymise",
    "Coder": "enquete.coding",
    "agreement": "enquete.coding",
    "load_codebook": "enquete.codebook",
}
__all__ = ["__version__", *_HOMES]


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'enquete' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
