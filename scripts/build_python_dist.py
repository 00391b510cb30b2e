"""Build the Python client's sdist and wheel (`make dist`), as `python -m build` would.

    python scripts/build_python_dist.py --project clients/python --out dist/python

Copies the project's files (what git tracks, or would: untracked files that are not ignored) to a
temporary folder, so nothing stale in build/ reaches the wheel, builds the sdist there with the
project's PEP 517 backend (setuptools, from this environment), then builds the wheel from the
unpacked sdist: a file missing from the sdist fails here, not on a user's machine.
"""

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

BACKEND = "setuptools.build_meta"


def hook(project: Path, name: str, out: Path) -> str:
    """Run one PEP 517 build hook of `project` in a child process; returns the file it wrote."""
    code = f"import sys, {BACKEND} as backend; print(backend.{name}(sys.argv[1]))"
    result = subprocess.run(
        [sys.executable, "-c", code, str(out)], cwd=project, check=True, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "."],
        cwd=args.project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp, "project")
        for name in filter(None, listed):
            source = args.project / name
            if source.is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy / name)
        sdist = hook(copy, "build_sdist", out)
        unpacked = Path(tmp, "sdist")
        with tarfile.open(out / sdist) as archive:
            archive.extractall(unpacked, filter="data")
        (root,) = unpacked.iterdir()
        wheel = hook(root, "build_wheel", out)
    print(f"{out / sdist}\n{out / wheel}")


if __name__ == "__main__":
    main()
