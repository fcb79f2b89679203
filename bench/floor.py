"""Per-record CPU floor of SPEC §7's stack on the benchmark registry: each library call alone,
with none of srchgen's own logic (positions, rules, lints, derived fields, listings, feeds)."""
import gc, os, sys, time, json, shutil, tempfile
from pathlib import Path
import yaml, cmarkgfm, nh3
from srchgen.build import pipeline as B
from srchgen.cli import commands as cli
from srchgen.render.render import Renderer
from srchgen.render.templates import Templates
from srchgen.check.schema import Record
from srchgen.derive.quality_guide import guide
# usage: .venv/bin/python bench/floor.py REGISTRY_DIR [N]   (a gen_registry.py registry; BENCH.md)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
reg = Path(sys.argv[1]).resolve()
os.chdir(reg)
files = sorted(Path("records").glob("*.md"))[:N]
raw = [f.read_bytes() for f in files]
texts = [r.decode() for r in raw]
fronts, bodies = [], []
for t in texts:
    _, fm, body = t.split("---\n", 2)
    fronts.append(fm); bodies.append(body)
def timeit(label, fn, items, keep=False):
    """CPU per item of fn; results are kept only when asked (keep=True), and the garbage
    collector is off while timing: with every result alive, its passes over the growing heap
    were most of the time measured (1,580 us/record against 939 with gc.disable(), issue 13)."""
    out = []
    gc.collect()
    gc.disable()
    try:
        t = time.process_time()
        for x in items:
            r = fn(x)
            if keep:
                out.append(r)
        dt = (time.process_time() - t) / len(items) * 1e6
    finally:
        gc.enable()
    print(f"{label:48s} {dt:8.1f} us/record")
    return out, dt
total = 0
_, d = timeit("read file (open+read)", lambda f: f.read_bytes(), files); total += d
datas, d = timeit("yaml.load CSafeLoader (no positions)", lambda s: yaml.load(s, Loader=yaml.CSafeLoader), fronts, keep=True); total += d
_, dc = timeit("  (yaml.compose CSafeLoader, what positions need)", lambda s: yaml.compose(s, Loader=yaml.CSafeLoader), fronts)
def val(d):
    try: return Record.model_validate(d)
    except Exception: return None
_, d = timeit("pydantic Record.model_validate", val, datas); total += d
_, d = timeit("cmarkgfm GFM to HTML", lambda b: cmarkgfm.github_flavored_markdown_to_html(b), bodies); total += d
htmls = [cmarkgfm.github_flavored_markdown_to_html(b) for b in bodies]
_, d = timeit("nh3 clean", lambda h: nh3.clean(h), htmls); total += d
# one Jinja render of our record page, from srchgen's own entries (made untimed)
proj = cli.make_project(None, str(Path(tempfile.mkdtemp()) / "site"))
r = Renderer(proj.config, Templates(proj.root / "templates", Path(tempfile.mkdtemp())))
rules = guide(proj.config)
entries = [B.process(proj, reg / f, (0, 0, 0), None, True).entry for f in files]
entries = [e for e in entries if e is not None]
r.sections = frozenset(e.record.section.value for e in entries)  # the navigation's sections, known once every record is
_, d = timeit("record page render (record.html through FastCodeGenerator)", lambda e: r.record_page(e, [], rules), entries); total += d
from srchgen.render import feeds
_, d = timeit("json.dumps record.json (sorted keys)", lambda e: json.dumps(feeds.record_dict(e, proj.config), sort_keys=True), entries); total += d
tmp = Path(tempfile.mkdtemp(dir=reg))
def make_files(i):
    d = tmp / f"{i:08X}"; os.mkdir(d)
    for name in ("index.html", "record.json"):  # SPEC §8: at most two files per record
        with open(d / name, "wb") as f: f.write(b"x" * 2000)
t0 = os.times()
for i in range(N): make_files(i)
t1 = os.times()
fs = ((t1.user - t0.user) + (t1.system - t0.system)) / N * 1e6
print(f"{'create 1 folder + 2 files (user+sys)':48s} {fs:8.1f} us/record")
shutil.rmtree(tmp)
total += fs
print(f"{'floor, sum':48s} {total:8.1f} us/record -> {total*10000/1e6:.1f} s CPU at 10,000 = {total*10000/2e6:.1f} s wall on 2 cores at best")
