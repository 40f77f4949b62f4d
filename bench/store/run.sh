#!/bin/sh
# run.sh runs the store benchmark side by side — Gobi's store, go-git used
# directly, and git fast-import — and prints the tables with ratios that
# docs/store-bench.md records. Extra arguments go to the benchmark program
# (for example -commits 2000 for a quicker run; -h lists them).
set -eu
cd "$(dirname "$0")/../.."
command -v git >/dev/null || { echo "run.sh: git not found: apt-get install git" >&2; exit 1; }
bin=$(mktemp -d)/store-bench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/store
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(go version) $(git --version); $(nproc) cores"
"$bin" "$@"
