#!/usr/bin/env bash
# Dependency-audit benchmark: `stripeguard scan --analyzers deps` against
# osv-scanner v2.6 in offline mode, same advisory data (the shared PyPA tree
# as an osv.dev-style all.zip; for stripeguard also that zip installed as its
# cache index by `db update --from`, and the snapshot built into the binary,
# which holds the same records), same inputs (a 300-package pinned lock file
# and a 300-distribution site-packages). Reports median wall and CPU times
# (commands interleaved round by round) and whether stripeguard's findings
# are the same with every kind of data and a superset of osv-scanner's.
# Everything goes to bench/work/deps/ (gitignored).
#
#   bench/deps/run.sh            # N=7 rounds (each tool once per round)
#   N=1 bench/deps/run.sh        # quick check
#   OSV_SCANNER=/path/to/osv-scanner bench/deps/run.sh
#
# Exit status: 0 when the goals hold (>= 10x faster wall time with the cache
# index and with the built-in snapshot, the same findings with every kind of
# data, a superset of osv-scanner's), 1 when they do not, 2 on errors.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-7}
WORK=bench/work/deps
mkdir -p "$WORK/bin"

if [ -z "${OSV_SCANNER:-}" ]; then
	if [ -x "$WORK/bin/osv-scanner" ]; then
		OSV_SCANNER=$WORK/bin/osv-scanner
	else
		# osv-scanner v2.6.0's go.mod requires Go 1.27.
		echo "== installing osv-scanner v2.6.0 (GOTOOLCHAIN=go1.27.3)"
		if GOTOOLCHAIN=go1.27.3 GOBIN="$PWD/$WORK/bin" go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.6.0; then
			OSV_SCANNER=$WORK/bin/osv-scanner
		else
			echo "run.sh: go install of osv-scanner failed; timing stripeguard only" >&2
			OSV_SCANNER=
		fi
	fi
fi

go build -o "$WORK/bench-deps" ./bench/deps
go build -o "$WORK/stripeguard" ./cmd/stripeguard
args=(-work "$WORK" -n "$N" -stripeguard "$WORK/stripeguard")
if [ -n "$OSV_SCANNER" ]; then
	"$OSV_SCANNER" --version | sed -n 1p  # sed reads to the end: no SIGPIPE under pipefail
	args+=(-osv-scanner "$OSV_SCANNER")
fi
exec "$WORK/bench-deps" "${args[@]}"
