#!/usr/bin/env bash
# Execute notebooks/outlet_framing.ipynb headless, top to bottom, in a private
# virtualenv (nothing is installed or registered outside it). The executed copy
# is written to a temporary file; the committed notebook is left as it is.
# Run from the repository root: bash .ci/notebook.sh
set -euo pipefail
cd "$(dirname "$0")/.."

notebook=notebooks/outlet_framing.ipynb
venv="${TMPDIR:-/tmp}/stance-notebook-venv"

# A venv left half-made by an interrupted run is rebuilt.
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r .ci/requirements-notebook.txt

# The notebook builds stance itself if needed, but do it here so that a build
# failure shows up as one, not as a cell error.
if [ -z "${STANCE_BIN:-}" ] && [ ! -x target/release/stance ]; then
  echo "== cargo build --release (target/release/stance is missing)"
  cargo build --release
fi

executed="$(mktemp --suffix=.ipynb "${TMPDIR:-/tmp}/outlet_framing.executed.XXXXXX")"
export MPLBACKEND=Agg
# Kernel specs are looked up in the venv first, so `python3` is the venv's
# ipykernel even if another python3 kernel is registered for this user.
export JUPYTER_PATH="$venv/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export JUPYTER_PREFER_ENV_PATH=1
export PYDEVD_DISABLE_FILE_VALIDATION=1

echo "== executing $notebook"
if "$venv/bin/python" - "$notebook" "$executed" "$venv" <<'PY'
import os
import re
import sys
import time

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, target, venv = sys.argv[1:4]

# The kernel must run this venv's Python (jupyter_client runs a spec's `python`
# as sys.executable, the interpreter running this script).
spec = KernelSpecManager().get_kernel_spec("python3")
argv = [sys.executable if part in ("python", "python3") else part for part in spec.argv]
if not os.path.realpath(os.path.dirname(argv[0])).startswith(os.path.realpath(venv) + os.sep):
    sys.exit(f"kernel python3 would run {argv[0]}, not the venv's Python under {venv}")
print(f"kernel: {' '.join(argv[:3])}")

nb = nbformat.read(source, as_version=4)
stale = [i for i, cell in enumerate(nb.cells, 1)
         if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]
if stale:
    print(f"note: the committed notebook has outputs or execution counts in cells {stale}; clear them before committing")

client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": "notebooks"}})
started = time.monotonic()
try:
    client.execute()
except CellExecutionError as error:
    nbformat.write(nb, target)
    print(re.sub(r"\x1b\[[0-9;]*m", "", str(error)), file=sys.stderr)  # without terminal colors
    print(f"the partly executed notebook is in {target}", file=sys.stderr)
    sys.exit(1)
nbformat.write(nb, target)

code = [cell for cell in nb.cells if cell.cell_type == "code"]
images = sum(1 for cell in code for out in cell.get("outputs", []) if "image/png" in out.get("data", {}))
errors = [out for cell in code for out in cell.get("outputs", []) if out.get("output_type") == "error"]
if errors:
    sys.exit(f"{len(errors)} error output(s) in the executed notebook {target}")
if images == 0:
    sys.exit(f"the executed notebook {target} shows no chart")
print(f"executed {len(code)} code cells in {time.monotonic() - started:.1f}s; {images} chart(s); executed copy: {target}")
PY
then
  echo "notebook: 1 passed, 0 failed"
else
  echo "notebook: 0 passed, 1 failed"
  exit 1
fi
