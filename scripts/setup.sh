#!/usr/bin/env bash
# Creates the virtual environment and installs robustsim with pinned dependencies.
# Installs missing Debian libraries first when run as root.
set -euo pipefail
venv=${1:-.venv}
python=${PYTHON:-python3.11}
here=$(cd "$(dirname "$0")/.." && pwd)

# Shared libraries that the bpy wheel loads (X11 client libs, even headless); the shared LLVM that
# Mitsuba's CPU autodiff backend (llvm_ad_rgb) JIT-compiles with (>= 15; 14 crashes); Chromium and
# its driver for the dashboard's browser tests.
debian_packages=(libx11-6 libxrender1 libxxf86vm1 libxfixes3 libxi6 libxkbcommon0 libsm6 libgl1 libgomp1
                 libllvm19 chromium chromium-driver)
if [ "$(id -u)" = 0 ] && command -v dpkg-query >/dev/null; then
    missing=()
    for p in "${debian_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing Debian packages: ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
fi

command -v "$python" >/dev/null || python=python3
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), "robustsim needs Python 3.11 (bpy 5.0.1)"'
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" --upgrade "pip>=24"
# torch first, from the local CPU wheel, so nothing pulls the multi-GB CUDA build.
"${pip[@]}" -c "$here/constraints.txt" torch
"${pip[@]}" -c "$here/constraints.txt" -e "$here[dev]"
