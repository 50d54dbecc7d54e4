#!/usr/bin/env bash
# The main example: set-up (SDK check, Fashion-MNIST), then train a VAE on Fashion-MNIST with a progress bar, print the
# test ELBO and write the test set's latent means to out/fashion-mnist-vae/test-latent-means.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
source build/setup.sh
genmodels_ensure_fashion_mnist
dotnet run -c Release --project examples/FashionMnistVae -- "$@"
