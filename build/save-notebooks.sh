#!/usr/bin/env bash
# Runs the notebooks under examples/notebooks (or the ones named) with full settings, through the same runner as the
# tests (.NET Interactive's C# kernel), and saves each cell's outputs into the notebook, so that GitHub shows them.
# The library comes from packages packed from this build, with a version of their own, removed from the NuGet cache
# afterwards. GENMODELS_NOTEBOOK_QUICK=1 runs the small settings the tests use; GENMODELS_NO_BUILD=1 skips the build;
# GENMODELS_NOTEBOOK_THREADS sets libtorch's thread count (default 1 here: all cores are slower on a shared machine).
#
#   bash build/save-notebooks.sh [examples/notebooks/vae.ipynb ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source build/setup.sh
genmodels_ensure_fashion_mnist
[[ "${GENMODELS_NO_BUILD:-}" == 1 ]] || dotnet build GenModels.MLNet.sln -c Release
export GENMODELS_NOTEBOOK_THREADS="${GENMODELS_NOTEBOOK_THREADS:-1}"
# The notebooks' folder has a nuget.config naming artifacts/packages; this version goes there and is removed afterwards.
version="0.1.0-notebooks.$(date -u +%Y%m%d%H%M%S)"
trap 'rm -rf artifacts/packages/GenModels.*."$version".nupkg "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/genmodels.*/"$version"' EXIT
dotnet pack GenModels.MLNet.sln -c Release --no-build "-p:PackageVersion=$version" -o artifacts/packages > /dev/null
notebooks=("$@")
[[ ${#notebooks[@]} -gt 0 ]] || notebooks=(examples/notebooks/*.ipynb)
for notebook in "${notebooks[@]}"; do
  GENMODELS_NOTEBOOK_VERSION="$version" dotnet test/GenModels.NotebookRunner/bin/Release/net10.0/GenModels.NotebookRunner.dll "$notebook" --save
done
