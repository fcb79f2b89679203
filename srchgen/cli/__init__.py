"""The command line: `srchgen build|check|new|init|serve|schema|gate` (commands.py is the entry point).

Turns results into output and exit codes. Also holds what only a command uses: `new`
(scaffold.py), `init` (starter.py with the _starter/ files), `serve` and `check --base`
(history.py). The top layer: imports anything, nothing imports it.
"""
