"""srchgen as a user gets it (issue 16): the built wheel in a fresh virtualenv outside the repository,
the composite action's steps, and the pre-commit hook through `pre-commit try-repo`.

These tests install packages with pip (the dependencies come from the pip cache or PyPI, pinned by
requirements.lock as constraints), so they need what `make install` needed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest
import yaml

from srchgen import __version__
from tests.conftest import REPO, SOURCE_DATE_EPOCH

LOCK = REPO / "requirements.lock"
BASE_URL = "https://example.github.io/registry"
QUESTION = "How does soil moisture affect winter wheat yield?"
NEW_FLAGS = ["--question", QUESTION, "--section", "research", "--score", "7.5", "--claims", "3",
             "--publisher", "Example Research", "--report-artifact", "--topics", "soil-moisture,wheat",
             "--abstract", "Across 14 field trials, winter wheat yield rises with soil moisture up to field capacity and falls under waterlogging."]


def load_yaml(path: Path) -> Any:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def clean_env(bin_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a user's shell: no trace of this checkout or of the test venv."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "GITHUB_ACTIONS"}}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if Path(p).resolve() != Path(sys.executable).parent.resolve()]
    env["PATH"] = os.pathsep.join(([str(bin_dir)] if bin_dir else []) + path)
    env["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    env.update(extra)
    return env


def sh(args: list[str] | str, cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
                          shell=isinstance(args, str), executable="/bin/bash" if isinstance(args, str) else None)


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, f"{proc.args}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def make_venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    return where / "bin"


def pip_install(bin_dir: Path, *what: str, cwd: Path) -> None:
    """pip as a user runs it, with the dependency versions srchgen is tested with."""
    ok(sh([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(LOCK), *what],
          cwd, clean_env(bin_dir)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from this checkout as `pip wheel` builds it (hatchling)."""
    dist = tmp_path_factory.mktemp("dist")
    ok(sh([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps", "-w", str(dist), str(REPO)],
          dist, clean_env()))
    (built,) = dist.glob("srchgen-*.whl")
    assert built.name == f"srchgen-{__version__}-py3-none-any.whl"
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the repository with the wheel installed; its bin/ folder."""
    bin_dir = make_venv(tmp_path_factory.mktemp("user") / "venv")
    pip_install(bin_dir, str(wheel), cwd=wheel.parent)
    return bin_dir


@pytest.fixture(scope="module")
def newcomer(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The three commands of a newcomer in an empty folder (init, new), then check and build; the transcript."""
    reg = tmp_path_factory.mktemp("empty") / "my-registry"
    env = clean_env(installed)
    transcript = []
    for args in (["srchgen", "init", "my-registry", "--title", "Soil Registry"], ["srchgen", "new", *NEW_FLAGS],
                 ["srchgen", "check"], ["srchgen", "build", "--no-search"]):
        proc = ok(sh(args, reg.parent if args[1] == "init" else reg, env))
        transcript.append(f"$ {shlex.join(args)}\n{proc.stdout}{proc.stderr}")
    return reg, transcript


def test_wheel_holds_the_theme_and_the_starter(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("templates", "assets"):
        for f in (REPO / folder).rglob("*"):
            if f.is_file():
                assert f"srchgen/_theme/{f.relative_to(REPO).as_posix()}" in names, f
    for f in (REPO / "srchgen" / "cli" / "_starter").iterdir():
        assert f"srchgen/cli/_starter/{f.name}" in names


def test_installed_srchgen_names_the_pinned_version(installed: Path, tmp_path: Path) -> None:
    proc = ok(sh(["srchgen", "--version"], tmp_path, clean_env(installed)))
    assert proc.stdout == f"srchgen, version {__version__}\n"


def test_installed_package_finds_its_own_theme(installed: Path, tmp_path: Path) -> None:
    """Imported from the venv's site-packages, the theme inside it, never this checkout."""
    code = "import srchgen, srchgen.render.templates as r; print(srchgen.__file__); print(r.theme_dir('templates')); print(r.theme_dir('assets'))"
    out = ok(sh([str(installed / "python"), "-c", code], tmp_path, clean_env(installed))).stdout.split("\n")
    site_packages = str(installed.parent / "lib")
    assert all(line.startswith(site_packages) for line in out[:3]), out
    assert out[1].endswith("srchgen/_theme/templates") and out[2].endswith("srchgen/_theme/assets")


def test_newcomer_registry_builds_with_the_packaged_theme(newcomer: tuple[Path, list[str]], installed: Path) -> None:
    reg, transcript = newcomer
    assert not (reg / "templates").exists() and not (reg / "assets").exists()
    assert "2 records ok" in transcript[2]
    site = reg / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="assets/style.css"' in index and "<title>" in index and "Soil Registry" in index
    packaged = next((installed.parent / "lib").glob("python3*/site-packages/srchgen/_theme/assets/style.css"))
    assert (site / "assets" / "style.css").read_bytes() == packaged.read_bytes() == (REPO / "assets" / "style.css").read_bytes()
    pages = sorted(p.parent.name for p in (site / "records").glob("*/index.html"))
    assert pages == sorted(p.stem for p in (reg / "records").glob("*.md")) and len(pages) == 2
    for page in (site / "records").glob("*/index.html"):
        assert 'href="../../assets/style.css"' in page.read_text(encoding="utf-8")
    assert (site / "schema" / "paper-manifest-v1.1.json").is_file()
    schema = ok(sh(["srchgen", "schema"], reg, clean_env(installed))).stdout
    assert json.loads((site / "schema" / "paper-manifest-v1.1.json").read_text(encoding="utf-8")) == json.loads(schema)


def test_generated_workflow_commands_exist_in_the_installed_package(newcomer: tuple[Path, list[str]], installed: Path) -> None:
    reg, _ = newcomer
    action = load_yaml(REPO / "action.yml")
    env = clean_env(installed)
    for name in ("pages.yml", "check.yml"):
        wf = load_yaml(reg / ".github" / "workflows" / name)
        for job in wf["jobs"].values():
            for step in job["steps"]:
                for line in step.get("run", "").splitlines():
                    words = shlex.split(line)
                    if words and words[0] == "srchgen":
                        ok(sh(["srchgen", words[1], "--help"], reg, env))
                if step.get("uses", "").startswith("srchgen/"):
                    ok(sh(["srchgen", step["with"]["command"], "--help"], reg, env))
                    assert set(step["with"]) <= set(action["inputs"]), name
    for words in _action_commands(action):
        ok(sh(["srchgen", *words, "--help"], reg, env))


def _action_commands(action: dict[str, Any]) -> list[list[str]]:
    """`srchgen <command>` as the action's run step builds it, for each value its command input allows."""
    script = _run_step(action)["run"]
    return [[c] for c in re.findall(r"^\s+(\w+)\)$", script, re.M)]


# ----------------------------------------------------------------------------- the composite action


def _run_step(action: dict[str, Any]) -> dict[str, Any]:
    (step,) = [s for s in action["runs"]["steps"] if "srchgen \"${args[@]}\"" in s.get("run", "")]
    return step


EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def test_action_is_a_valid_composite_action() -> None:
    action = load_yaml(REPO / "action.yml")
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert all(spec.get("description") for spec in inputs.values())
    ids = {s["id"] for s in action["runs"]["steps"] if "id" in s}
    for step in action["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step  # a composite action's run step must name its shell
            assert "${{" not in step["run"], "inputs reach the script through env, never spliced into its text"
        else:
            assert re.fullmatch(r"actions/[a-z-]+(/[a-z]+)?@v\d+", step["uses"]), step["uses"]
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    for expr in EXPR.findall(text) + re.findall(r"^\s+if: (.+)$", text, re.M):
        for name in re.findall(r"\binputs\.([\w-]+)", expr):
            assert name in inputs, f"action.yml uses inputs.{name}, which is not declared"
        for sid in re.findall(r"\bsteps\.([\w-]+)\.", expr):
            assert sid in ids, f"action.yml uses steps.{sid}, which no step has as id"
    uses = [s["uses"].split("@")[0] for s in action["runs"]["steps"] if "uses" in s]
    assert uses == ["actions/setup-python", "actions/cache", "actions/cache/restore"]


def _step_env(step: dict[str, Any], inputs: dict[str, str]) -> dict[str, str]:
    """The step's env with ${{ inputs.X }} replaced as the runner replaces it."""
    out = {}
    for key, value in step.get("env", {}).items():
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            assert name.startswith("inputs."), name
            return inputs[name.removeprefix("inputs.")]
        out[key] = EXPR.sub(sub, str(value))
    return out


def _inputs(action: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    assert set(given) <= set(action["inputs"]), given
    return {**{k: str(v.get("default", "")) for k, v in action["inputs"].items()}, **given}


def run_action_step(step: dict[str, Any], given: dict[str, str], cwd: Path, bin_dir: Path,
                    **env: str) -> subprocess.CompletedProcess[str]:
    action = load_yaml(REPO / "action.yml")
    inputs = _inputs(action, given)
    full = clean_env(bin_dir, GITHUB_ACTIONS="true", GITHUB_ACTION_PATH=str(REPO), **_step_env(step, inputs), **env)
    return sh(["bash", "-e", "-c", step["run"]], cwd / inputs["working-directory"], full)


@pytest.fixture
def pr_registry(newcomer: tuple[Path, list[str]], tmp_path: Path) -> Path:
    """The newcomer's registry as actions/checkout leaves a pull request: origin/main is the target branch."""
    reg = tmp_path / "reg"
    shutil.copytree(newcomer[0], reg, ignore=shutil.ignore_patterns("site", ".srchgen-cache"))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "registry"],
                 ["update-ref", "refs/remotes/origin/main", "HEAD"], ["checkout", "-qb", "pr"]):
        _git(reg, *args)
    return reg


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_COMMITTER_DATE": "2026-11-01T12:00:00Z", "GIT_AUTHOR_DATE": "2026-11-01T12:00:00Z"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def _delete_a_record(reg: Path) -> None:
    _git(reg, "rm", "-q", next(p.relative_to(reg).as_posix() for p in (reg / "records").glob("*.md")))


def _break_a_record(reg: Path) -> None:
    rec = next((reg / "records").glob("*.md"))
    rec.write_text(rec.read_text(encoding="utf-8").replace("review:", "reveiw:"), encoding="utf-8")


def _nothing(reg: Path) -> None:
    pass


def _mismatch_an_abstract(reg: Path) -> None:
    """An abstract that does not address its question: a warning (the relevance lint), an error under strict."""
    rec = next(p for p in (reg / "records").glob("*.md") if QUESTION in p.read_text(encoding="utf-8"))
    front, _ = rec.read_text(encoding="utf-8").rsplit("---\n", 1)
    rec.write_text(front + "---\nNested sampling computes the Bayesian evidence of astronomical models from posterior samples.\n",
                   encoding="utf-8")


@pytest.mark.parametrize(
    "given, change, code, expected",
    [
        ({"command": "build", "base-url": BASE_URL, "search": "false"}, _nothing, 0, "built 2 records into site/"),
        ({"command": "build", "search": "false", "strict": "true"}, _mismatch_an_abstract, 1, "::error file=records/"),
        ({"command": "build", "search": "false"}, _mismatch_an_abstract, 0, "::warning file=records/"),
        ({"command": "build", "search": "false"}, _break_a_record, 1, "::error file=records/"),
        ({"command": "check"}, _nothing, 0, "2 records ok"),
        ({"command": "check", "base": "origin/main"}, _nothing, 0, "2 records ok"),
        ({"command": "check", "base": "origin/main"}, _delete_a_record, 1, "record file deleted since origin/main"),
        ({"command": "deploy"}, _nothing, 2, "::error title=srchgen action::command must be build or check, not 'deploy'"),
        ({"command": "check", "strict": "yes"}, _nothing, 2, "strict must be true or false, not 'yes'"),
        ({"command": "build", "search": "no"}, _nothing, 2, "search must be true or false, not 'no'"),
        ({"command": "check", "base-url": BASE_URL}, _nothing, 2, "base-url is an input of build, not of check"),
        ({"command": "build", "base": "origin/main"}, _nothing, 2, "base is an input of check, not of build"),
        ({"command": "check", "records": "nowhere"}, _nothing, 2, "records directory not found: nowhere"),
    ],
    ids=["build", "build-strict", "build-warning", "build-invalid", "check", "check-base", "check-base-deleted", "bad-command",
         "bad-strict", "bad-search", "base-url-on-check", "base-on-build", "missing-records"],
)
def test_action_run_step(pr_registry: Path, installed: Path, given: dict[str, str], change: Any, code: int, expected: str) -> None:
    change(pr_registry)
    proc = run_action_step(_run_step(load_yaml(REPO / "action.yml")), given, pr_registry, installed)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert expected in proc.stdout + proc.stderr
    if given == {"command": "build", "base-url": BASE_URL, "search": "false"}:
        assert f"<loc>{BASE_URL}/" in (pr_registry / "site" / "sitemap.xml").read_text()
        assert not (pr_registry / "site" / "pagefind").exists()


def test_generated_workflows_run_through_the_action(pr_registry: Path, installed: Path) -> None:
    """Each workflow's `with:` as the runner expands it, through the action's run step, succeeds."""
    action = load_yaml(REPO / "action.yml")
    context = {"steps.pages.outputs.base_url": BASE_URL, "github.base_ref": "main"}
    for name, done in (("pages.yml", "built 2 records"), ("check.yml", "2 records ok")):
        wf = load_yaml(pr_registry / ".github" / "workflows" / name)
        (step,) = [s for job in wf["jobs"].values() for s in job["steps"] if s.get("uses", "").startswith("srchgen/")]
        given = {k: EXPR.sub(lambda m: context[m.group(1)], str(v)) for k, v in step["with"].items()}
        proc = run_action_step(_run_step(action), given, pr_registry, installed)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert done in proc.stdout + proc.stderr
    assert f"<loc>{BASE_URL}/" in (pr_registry / "site" / "sitemap.xml").read_text()


def test_action_install_step_installs_its_own_checkout(tmp_path: Path) -> None:
    """The install step, with GITHUB_ACTION_PATH at a source checkout (what `uses: ...@TAG` gives), in a fresh venv."""
    action = load_yaml(REPO / "action.yml")
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "install"]
    bin_dir = make_venv(tmp_path / "venv")
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    proc = run_action_step(step, {}, tmp_path, bin_dir, GITHUB_OUTPUT=str(outputs))
    ok(proc)
    assert outputs.read_text().splitlines() == [f"version={__version__}", f"cache-dir={tmp_path / '.srchgen-cache'}"]
    assert (bin_dir / "srchgen").is_file()


# ----------------------------------------------------------------------------- the pre-commit hook


def _require_committed_hooks() -> None:
    """pre-commit try-repo clones this checkout, so the hook and the package must be committed (as in CI's clone)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("this checkout is not a git repository; pre-commit try-repo needs one")
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", ".pre-commit-hooks.yaml", "pyproject.toml", "srchgen/cli/starter.py"],
                             cwd=REPO, capture_output=True, text=True, check=False)
    assert tracked.returncode == 0, "commit .pre-commit-hooks.yaml: pre-commit try-repo sees committed files only"


def test_pre_commit_hook_checks_records(newcomer: tuple[Path, list[str]], tmp_path: Path) -> None:
    hooks = load_yaml(REPO / ".pre-commit-hooks.yaml")
    (hook,) = hooks
    assert hook["id"] == "srchgen-check" and hook["entry"] == "srchgen check" and hook["files"] == "^records/"
    assert hook["pass_filenames"] is False  # cross-record rules need every record; check reads them all
    _require_committed_hooks()
    reg = tmp_path / "reg"
    shutil.copytree(newcomer[0], reg, ignore=shutil.ignore_patterns("site", ".srchgen-cache"))
    _git(reg, "init", "-q", "-b", "main")
    _git(reg, "add", "-A")
    env = clean_env(None, PRE_COMMIT_HOME=str(tmp_path / "pre-commit"), PIP_CONSTRAINT=str(LOCK),
                    GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    try_repo = [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "srchgen-check", "--all-files"]
    good = sh(try_repo, reg, env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"^srchgen check\.+Passed$", good.stdout, re.M), good.stdout
    _break_a_record(reg)
    _git(reg, "add", "-A")
    bad = sh(try_repo, reg, env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert re.search(r"^srchgen check\.+Failed$", bad.stdout, re.M), bad.stdout
    assert re.search(r"records/[0-9A-F]{8}\.md:\d+:\d+: unknown key 'reveiw'", bad.stdout), bad.stdout


def test_hook_is_skipped_when_no_record_changed(newcomer: tuple[Path, list[str]]) -> None:
    """files: ^records/ — a commit that touches only the README does not run the check."""
    (hook,) = load_yaml(REPO / ".pre-commit-hooks.yaml")
    pattern = re.compile(hook["files"])
    assert pattern.search("records/0000000A.md") and pattern.search("records/0000000A/Proof.lean")
    assert not pattern.search("README.md") and not pattern.search("docs/records/x.md")
