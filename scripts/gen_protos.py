"""Generate the Python stubs in clients/python from protos/, or check they are current.

The .proto files are the single source of truth; the generated modules are committed so
that clients can import them, and are never edited by hand. The same goes for the client
package's copy of clients/service_config.json (the channel's timeouts and retry policy).

    python scripts/gen_protos.py          # regenerate stubs, copy the service config
    python scripts/gen_protos.py --check  # exit 1 if the stubs or the copy drift
"""

import argparse
import filecmp
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
OUT_ROOT = ROOT / "clients" / "python"
# protos/genaifeedback/v1 -> clients/python/genaifeedback/v1. `genaifeedback` itself is a namespace
# package (no __init__.py), shared with the client (`genaifeedback.client`) and the service.
GENERATED_PACKAGE = Path("genaifeedback", "v1")
CONTRACT = Path("genaifeedback")


DESCRIPTOR_SET = "descriptors.binpb"
# Shipped inside the client package (package-data), which applies it to its channels.
SERVICE_CONFIG = ROOT / "clients" / "service_config.json"
SERVICE_CONFIG_COPY = OUT_ROOT / "genaifeedback" / "client" / "service_config.json"


def generate(out_dir: Path) -> None:
    (out_dir / GENERATED_PACKAGE).mkdir(parents=True, exist_ok=True)
    # Only the contract's own files: protos/google/rpc (vendored, shipped with the contract) is
    # googleapis-common-protos' to generate, which the package depends on.
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / CONTRACT).rglob("*.proto"))
    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        # With comments and imports: the service's reflection serves this, so that grpcurl describe
        # shows the .proto comments; ghz and other tools can load it with --protoset.
        f"--descriptor_set_out={out_dir / GENERATED_PACKAGE / DESCRIPTOR_SET}",
        "--include_source_info",
        "--include_imports",
        *protos,
    ]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")
    (out_dir / GENERATED_PACKAGE / "__init__.py").touch()


def drift(expected: Path, actual: Path) -> list[str]:
    """Files that differ between two generated trees, as relative paths."""
    names = {p.relative_to(expected) for p in expected.rglob("*") if p.is_file()}
    names |= {p.relative_to(actual) for p in actual.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    return sorted(
        str(n)
        for n in names
        if not (expected / n).is_file()
        or not (actual / n).is_file()
        or not filecmp.cmp(expected / n, actual / n, shallow=False)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed stubs are stale")
    check = parser.parse_args().check
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        committed = OUT_ROOT / GENERATED_PACKAGE
        if check:
            stale = drift(fresh / GENERATED_PACKAGE, committed)
            if not SERVICE_CONFIG_COPY.is_file() or not filecmp.cmp(SERVICE_CONFIG, SERVICE_CONFIG_COPY, shallow=False):
                stale.append(str(SERVICE_CONFIG_COPY.relative_to(ROOT)))
            if stale:
                sys.exit(
                    "generated files drift from protos/ or clients/service_config.json (run `make proto`): "
                    + ", ".join(stale)
                )
            print("generated stubs match protos/, the service config copy matches")
            return
        shutil.rmtree(committed, ignore_errors=True)
        shutil.copytree(fresh / GENERATED_PACKAGE, committed)
        shutil.copyfile(SERVICE_CONFIG, SERVICE_CONFIG_COPY)
        print(f"generated {committed.relative_to(ROOT)}, copied {SERVICE_CONFIG_COPY.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
