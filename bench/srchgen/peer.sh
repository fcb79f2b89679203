# srchgen peer definition, sourced by ../run.sh (bash) with the site directory
# as cwd and $REL = the path from the site directory back to bench/.
# The srchgen under test is the one installed in the repository's .venv
# (`make install`), i.e. $REL/../.venv/bin/srchgen; SRCHGEN=/path overrides.
PEER=srchgen
INPUT=registry                  # adapt.py gets the manifest-valid registry, not the corpus
OUT=site
CLEAN=(site .srchgen-cache 'site.tmp-*' 'site.old-*')   # output, build cache, staging leftovers
SRCHGEN_BIN=${SRCHGEN:-$REL/../.venv/bin/srchgen}
# Search indexing (Pagefind) is off for the comparison: the peers build no
# search index. It is timed separately (SEARCH_BUILD, mode full-search).
BUILD=("$SRCHGEN_BIN" build --no-search)
SEARCH_BUILD=("$SRCHGEN_BIN" build)
CHECK=("$SRCHGEN_BIN" check)
# A registry's CI push (issue 23): the Pages workflow `srchgen init` writes builds a fresh
# checkout with search, after actions/cache restored .srchgen-cache (PUSH_CACHE); no site/.
PUSH=("$SRCHGEN_BIN" build)
PUSH_CACHE=.srchgen-cache
INCR=()                         # the normal build is the incremental one (cache)
CHECK_LAYOUT=srchgen            # check_output.py --layout srchgen
VERIFY_CLEAN=1                  # after the edit phase: edited build == clean build, byte for byte
record_file() { echo "records/$1.md"; }      # $1 = HEX (uppercase)
peer_version() { echo "$("$SRCHGEN_BIN" --version 2>/dev/null | head -1) at commit $(git -C "$REL/.." rev-parse --short HEAD 2>/dev/null)$(git -C "$REL/.." diff --quiet HEAD -- srchgen templates assets 2>/dev/null || echo '+changes') ($("$REL/../.venv/bin/python" --version 2>&1))"; }
