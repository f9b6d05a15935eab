#!/usr/bin/env bash
# Installs the packaged data sets the data layer and the transfer benchmarks read (see docs/data.md):
#   dataset-fashion-mnist -> /usr/share/datasets/fashion-mnist/*.gz (IDX)
#   python3-sklearn       -> /usr/lib/python3/dist-packages/sklearn/datasets/data/*.csv
# Idempotent: does nothing when both are installed; runs `apt-get update` at most once.
# Needs root (or sudo) and Debian/Ubuntu. spam-assassin is an npm package, not installed here.
set -euo pipefail

packages=(dataset-fashion-mnist python3-sklearn)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-bench-data: already installed: ${packages[*]}"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-bench-data: apt-get not found; install ${missing[*]} with your package manager" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "install-bench-data: run as root (or install sudo) to install ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-bench-data: installing ${missing[*]}"
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-bench-data: done"
