"""What a search costs a reader (issue 23): for each built site given as LABEL=SITE_DIR, serve it,
open its search page in Chromium at 390 x 844 px on a throttled connection (1.6 Mbit/s down,
150 ms latency, as Lighthouse's mobile run), type two queries, and print the pagefind/ requests
and bytes each query made and the time to its first result drawn with its data.

    .venv/bin/python bench/search_cost.py 1shard=/path/site 4shards=/path/other-site

Needs Playwright and Debian's chromium (as the browser tests). Queries suit bench/gen_registry.py's
records; pass QUERIES="a,b" to change them.
"""
import functools
import http.server
import os
import sys
import threading
import time

from playwright.sync_api import sync_playwright


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def serve(root, port):
    h = functools.partial(Quiet, directory=root)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), h)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


with sync_playwright() as p:
    b = p.chromium.launch(executable_path=os.environ.get("SRCHGEN_CHROMIUM", "/usr/bin/chromium"))
    for i, (label, root) in enumerate([(a.split("=")[0], a.split("=")[1]) for a in sys.argv[1:]]):
        srv = serve(root, 8950 + i)
        for q in os.environ.get("QUERIES", "preference optimization,federated").split(","):
            ctx = b.new_context(viewport={"width": 390, "height": 844})
            pg = ctx.new_page()
            cdp = ctx.new_cdp_session(pg)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8})
            reqs = []
            sizes = {}
            def done(r):
                try:
                    sizes[id(r)] = r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]
                except Exception:  # a request Chromium no longer holds
                    sizes[id(r)] = 0
            ctx.on("request", lambda r: reqs.append((id(r), r.url)))
            ctx.on("requestfinished", done)
            pg.goto(f"http://127.0.0.1:{8950+i}/search/index.html", wait_until="load")
            pg.locator(".pagefind-ui__search-input").wait_for(timeout=30000)
            n0 = len(reqs); b0 = sum(sizes.values())
            t = time.perf_counter()
            pg.fill(".pagefind-ui__search-input", q)
            pg.wait_for_function("() => document.querySelectorAll('.pagefind-ui__result-title').length > 0 && !document.querySelector('.pagefind-ui__result .pagefind-ui__loading')", timeout=60000)
            first = time.perf_counter() - t
            pg.wait_for_timeout(1500)
            pf = [(rid, u) for rid, u in reqs[n0:] if "/pagefind" in u]
            byts = sum(sizes.get(rid, 0) for rid, _ in pf)
            allpf = [(rid, u) for rid, u in reqs if "/pagefind" in u]
            print(f"{label:10s} q={q!r:22s} query: {len(pf):3d} requests {byts/1024:7.1f} kB; page+query pagefind: {len(allpf):3d} req {sum(sizes.get(r,0) for r,_ in allpf)/1024:7.1f} kB; first results {first:5.2f} s", flush=True)
            ctx.close()
        srv.shutdown()
    b.close()
