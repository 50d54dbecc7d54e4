#!/usr/bin/env bash
# Runs a benchmark suite with its Python peers available: installs Debian's python3-torch with libopenblas0-pthread
# (Debian's default reference BLAS would make PyTorch about 40 times slower) and python3-sklearn where missing, builds
# in Release and runs the suite. The peers are benchmark-only: never a dependency of the library or its tests.
#   bash build/bench-peers.sh foundation
#   bash build/bench-peers.sh single-row --threads 1
set -euo pipefail
cd "$(dirname "$0")/.."
source build/setup.sh
genmodels_ensure_fashion_mnist
genmodels_install_peers torch python3-torch libopenblas0-pthread
genmodels_install_peers sklearn python3-sklearn
dotnet build test/GenModels.Benchmarks -c Release -nologo -v quiet
dotnet run -c Release --no-build --project test/GenModels.Benchmarks -- "$@"
