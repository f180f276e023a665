"""enquete: qualitative field surveys of neighbourhood social ties."""

__version__ = "0.1.0"
