#!/usr/bin/env bash
# Installs the npm packages of tests/node (the official OpenAI client, `openai`,
# pinned by tests/node/package-lock.json) into DEST/node_modules, for
# tests/integration/openai_client_test.cc. ctest runs it as the fixture
# `openai_client_npm_install`; by hand:
#   scripts/install-node-openai.sh build/node
# Nothing is installed globally. A DEST already installed from the same
# package-lock.json is left as it is (no network). Without node or npm it
# installs Debian's nodejs and npm as root, and otherwise says how to.
# Exits non-zero, saying why, when the packages cannot be installed (e.g. the
# npm registry cannot be reached): the test must not pass without them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/../tests/node"
dest="${1:?usage: install-node-openai.sh DEST   (e.g. build/node)}"

fail() {
  echo "install-node-openai: $*" >&2
  exit 1
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    fail "node and npm are needed for the OpenAI client test; install them with:
  sudo apt-get update && sudo apt-get install -y --no-install-recommends nodejs npm"
  fi
  echo "install-node-openai: installing Debian's nodejs and npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed: Debian's package registry cannot be reached"
  apt-get install -y --no-install-recommends nodejs npm || fail "apt-get install nodejs npm failed"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  fail "node $(node --version) is too old: the openai package needs node 18 or later"
fi

mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
stamp="$dest/.installed-package-lock.json"

# One install at a time into DEST (two builds or ctest runs at once).
exec 9>"$dest/.install.lock"
flock 9

if [ -f "$stamp" ] && cmp -s "$stamp" "$src/package-lock.json" && [ -f "$dest/node_modules/openai/package.json" ]; then
  echo "install-node-openai: $dest/node_modules is up to date with tests/node/package-lock.json"
  exit 0
fi

rm -f "$stamp"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
registry="$(npm config get registry 2>/dev/null || echo 'https://registry.npmjs.org/')"
echo "install-node-openai: npm ci into $dest (node $(node --version), npm $(npm --version), registry $registry)"
if ! npm ci --prefix "$dest" --ignore-scripts --no-audit --no-fund --fetch-retries=2 --fetch-timeout=60000; then
  fail "npm ci failed: the npm packages of tests/node (openai $(node -p "require('$src/package.json').dependencies.openai")) could not be installed into $dest.
Is the npm registry ($registry) reachable from this machine? The OpenAI client test cannot run without them."
fi

version="$(NODE_PATH="$dest/node_modules" node -e 'process.stdout.write(require("openai/version").VERSION)')" ||
  fail "npm ci finished but node cannot load the 'openai' package from $dest/node_modules"
cp "$src/package-lock.json" "$stamp"
echo "install-node-openai: openai $version installed in $dest/node_modules"
