"""Derive stage: Record -> Entry, the public triage fields of SPEC §3 and the body as safe HTML.

One pure function per rule (rules.py), the quality guide that restates them, and Entry, the one
object render sees. Imports check, load and core only.
"""
