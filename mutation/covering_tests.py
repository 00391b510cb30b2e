"""Mutation testing of modules whose tests need the running service (feedback.py, convert.py):
per mutant, run only the tests that execute the mutated lines, fastest first, on one MLflow server.

A whole-suite run per mutant takes minutes (hundreds of mutants: days); mutmut selects tests the
same way. `python mutation/covering_tests.py [--workers N] CONFIG...` (make mutation):

1. starts one MLflow server for everything (FEEDBACK_TESTS_MLFLOW_URL, tests/conftest.py);
2. runs the suite once on the unmutated code with coverage contexts: which tests execute each
   line of the service, and how long each test takes (.mutation-map.json);
3. runs cosmic-ray on each CONFIG with N http workers, each in its own copy of the tree, whose
   test-command is `covering_tests.py run MODULE`: it finds the lines cosmic-ray changed (against
   the copy the map saved) and runs their tests with `-x`, so the first failure kills the mutant.
   A mutant on a line no test executes survives at once, as it should.
"""

import argparse
import collections
import difflib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import coverage
from coverage.parser import PythonParser

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / ".mutation-map.json"
MEASURED = "genaifeedback.service"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
# Not mapped: the analytics tests load data into the server's own database file; the README's grpcurl
# session uses the README's fixed ids, which a second run on the same server meets again; the
# workers test runs the service in subprocesses, whose lines coverage does not see here.
UNMAPPED = {"tests/test_analytics.py", "tests/test_readme_grpcurl.py", "tests/test_workers.py"}
DEFAULT_TEST_SECONDS = 15.0


def build_map() -> None:
    tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_*.py"))
    tests = [test for test in tests if test not in UNMAPPED]
    with tempfile.TemporaryDirectory() as scratch:
        data_file, junit = Path(scratch) / ".coverage", Path(scratch) / "junit.xml"
        env = {**os.environ, "COVERAGE_FILE": str(data_file)}
        measure = [f"--cov={MEASURED}", "--cov-context=test", "--cov-report=", "--cov-fail-under=0"]
        finished = subprocess.run([*PYTEST, *measure, f"--junitxml={junit}", *tests], cwd=ROOT, env=env, check=False)
        if finished.returncode != 0:
            sys.exit(f"the tests fail on the unmutated code (exit {finished.returncode}): fix that first")
        data = coverage.CoverageData(basename=str(data_file))
        data.read()
        modules: dict[str, dict[str, list[str]]] = {}
        for measured in data.measured_files():
            lines = modules.setdefault(str(Path(measured).relative_to(ROOT)), {})
            for line, contexts in sorted(data.contexts_by_lineno(measured).items()):
                # pytest-cov names contexts "nodeid|setup", "nodeid|run" and "nodeid|teardown".
                lines[str(line)] = sorted({context.rpartition("|")[0] for context in contexts if context})
        durations = _durations(junit)
    sources = {module: (ROOT / module).read_text() for module in modules}
    MAP.write_text(json.dumps({"sources": sources, "durations": durations, "lines": modules}, indent=1))
    print(f"{len(durations)} tests mapped to the lines they execute in {len(modules)} modules")


def run_covering(module: str) -> int:
    """cosmic-ray's test command: the tests that execute the mutated lines, fastest first."""
    recorded = json.loads(MAP.read_text())
    original = recorded["sources"][module]
    statements = _statements(original, _changed_lines(original, (ROOT / module).read_text()))
    lines = recorded["lines"][module]
    tests = {test for line in statements for test in lines.get(str(line), []) if test.split("::")[0] not in UNMAPPED}
    if not tests:
        print(f"no test executes lines {sorted(statements)}: the mutant survives")
        return 0

    def duration(test: str) -> float:
        return float(recorded["durations"].get(test, 60.0))

    # Distinct tests first: the fastest case of each test function, then the other parametrized
    # cases (thirty cases of one validation test would otherwise fill the budget below).
    first_cases: dict[str, str] = {}
    for test in sorted(tests, key=duration):
        first_cases.setdefault(test.partition("[")[0], test)
    firsts = set(first_cases.values())
    ordered = sorted(tests, key=lambda test: (test not in firsts, duration(test)))
    # A mutant no test kills runs every test it selects: on a line most tests pass through, that is
    # the whole suite. A budget of measured test time bounds it (at least one test); a survivor may
    # still fall to a test past it, so the score is a lower bound.
    budget, chosen = float(os.environ.get("MUTATION_TEST_SECONDS", DEFAULT_TEST_SECONDS)), []
    for test in ordered:
        budget -= duration(test)
        if chosen and budget < 0:
            break
        chosen.append(test)
    return subprocess.run([*PYTEST, "-x", "--timeout=90", *chosen], cwd=ROOT, check=False).returncode


def skip_import_time_mutants(session: Path, module: str) -> None:
    """Mark SKIPPED the mutants of lines that run only when the module is imported (constants,
    decorators, signature defaults): no test's context holds them, so no test would be selected.
    They are reported apart, not as survivors (mutmut does not mutate such lines at all)."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    recorded = json.loads(MAP.read_text())
    original, lines = recorded["sources"][module], recorded["lines"][module]
    with use_db(str(session)) as db:
        for item in list(db.pending_work_items):
            spans = [range(m.start_pos[0], m.end_pos[0] + 1) for m in item.mutations]
            statements = _statements(original, {line for span in spans for line in span})
            mapped = [lines[str(line)] for line in statements if str(line) in lines]
            if mapped and not any(mapped):
                db.set_result(
                    item.job_id,
                    WorkResult(output="runs only at import", worker_outcome=WorkerOutcome.SKIPPED),
                )


def mutate(config: Path, workers: int, resume: bool) -> None:
    """cosmic-ray init (unless resuming), then exec on `workers` http workers, each in a copy of the tree."""
    session = ROOT / f".mutation-{config.stem}.sqlite"
    cosmic_ray = str(Path(sys.executable).parent / "cosmic-ray")
    settings = tomllib.loads(config.read_text())["cosmic-ray"]
    module = settings["module-path"]
    if not (resume and session.exists()):
        session.unlink(missing_ok=True)
        subprocess.run([cosmic_ray, "init", str(config), str(session)], cwd=ROOT, check=True)
        filter_operators = str(Path(sys.executable).parent / "cr-filter-operators")
        subprocess.run([filter_operators, str(session), str(config)], cwd=ROOT, check=True)
        skip_import_time_mutants(session, module)
    with tempfile.TemporaryDirectory(prefix="mutation-workers-") as scratch:
        ports = [_free_port() for _ in range(workers)]
        files = _tree_files()
        started = [_start_worker(files, Path(scratch) / f"worker-{port}", port) for port in ports]
        try:
            distributed = Path(scratch) / config.name
            distributed.write_text(_http_config(settings, ports))
            subprocess.run([cosmic_ray, "exec", str(distributed), str(session)], cwd=ROOT, check=True)
        finally:
            for worker in started:
                worker.terminate()
                worker.wait()
    summarize(session, module)


def summarize(session: Path, module: str) -> None:
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    with use_db(str(session)) as db:
        results = [result for _, result in db.results]
    ran = [r for r in results if r.worker_outcome == WorkerOutcome.NORMAL]
    killed = [r for r in ran if r.test_outcome == TestOutcome.KILLED]
    timeouts = sum(1 for r in killed if r.output == "timeout")
    skipped = collections.Counter(r.output for r in results if r.worker_outcome == WorkerOutcome.SKIPPED)
    print(
        f"{module}: {len(killed)} of {len(ran)} mutants killed ({len(killed) / max(len(ran), 1):.1%},"
        f" {timeouts} by a timeout); skipped: {dict(skipped)};"
        f" other outcomes: {len(results) - len(ran) - sum(skipped.values())}"
    )


def _tree_files() -> list[str]:
    """What a worker's copy of the tree holds: tracked and new files, and the map."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [name for name in [*listed.stdout.decode().split("\0"), MAP.name] if name and (ROOT / name).is_file()]


def _start_worker(files: list[str], tree: Path, port: int) -> subprocess.Popen[bytes]:
    """A worker mutates files in place: each gets its own copy."""
    for name in files:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    for environment in (".venv", ".venv-mlflow"):
        (tree / environment).symlink_to(ROOT / environment)
    worker = subprocess.Popen(
        [sys.executable, str(tree / "mutation" / Path(__file__).name), "worker", str(port)], cwd=tree
    )
    deadline = time.monotonic() + 60
    while not _listening(port):
        if worker.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the cosmic-ray worker on port {port} did not start")
        time.sleep(0.2)  # polling a child process's readiness
    return worker


def _http_config(settings: dict[str, object], ports: list[int]) -> str:
    urls = ", ".join(f'"http://127.0.0.1:{port}"' for port in ports)
    return "\n".join(
        [
            "[cosmic-ray]",
            f"module-path = {json.dumps(settings['module-path'])}",
            f"timeout = {settings['timeout']}",
            "excluded-modules = []",
            f"test-command = {json.dumps(settings['test-command'])}",
            "[cosmic-ray.distributor]",
            'name = "http"',
            "[cosmic-ray.distributor.http]",
            f"worker-urls = [{urls}]",
        ]
    )


def _changed_lines(original: str, mutated: str) -> set[int]:
    """The original's line numbers (1-based) that the mutation replaced, or next to an insertion."""
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(None, original.splitlines(), mutated.splitlines(), autojunk=False)
    for tag, start, end, _, _ in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(start + 1, max(end, start + 1) + 1))
    return changed


def _statements(source: str, lines: set[int]) -> set[int]:
    """The first lines of the statements these lines belong to (coverage records only those)."""
    parser = PythonParser(text=source)
    parser.parse_source()
    return {parser.first_line(line) for line in lines}


def _durations(junit: Path) -> dict[str, float]:
    """Each test's node id and time, from pytest's JUnit XML (classname is the module's dotted path)."""
    durations = {}
    for case in ET.parse(junit).iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py"
        durations[f"{path}::{case.get('name')}"] = float(case.get("time", "0"))
    return durations


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def serve_worker(port: int) -> None:
    """cosmic-ray's http worker (`cosmic-ray http-worker`), but on loopback only: that one binds
    every interface."""
    from aiohttp import web
    from cosmic_ray.distribution.http import handle_mutate_and_test

    app = web.Application()
    app.add_routes([web.post("/", handle_mutate_and_test)])
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def main() -> int:
    if sys.argv[1:2] == ["run"]:
        return run_covering(sys.argv[2])
    if sys.argv[1:2] == ["worker"]:
        serve_worker(int(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="cosmic-ray workers (test runs at once)")
    parser.add_argument(
        "--test-seconds", type=float, default=DEFAULT_TEST_SECONDS, help="each mutant's budget of (measured) test time"
    )
    parser.add_argument("--reuse-map", action="store_true", help="keep the map of an earlier run")
    parser.add_argument("--resume", action="store_true", help="run only the mutants an earlier session left pending")
    parser.add_argument("configs", nargs="+", type=Path, help="cosmic-ray configs (mutation/*.toml)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import start_mlflow  # the tests' own way to start one

    with tempfile.TemporaryDirectory(prefix="mutation-mlflow-") as data_dir:
        server = start_mlflow(Path(data_dir))
        os.environ["FEEDBACK_TESTS_MLFLOW_URL"] = server.url  # for every test run below
        os.environ["MUTATION_TEST_SECONDS"] = str(args.test_seconds)
        try:
            if not (args.reuse_map and MAP.exists()):
                build_map()
            sources = json.loads(MAP.read_text())["sources"]
            if stale := [module for module, source in sources.items() if (ROOT / module).read_text() != source]:
                sys.exit(f"{', '.join(stale)} changed since the map was made: run again without --reuse-map")
            for config in args.configs:
                mutate(config.resolve(), args.workers, args.resume)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
