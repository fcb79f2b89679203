#!/usr/bin/env bash
# srchgen alone at registry scale (issue 5): at N = 100,000 the peak RSS stays <= 1 GiB
# and every phase takes <= 11 x its time at 10,000 (i.e. 1.1 x N/REF: no super-linear step).
#
# usage: bench/run_scale.sh [N]          (default 100000; needs results/REF.tsv with srchgen rows,
#                                         i.e. a previous `bench/run.sh 10000`)
# env:   REF=10000  RUNS=1  PHASES="full noop edit check search"  TIMEOUT=3600  VERIFY=1
# Writes results/N.tsv, N.checks.tsv and N.md (the scale table).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1
N=${1:-100000}
REF=${REF:-10000}
if ! grep -q "^srchgen	full	" "results/$REF.tsv" 2>/dev/null; then
    echo "note: results/$REF.tsv has no srchgen rows; run bench/run.sh $REF first for the ratios" >&2
fi
RUNS=${RUNS:-1} WARMUP=0 PEERS=srchgen TIMEOUT=${TIMEOUT:-3600} \
    PHASES=${PHASES:-full noop edit check search} TABLE_ARGS="--scale-ref $REF" \
    exec ./run.sh "$N"
