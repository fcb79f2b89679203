#!/usr/bin/env python3
"""srchgen adapter: adapt.py REGISTRY_DIR SITE_DIR

srchgen reads the manifest-valid registry itself (gen_registry.py output:
pyproject.toml with [tool.srchgen] + records/<HEX>.md + records/<HEX>/
artifacts), so SITE_DIR becomes a copy of it, unchanged: the project
directory `srchgen build` runs in (output in SITE_DIR/site, cache in
SITE_DIR/.srchgen-cache). The other peers get the corpus derived from the
same registry by to_corpus.py (peer.sh: INPUT=registry). With SRCHGEN_MAX_SITE_BYTES set,
its max_site_bytes is raised to that, so a site over the default 1 GB budget can still be
timed (run_scale.sh; the size table still compares it with the 1 GB target).
"""
import os
import shutil
import sys


def main(registry, site):
    os.makedirs(site, exist_ok=True)
    shutil.copyfile(os.path.join(registry, "pyproject.toml"), os.path.join(site, "pyproject.toml"))
    limit = os.environ.get("SRCHGEN_MAX_SITE_BYTES")
    if limit:  # run_scale.sh: time a site past SPEC §8's budget instead of stopping at it
        with open(os.path.join(site, "pyproject.toml"), "a") as f:
            f.write("max_site_bytes = %d\n" % int(limit))
    shutil.copytree(os.path.join(registry, "records"), os.path.join(site, "records"),
                    dirs_exist_ok=True)
    n = sum(1 for x in os.listdir(os.path.join(site, "records")) if x.endswith(".md"))
    print("srchgen: %d records -> %s" % (n, os.path.relpath(os.path.join(site, "records"))))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
