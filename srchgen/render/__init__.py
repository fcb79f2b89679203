"""Render stage: Entries and Summaries -> Outputs (pages, feeds, exports, charts), in memory.

Routes, templates, the default theme's pages, and every machine-readable output. Writes
nothing to disk: build/ does. Imports derive, check, load and core only.
"""
