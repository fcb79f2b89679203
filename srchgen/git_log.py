"""Each record's history from git (issue 14): ONE `git log` over records/, parsed once.

Standard library only (cache.fingerprint reads `head_state` on the no-op path).
"""

from __future__ import annotations


def repository_file(repository: str | None, view: str, hex_id: str) -> str | None:
    """`{repository}/{view}/records/<HEX>.md`: view is "edit/main" (Suggest a correction),
    "blob/main" (the file) or "blob/<commit>" (one version of it); None without a repository."""
    if not repository:
        return None
    return f"{repository.rstrip('/')}/{view}/records/{hex_id}.md"
