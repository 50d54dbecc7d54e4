#!/usr/bin/env bash
# The tabular outlier benchmark: installs the scikit-learn peers (Debian's python3-sklearn; benchmark only, never a
# dependency of the library or its tests), builds in Release and runs the `tabular-anomaly` suite on one libtorch thread
# (PLATFORM.md §7: busy-waiting intra-op threads slow small networks down badly when another process shares the cores).
# Arguments are passed on, e.g. --sets glass,vowel --splits 3 --no-rare --data DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
source build/setup.sh
genmodels_install_peers sklearn python3-sklearn
dotnet build test/GenModels.Benchmarks -c Release -nologo -v quiet
OMP_NUM_THREADS=1 dotnet run -c Release --no-build --project test/GenModels.Benchmarks -- tabular-anomaly "$@"
