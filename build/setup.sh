# Shared set-up of build/test.sh and build/run-example.sh (sourced, not run).
# Checks the .NET SDK and makes Fashion-MNIST available: Debian's dataset-fashion-mnist package where apt exists,
# otherwise the official download. TorchSharp's native fix for older libstdc++ happens inside the build
# (build/TorchSharpNative.targets), so there is nothing to do for it here.

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required: https://dotnet.microsoft.com/download (then run this command again)." >&2
  exit 1
fi

genmodels_has_fashion_mnist() {
  local dir
  for dir in "${FASHION_MNIST_DIR:-}" /usr/share/datasets/fashion-mnist "${HOME:-/root}/.local/share/GenModels/fashion-mnist"; do
    [ -n "$dir" ] && [ -f "$dir/train-images-idx3-ubyte.gz" ] && [ -f "$dir/t10k-labels-idx1-ubyte.gz" ] && return 0
  done
  return 1
}

genmodels_ensure_fashion_mnist() {
  genmodels_has_fashion_mnist && return 0
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
    echo "Installing Debian's dataset-fashion-mnist package..."
    if $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist; then
      genmodels_has_fashion_mnist && return 0
    fi
    echo "The Debian package was not available; downloading the official files instead."
  fi
  dotnet run -c Release --project examples/FashionMnistVae -- --download-only
}

# Benchmark peers only (never a dependency of the library or its tests): installs Debian packages for the Python peers
# when a module is missing, e.g. `genmodels_install_peers torch python3-torch libopenblas0-pthread`. Without apt it says
# what is missing; the benchmarks then skip the peer columns with a message.
genmodels_install_peers() {
  local module="$1"; shift
  /usr/bin/python3 -c "import $module" 2>/dev/null && return 0
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null \
      || echo "Could not install $*; the benchmarks will skip those peer columns."
  else
    echo "No apt-get: the peer columns need python3 with $module ($*)."
  fi
}
