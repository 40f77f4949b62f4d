#!/bin/sh
# bench/sandbox/run.sh — HTTP requests/s and TCP bulk throughput of
# bench/net/server as a plain host process and in Gobi's sandbox over a tap
# device (root), with the rootless user-mode network beside them. Flags go
# to `bench sandbox` (-runs, -d, -c, -bulk); see docs/bench.md.
set -eu
cd "$(dirname "$0")/../.."
exec go run ./bench/cmd/bench sandbox "$@"
