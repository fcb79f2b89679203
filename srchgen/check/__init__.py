"""Check stage: SourceFile -> Record, or problems at `path:line:col` (SPEC §2).

The schema (paper-manifest-v1.1), how its errors are phrased, the rules across fields and
records, and the lint warnings. Imports load and core only.
"""
