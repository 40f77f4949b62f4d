#!/bin/sh
# bench/boot/run.sh — boot time, image size and memory of examples/hello as a
# Gobi unikernel and as /init of a minimal Linux guest, side by side on the
# same QEMU (TCG). Flags go to `bench boot` (-n boots, -m memory, -pkg …);
# see docs/bench.md.
set -eu
cd "$(dirname "$0")/../.."
exec go run ./bench/cmd/bench boot "$@"
