"""Build: the pipeline (pipeline.py) that runs load -> check -> derive -> render and writes site/.

The build log and cache beside site/, incremental and parallel builds, the lock, the output
budget, the search index and the staged write. May import every stage below it and gate/.
"""
