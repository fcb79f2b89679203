"""Hostile-input corpus (issue 4): generated registries, their expected outcomes, and the runner."""
