#!/usr/bin/env bash
# The test command: set-up (SDK check, Fashion-MNIST), restore, build everything in Release, run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source build/setup.sh
genmodels_ensure_fashion_mnist
dotnet test GenModels.MLNet.sln -c Release "$@"
