#!/usr/bin/env bash
# Installs the Debian packages the test suite uses (skipped when they are all present already).
#   dataset-fashion-mnist  Fashion-MNIST IDX files in /usr/share/datasets/fashion-mnist
#   libdnnl-dev g++ make   oneDNN and a compiler: npm ci builds the native backend's convolutions (native/)
#   chromium               the headless browser the studio's end-to-end test drives (playwright-core, /usr/bin/chromium)
#   openmpi-bin libopenmpi-dev  Open MPI: npm ci builds the MPI collectives (native/mpi/), mpirun runs data-parallel
#                          training (gantry train --processes N)
set -euo pipefail
packages=(dataset-fashion-mnist libdnnl-dev g++ make chromium openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
