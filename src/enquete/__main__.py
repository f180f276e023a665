"""`python -m enquete` runs the command line."""

from enquete.cli import app

app(prog_name="enquete")
