#!/bin/sh
# bench/net/run.sh — HTTP requests/s and TCP bulk throughput of
# bench/net/server in a Gobi unikernel and in a minimal Linux guest, side by
# side on the same QEMU (TCG) with user networking. Flags go to `bench net`
# (-runs, -d, -c, -bulk, -m …); see docs/bench.md.
set -eu
cd "$(dirname "$0")/../.."
exec go run ./bench/cmd/bench net "$@"
