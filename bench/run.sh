#!/usr/bin/env bash
# make bench: build the same synthetic registry with srchgen and the peer generators,
# alternating peers between runs, and print medians and the srchgen/peer ratios.
#
# usage: bench/run.sh N
# env:   RUNS=3       timed runs per phase (median reported)
#        WARMUP=1     clean builds per peer before the timed ones (rows kept as `warmup`)
#        SEED=1       registry seed (gen_registry.py)
#        TIMEOUT=900  seconds; a build slower than this fails that phase for that peer
#        PEERS="..."  default: srchgen (when installed in the repo .venv) hugo pelican mkdocs,
#                     plus jekyll when N <= 1000 (a Jekyll build of 10,000 records takes ~400 s)
#        APPEND=1     keep the rows of peers not run now in results/N.tsv (re-run one peer)
#        PHASES="..." subset of: full noop edit check incr search (default: all)
#        VERIFY=0     skip the edited-build == clean-build comparison (one more clean build)
#        TABLE_ARGS   extra bench_table.py arguments (run_scale.sh: --scale-ref 10000)
#
# Per run of the harness (every path relative to this folder):
#   1. ensure-peers.sh                       (installs missing peers; idempotent)
#   2. work/N/registry <- gen_registry.py N --seed SEED  (manifest-valid, SPEC §2)
#      work/N/corpus   <- to_corpus.py registry          (same records, peers' format)
#   3. work/N/<p>      <- <p>/adapt.py (registry for srchgen, corpus for the others)
#   4. phases; in every phase run i visits the peers in an order rotated by i:
#      warmup  WARMUP x clean + BUILD
#      full    RUNS x (move CLEAN paths aside into .trash; BUILD)
#      noop    RUNS x BUILD on the unchanged, just built site
#      edit    RUNS x (edit_record.py: one sentence appended to the abstract of the
#              same record in every peer, a new sentence each run; BUILD)
#              srchgen (VERIFY_CLEAN): then a clean build elsewhere, diff -r with the edited one
#      check   RUNS x CHECK              (peers defining CHECK: srchgen check)
#      incr    peers with INCR: clean, one priming INCR build, RUNS x INCR (incr-noop),
#              RUNS x (edit; INCR) (incr-edit)
#      search  RUNS x (clean; SEARCH_BUILD)  (srchgen with Pagefind; reported apart)
#      push    RUNS x a CI push (issue 23), for peers defining PUSH: a fresh checkout (the
#              inputs copied into work/N/push-<p>, no output), PUSH (push-first: nothing
#              cached); then a new fresh checkout with one record edited and PUSH_CACHE
#              copied over from the first (actions/cache restoring it), PUSH (push-next)
#      check_output.py after full, noop, edit, incr-noop, incr-edit
#   5. results/N.tsv (raw runs), N.checks.tsv, versions.tsv, N.md (table + targets)
# Each build runs under measure.py (wall, user+sys CPU of the whole process tree,
# largest single-process RSS and sampled peak PSS of the process tree).
# The whole script is one function, read completely before it runs, so editing
# this file while a (long) benchmark runs cannot change what that run executes.
main() {
set -uo pipefail
# Python keeps compiled bytecode beside srchgen's modules, as on any machine it is installed
# on; a shell that sets PYTHONDONTWRITEBYTECODE (this sandbox does) would make every timed
# run compile srchgen's ~50 modules from source again: ~0.1 s of each build, most of a no-op.
unset PYTHONDONTWRITEBYTECODE

cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1
N=${1:?usage: run.sh N}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
SEED=${SEED:-1}
TIMEOUT=${TIMEOUT:-900}
PHASES=" ${PHASES:-full noop edit check incr search push} "
WORK=work/$N
REL=../../..            # from work/N/<peer> back to this folder
RES=results/$N.tsv
CHK=results/$N.checks.tsv

./ensure-peers.sh || { echo "!! ensure-peers.sh failed" >&2; exit 1; }
PY=.venv/bin/python     # has PyYAML (requirements-peers.txt)

if [ -z "${PEERS:-}" ]; then
    PEERS=""
    if [ -x ../.venv/bin/srchgen ] || [ -n "${SRCHGEN:-}" ]; then
        PEERS="srchgen "
    else
        echo "note: ../.venv/bin/srchgen not found (run make install): srchgen not measured" >&2
    fi
    PEERS+="hugo pelican mkdocs"
    if [ "$N" -le 1000 ]; then PEERS+=" jekyll"; fi
fi
read -r -a PEER_LIST <<< "$PEERS"
has_phase() { [[ "$PHASES" == *" $1 "* ]]; }

# a previous run's outputs are moved aside and deleted after the last timing (see clean)
if [ -e "$WORK" ]; then mv "$WORK" "work/.old-$N.$RANDOM$RANDOM"; fi
mkdir -p "$WORK" results
echo "== registry: N=$N seed=$SEED"
$PY gen_registry.py "$N" "$WORK/registry" --seed "$SEED" || exit 1
$PY to_corpus.py "$WORK/registry" "$WORK/corpus" || exit 1
# the record every peer edits in the edit phases: the middle id in sorted order
EDIT_HEX=$(ls "$WORK/registry/records" | grep -E '^[0-9A-F]{8}\.md$' | sort | sed -n "$(( (N + 1) / 2 ))p" | cut -c1-8)
echo "== edited record: SRCH:$EDIT_HEX"

HEADER="peer	mode	n	run	wall_s	user_s	sys_s	maxrss_kb	tree_kb	exit	other_cpu_s	waited_s"
if [ "${APPEND:-0}" = 1 ] && [ -f "$RES" ]; then
    # drop earlier rows of the peers run now; keep the others
    for f in "$RES" "$CHK"; do
        [ -f "$f" ] || continue
        awk -F'\t' -v peers=" $PEERS " '($1 == "peer" && $2 == "mode") || index(peers, " " $1 " ") == 0' \
            "$f" > "$f.new" && mv "$f.new" "$f"
    done
else
    echo "$HEADER" > "$RES"
    : > "$CHK"
fi

# in_peer P CMD...: run CMD in a subshell with P's peer.sh sourced and cwd = its site
in_peer() {
    local p=$1; shift
    (
        INPUT=corpus; CHECK=(); SEARCH_BUILD=(); INCR=(); PUSH=(); PUSH_CACHE=; CHECK_LAYOUT=peer; VERIFY_CLEAN=0
        # shellcheck source=/dev/null
        source "$p/peer.sh"
        cd "$WORK/$p" || exit 1
        "$@"
    )
}

# timed MODE RUN CMD... (inside in_peer): one measured build, one row in $RES
timed() {
    local mode=$1 run=$2; shift 2
    local line rc
    echo "-- $PEER: $mode $run" >&2
    echo "### $mode $run: $*" >> build.log
    line=$("$REL/$PY" "$REL/measure.py" "$TIMEOUT" -- "$@" 2>>build.log) || return 1
    printf '%s\t%s\t%s\t%s\t%s\n' "$PEER" "$mode" "$N" "$run" "$line" >> "$REL/$RES"
    rc=$(cut -f6 <<< "$line")
    [ "$rc" = 0 ] || echo "!! $PEER $mode $run exited $rc (see $WORK/$PEER/build.log)" >&2
    return "$rc"
}

# clean: move the CLEAN paths (globs allowed) aside, so every timed clean build writes a fresh
# folder. Nothing is deleted until the last timing (empty_all_trash at the end): on this disk
# (ext4 without a journal) creating files is 5-15 x slower for minutes after tens of thousands
# of files are deleted, which made the same build's system time swing from 5 to 29 s (issue 13).
clean() {
    local p q
    mkdir -p .trash
    shopt -s nullglob
    for p in "${CLEAN[@]}"; do
        for q in $p; do
            if [ -e "$q" ]; then mv "$q" ".trash/$(basename "$q").$RANDOM$RANDOM"; fi
        done
    done
    shopt -u nullglob
}
empty_all_trash() { rm -rf "$WORK"/*/.trash "$WORK"/.trash "$WORK"/push-* work/.old-"$N".*; sync; }

do_build() {  # do_build MODE RUN [clean]
    if [ "${3:-}" = clean ]; then clean; fi
    timed "$1" "$2" "${BUILD[@]}" >> build.log
}
do_incr() { timed "$1" "$2" "${INCR[@]}" >> build.log; }
do_check_cmd() { timed check "$1" "${CHECK[@]}" >> build.log; }
do_search() { clean; timed full-search "$1" "${SEARCH_BUILD[@]}" >> build.log; }
do_edit() {  # do_edit TAG: the same sentence appended to the same record's abstract
    "$REL/$PY" "$REL/edit_record.py" "$(record_file "$EDIT_HEX")" "$1"
}
do_output_check() {  # do_output_check PHASE
    echo "$PEER	$1	$("$REL/$PY" "$REL/check_output.py" "$OUT" ../corpus --layout "$CHECK_LAYOUT")" >> "$REL/$CHK"
}
do_verify_clean() {  # the edited site must equal a clean build of the same records (issue 5)
    [ "$VERIFY_CLEAN" = 1 ] && [ "${VERIFY:-1}" = 1 ] || return 0
    mkdir -p ../.trash
    if [ -e ../verify-clean ]; then mv ../verify-clean "../.trash/verify-clean.$RANDOM$RANDOM"; fi
    mkdir ../verify-clean
    cp -a pyproject.toml records ../verify-clean/
    local ok=false
    if (cd ../verify-clean && "${BUILD[@]}" >> build.log 2>&1) &&
        diff -r -q "$OUT" "../verify-clean/$OUT" > verify-clean.diff 2>&1; then ok=true; fi
    echo "$PEER	edit-equals-clean	{\"ok\": $ok, \"diff\": \"$WORK/$PEER/verify-clean.diff\"}" >> "$REL/$CHK"
    mv ../verify-clean "../.trash/verify-clean.$RANDOM$RANDOM"
}
has() { [ -n "$(eval "echo \${$1[*]:-}")" ]; }   # has ARRAYNAME: array is non-empty

# push_checkout DIR: a fresh checkout of the peer's inputs (every entry of its folder but its
# outputs, caches and logs), as a CI runner has it; a previous one goes to the trash
push_checkout() {
    local d=$1 e pat skip
    if [ -e "$d" ]; then mkdir -p ../.trash; mv "$d" "../.trash/$(basename "$d").$RANDOM$RANDOM"; fi
    mkdir "$d"
    for e in *; do
        skip=0
        for pat in "${CLEAN[@]}" build.log verify-clean.diff; do
            # shellcheck disable=SC2053
            [[ "$e" == $pat ]] && skip=1
        done
        [ "$skip" = 1 ] || cp -a "$e" "$d/"
    done
}
do_push() {  # do_push RUN: push-first (nothing cached), then push-next (one record edited, cache restored)
    local d=../push-$PEER saved=
    push_checkout "$d"
    (cd "$d" && timed push-first "$1" "${PUSH[@]}" >> build.log) || return 1
    if [ -n "$PUSH_CACHE" ] && [ -e "$d/$PUSH_CACHE" ]; then
        saved=../push-cache-$PEER
        rm -rf "$saved"
        cp -a "$d/$PUSH_CACHE" "$saved"
    fi
    push_checkout "$d"
    (cd "$d" && do_edit "push-$1") || return 1
    if [ -n "$saved" ]; then cp -a "$saved" "$d/$PUSH_CACHE"; fi  # as actions/cache restores it
    (cd "$d" && timed push-next "$1" "${PUSH[@]}" >> build.log)
}

# rotated I: the peers in the order for run I (alternation between runs)
rotated() {
    local i=$1 k=${#PEER_LIST[@]} j
    for ((j = 0; j < k; j++)); do echo "${PEER_LIST[$(( (i + j) % k ))]}"; done
}

# setup: adapt every peer (untimed), record versions
ACTIVE=()
for p in "${PEER_LIST[@]}"; do
    [ -f "$p/peer.sh" ] || { echo "!! unknown peer $p" >&2; continue; }
    input=$(INPUT=corpus; CHECK=(); source "$p/peer.sh"; echo "$INPUT")
    echo "== $p: adapt ($input)"
    $PY "$p/adapt.py" "$WORK/$input" "$WORK/$p" || { echo "!! $p adapt failed" >&2; continue; }
    : > "$WORK/$p/build.log"
    in_peer "$p" bash -c 'true' || continue
    echo "$p	$(in_peer "$p" peer_version)" >> results/versions.tsv.tmp
    ACTIVE+=("$p")
done
PEER_LIST=("${ACTIVE[@]}")
declare -A FAILED=()
ok_peer() { [ -z "${FAILED[$1]:-}" ]; }

phase() {  # phase NAME RUNS FUNC [ARGS]: FUNC run-number, per peer in rotated order
    local name=$1 runs=$2 fn=$3 i p
    for ((i = 1; i <= runs; i++)); do
        for p in $(rotated "$i"); do
            ok_peer "$p" || continue
            in_peer "$p" "$fn" "$i" || { echo "!! $p: $name $i failed; skipping its remaining phases" >&2; FAILED[$p]=1; }
        done
    done
}
warm() { do_build warmup "$1" clean; }
full() { do_build full "$1" clean; }
noop() { do_build noop "$1"; }
edit() { do_edit "$1" && do_build edit "$1"; }
check_phase() { if has CHECK; then do_check_cmd "$1"; fi; }
check_all() { for p in "${PEER_LIST[@]}"; do ok_peer "$p" && in_peer "$p" do_output_check "$1"; done; }

phase warmup "$WARMUP" warm
if has_phase full; then phase full "$RUNS" full; check_all full; fi
if has_phase noop; then phase noop "$RUNS" noop; check_all noop; fi
if has_phase edit; then
    phase edit "$RUNS" edit; check_all edit
    for p in "${PEER_LIST[@]}"; do ok_peer "$p" && in_peer "$p" do_verify_clean; done
fi
if has_phase check; then phase check "$RUNS" check_phase; fi
if has_phase incr; then
    incr_prime() { if has INCR && [ "$1" = 1 ]; then clean; do_incr incr-prime 1; fi; }
    incr_noop() { if has INCR; then do_incr incr-noop "$1"; fi; }
    incr_edit() { if has INCR; then do_edit "incr-$1" && do_incr incr-edit "$1"; fi; }
    check_incr() { if has INCR; then do_output_check "$1"; fi; }
    phase incr-prime 1 incr_prime
    phase incr-noop "$RUNS" incr_noop
    for p in "${PEER_LIST[@]}"; do ok_peer "$p" && in_peer "$p" check_incr incr-noop; done
    phase incr-edit "$RUNS" incr_edit
    for p in "${PEER_LIST[@]}"; do ok_peer "$p" && in_peer "$p" check_incr incr-edit; done
fi
if has_phase search; then search() { if has SEARCH_BUILD; then do_search "$1" && do_output_check full-search; fi; }; phase search "$RUNS" search; fi
if has_phase push; then push() { if has PUSH; then do_push "$1"; fi; }; phase push "$RUNS" push; fi
# every timing is taken: only now delete the old outputs
empty_all_trash

# versions.tsv: one line per peer, latest run wins
if [ -f results/versions.tsv.tmp ]; then
    cat results/versions.tsv results/versions.tsv.tmp 2>/dev/null |
        awk -F'\t' '{v[$1]=$0; if (!($1 in o)) {o[$1]=++k; n[k]=$1}} END {for (i=1;i<=k;i++) print v[n[i]]}' > results/versions.tsv.new
    mv results/versions.tsv.new results/versions.tsv
    rm -f results/versions.tsv.tmp
fi
# shellcheck disable=SC2086
$PY bench_table.py "$N" --seed "$SEED" --edited "SRCH:$EDIT_HEX" ${TABLE_ARGS:-} | tee "results/$N.md"
}
main "$@"
