"""Load stage: records/*.md -> SourceFile (front matter with every position, body, artifact facts).

Reads record files and what lies beside them (artifacts, git history); judges nothing. Imports
only the core modules (srchgen.config, errors, clock).
"""
