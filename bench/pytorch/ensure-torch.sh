#!/usr/bin/env bash
# Makes sure the PyTorch CPU reference can run: Debian's /usr/bin/python3 with `torch` and `numpy`.
#
# The reference always runs under /usr/bin/python3 (a pyenv or venv python3 on PATH usually has no torch).
# When torch is missing and we run as root, this installs Debian's `python3-torch` (which pulls in
# `python3-numpy`) with apt-get, printing each command first. Otherwise it fails with the command to run.
#
# Usage: bash bench/pytorch/ensure-torch.sh        (exit 0 when torch imports, prints its version)
set -euo pipefail

PYTHON=/usr/bin/python3

probe() {
  "$PYTHON" -c 'import torch, numpy; print(torch.__version__)' 2>/dev/null
}

if [[ ! -x "$PYTHON" ]]; then
  echo "ensure-torch: $PYTHON not found. The PyTorch reference needs Debian's python3." >&2
  echo "Fix: as root, run: apt-get update && apt-get install -y --no-install-recommends python3 python3-torch" >&2
  exit 1
fi

if version=$(probe); then
  echo "ensure-torch: torch $version already importable from $PYTHON"
  exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
  echo "ensure-torch: 'import torch' failed under $PYTHON and this script is not running as root," >&2
  echo "so it cannot install Debian's python3-torch." >&2
  echo "Fix: run as root: apt-get update && apt-get install -y --no-install-recommends python3-torch" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-torch: 'import torch' failed under $PYTHON and apt-get is not available (not a Debian system?)." >&2
  echo "Fix: install PyTorch (CPU) and numpy for $PYTHON by hand." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-torch: torch missing under $PYTHON; installing Debian's python3-torch (this takes a few minutes)"
echo "+ apt-get update"
apt-get update
echo "+ apt-get install -y --no-install-recommends python3-torch python3-numpy"
apt-get install -y --no-install-recommends python3-torch python3-numpy

if version=$(probe); then
  echo "ensure-torch: installed torch $version for $PYTHON"
  exit 0
fi
echo "ensure-torch: apt-get finished but 'import torch' still fails under $PYTHON:" >&2
"$PYTHON" -c 'import torch, numpy' >&2 || true
exit 1
