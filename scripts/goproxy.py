"""Publish the Go client as a module version in a file-based Go module proxy (`make dist`).

    python scripts/goproxy.py --module-dir clients/go --version v0.1.0 --out dist/goproxy

writes the GOPROXY protocol's files (https://go.dev/ref/mod#goproxy-protocol) for the module that
clients/go/go.mod names:

    <escaped module path>/@v/list           the versions, one a line
    <escaped module path>/@v/v0.1.0.info    {"Version": "v0.1.0", "Time": ...}
    <escaped module path>/@v/v0.1.0.mod     the go.mod
    <escaped module path>/@v/v0.1.0.zip     the module's files under <module>@v0.1.0/

so that `GOPROXY=file:///abs/path/dist/goproxy go get <module>@v0.1.0` works, and the folder can
be copied as is to any static web server or imported into a company's proxy (Athens, Artifactory).
The zip holds the files git tracks (or would: untracked files that are not ignored) under the
module folder, as `golang.org/x/mod/zip` lays them out; the go command checks its limits and
layout when it extracts it.
"""

import argparse
import json
import re
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

# A fixed timestamp for every zip entry: the same files make the same zip, byte for byte.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def module_path(go_mod: Path) -> str:
    match = re.search(r"^module\s+(\S+)", go_mod.read_text(), re.MULTILINE)
    if not match:
        raise SystemExit(f"{go_mod}: no module line")
    return match.group(1).strip('"')


def escape(path: str) -> str:
    """The proxy protocol's case encoding: each upper-case letter becomes '!' and its lower case."""
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)


def module_files(module_dir: Path) -> list[Path]:
    """The module's files, relative to module_dir: what git tracks or would track, minus nested modules."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "."],
        cwd=module_dir,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    files = sorted(Path(name) for name in listed if name and (module_dir / name).is_file())
    nested = {f.parent for f in files if f.name == "go.mod" and f.parent != Path(".")}
    return [f for f in files if not any(parent in nested for parent in f.parents) and "vendor" not in f.parts[:-1]]


def commit_time(module_dir: Path) -> str:
    stamp = subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=module_dir, check=True, capture_output=True, text=True
    ).stdout.strip()
    when = datetime.fromtimestamp(int(stamp), UTC) if stamp else datetime.now(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module-dir", type=Path, required=True)
    parser.add_argument("--version", required=True, help="a semantic version with its v, e.g. v0.1.0")
    parser.add_argument("--out", type=Path, required=True, help="the proxy's root folder")
    args = parser.parse_args()
    if not re.fullmatch(r"v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", args.version):
        raise SystemExit(f"not a semantic version: {args.version}")
    module_dir = args.module_dir.resolve()
    module = module_path(module_dir / "go.mod")
    if re.search(r"/v\d+$", module) or not args.version.startswith(("v0.", "v1.")):
        raise SystemExit("major versions above v1 need a /vN module path; not handled here")

    versions = args.out / escape(module) / "@v"
    versions.mkdir(parents=True, exist_ok=True)
    prefix = f"{module}@{args.version}/"
    with zipfile.ZipFile(versions / f"{args.version}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for name in module_files(module_dir):
            entry = zipfile.ZipInfo(prefix + name.as_posix(), ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, (module_dir / name).read_bytes())
    (versions / f"{args.version}.mod").write_bytes((module_dir / "go.mod").read_bytes())
    info = {"Version": args.version, "Time": commit_time(module_dir)}
    (versions / f"{args.version}.info").write_text(json.dumps(info) + "\n")
    listed = set((versions / "list").read_text().split()) if (versions / "list").exists() else set()
    (versions / "list").write_text("".join(f"{v}\n" for v in sorted(listed | {args.version})))
    print(f"{module}@{args.version} -> {versions}")


if __name__ == "__main__":
    main()
