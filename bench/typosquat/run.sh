#!/usr/bin/env bash
# Typosquat-check measurement, stripeguard beside GuardDog's rule
# (re-implemented in guarddog.go) on the same inputs: false positives over
# the 15,000 most-downloaded PyPI names (as dependencies, and leave-one-out)
# and over Debian's Python package names, recall over constructed squats,
# time per name. Prints every stripeguard flag on the Debian list.
#
#   bench/typosquat/run.sh       # needs ../shared/data/top-pypi-packages
#   bench/typosquat/run.sh -v    # also list the leave-one-out flags
set -euo pipefail
cd "$(dirname "$0")/../.."
top=../shared/data/top-pypi-packages/top-pypi-packages.json
[ -f "$top" ] || top=../../shared/data/top-pypi-packages/top-pypi-packages.json
exec go run ./bench/typosquat -top "$top" "$@"
