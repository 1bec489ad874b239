#!/usr/bin/env bash
# Installs the Debian 12 packages Kaizen needs to build, test and run.
# As root it runs apt-get; otherwise it prints the exact command and stops.
set -euo pipefail

packages=(
  g++ make cmake pkg-config
  libzmq3-dev cppzmq-dev
  libprotobuf-dev protobuf-compiler
  libyaml-cpp-dev
  libcurl4-openssl-dev
  libspdlog-dev
  catch2
  libsqlite3-dev
  nlohmann-json3-dev
  libcli11-dev
  libcpp-httplib-dev
  tmux                # tests: `kaizen feedback` is driven in a real terminal
  iproute2            # tests: network namespaces stand in for other hosts (tests/multihost)
  chromium            # tests: the HTML report is opened headless and screenshotted
  slurm-wlm munge     # tests: a single-node Slurm (scripts/start-slurm.sh) for the slurm-labeled tests
  bubblewrap python3  # created tools run in a bwrap sandbox under Debian's /usr/bin/python3 (agents/tools/sandbox.h)
  libseccomp-dev      # the sandbox's seccomp filter (no sockets, no io_uring) is compiled with libseccomp for bwrap --seccomp
)
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)  # tests: the npm `openai` client (tests/node); a node with its own npm is kept

# `install-deps.sh fuzz`: also clang and libFuzzer, for `make fuzz`.
if [ "${1:-}" = "fuzz" ]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Kaizen needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
