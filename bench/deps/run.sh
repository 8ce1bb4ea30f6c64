#!/usr/bin/env bash
# Dependency-audit benchmark: `stripeguard scan --analyzers deps` against
# osv-scanner v2.6 in offline mode, same advisory data (the shared PyPA tree
# as an osv.dev-style all.zip), same inputs (a 300-package pinned lock file
# and a 300-distribution site-packages). Reports median wall and CPU times
# and whether stripeguard's findings are a superset of osv-scanner's.
# Everything goes to bench/work/deps/ (gitignored).
#
#   bench/deps/run.sh            # N=5 runs per tool
#   N=1 bench/deps/run.sh        # quick check
#   OSV_SCANNER=/path/to/osv-scanner bench/deps/run.sh
#
# Exit status: 0 when the goals hold (>= 5x faster wall time, findings a
# superset of osv-scanner's), 1 when they do not, 2 on errors.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-5}
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
	"$OSV_SCANNER" --version | head -1
	args+=(-osv-scanner "$OSV_SCANNER")
fi
exec "$WORK/bench-deps" "${args[@]}"
