#!/usr/bin/env bash
# The tabular outlier benchmark: installs the scikit-learn peers (Debian's python3-sklearn; benchmark only, never a
# dependency of the library or its tests), builds in Release and runs the `tabular-anomaly` suite on one libtorch thread
# (PLATFORM.md §7: busy-waiting intra-op threads slow small networks down badly when another process shares the cores).
# Arguments are passed on, e.g. --sets glass,vowel --splits 3 --no-rare --data DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
source build/setup.sh
if ! /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
    if command -v apt-get >/dev/null; then
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-sklearn >/dev/null || echo "Could not install python3-sklearn; the peer columns will be skipped."
    else
        echo "No apt-get: the peer columns need python3 with scikit-learn."
    fi
fi
dotnet build test/GenModels.Benchmarks -c Release -nologo -v quiet
OMP_NUM_THREADS=1 dotnet run -c Release --no-build --project test/GenModels.Benchmarks -- tabular-anomaly "$@"
