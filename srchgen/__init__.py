"""srchgen: build the static site of a research-synthesis registry (paper-manifest-v1.1)."""

__version__ = "0.1.0"
