#!/usr/bin/env bash
# Key-detection benchmark: stripeguard against gitleaks (default config and
# gitleaks restricted to its own Stripe rule) on a generated 300+ MB tree with
# planted keys. See bench/README.md. Everything it writes goes to
# bench/work/keys/ (gitignored).
#
#   bench/keys/run.sh                 # N=5 runs each, alternating
#   N=1 SIZE_MB=40 bench/keys/run.sh  # quick check
#   REGEN=1 bench/keys/run.sh         # regenerate the tree
#
# Exit status: 0 when stripeguard meets the goals (100% recall, no
# placeholder above info, peak RSS <= 200 MB, >= 3x faster than
# gitleaks-stripe), 1 when it does not, 2 on errors.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-5}
SIZE_MB=${SIZE_MB:-320}
SEED=${SEED:-20261129}
WORK=bench/work/keys
TREE=$WORK/tree
SG=bench/work/stripeguard
GITLEAKS_VERSION=v8.30.1

mkdir -p "$WORK"

echo "== build stripeguard -> $SG"
go build -o "$SG" ./cmd/stripeguard
go build -o "$WORK/eval" ./bench/keys/eval

echo "== gitleaks"
if [ -n "${GITLEAKS:-}" ]; then
	:
elif [ -x "$(go env GOPATH)/bin/gitleaks" ]; then
	GITLEAKS="$(go env GOPATH)/bin/gitleaks"
else
	echo "installing gitleaks $GITLEAKS_VERSION with go install"
	if ! go install -tags gore2regex github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION; then
		echo "run.sh: go install of gitleaks failed (module proxy unreachable or refused?)" >&2
		exit 2
	fi
	GITLEAKS="$(go env GOPATH)/bin/gitleaks"
fi
echo "gitleaks: $GITLEAKS ($(go version -m "$GITLEAKS" 2>/dev/null | awk '$1=="mod"{print $3; exit}'))"

if [ ! -x /usr/bin/time ]; then
	echo "== installing GNU time"
	apt-get update -qq && apt-get install -y -qq time >/dev/null
fi

STAMP="seed=$SEED size=$SIZE_MB gen=$(sha1sum bench/keys/gen/main.go internal/source/expand/pycgen/pycgen.go | sha1sum | cut -c1-12)"
if [ -n "${REGEN:-}" ] || [ ! -f "$WORK/truth.json" ] || [ "$(cat "$WORK/stamp" 2>/dev/null)" != "$STAMP" ]; then
	echo "== generate tree ($STAMP)"
	rm -f "$WORK/stamp"
	go run ./bench/keys/gen -out "$TREE" -truth "$WORK/truth.json" -size "$SIZE_MB" -seed "$SEED"
	# The tree lives under bench/work/, which this repository's .gitignore
	# covers; stripeguard honours .gitignore, so make the tree a repository
	# of its own, like a fresh checkout with nothing committed yet.
	git init -q "$TREE"
	echo "$STAMP" >"$WORK/stamp"
else
	echo "== reuse tree ($STAMP)"
fi
du -sh "$TREE" | awk '{print "tree size on disk: " $1}'

# Warm the page cache so that the first tool does not pay for disk reads.
find "$TREE" -type f -not -path '*/.git/*' -exec cat {} + >/dev/null

rm -f "$WORK"/sg.*.json "$WORK"/sg.*.time "$WORK"/sgk.*.json "$WORK"/sgk.*.time "$WORK"/gld.*.json "$WORK"/gld.*.time "$WORK"/gls.*.json "$WORK"/gls.*.time

# timed LABEL OKCODES CMD... runs CMD under /usr/bin/time -v.
timed() {
	local out=$1 ok=$2
	shift 2
	local rc=0
	/usr/bin/time -v -o "$out" "$@" || rc=$?
	if [[ " $ok " != *" $rc "* ]]; then
		echo "run.sh: '$*' exited $rc" >&2
		exit 2
	fi
}

for i in $(seq 1 "$N"); do
	echo "== run $i/$N"
	timed "$WORK/sg.$i.time" "0 1" sh -c "exec $SG scan --format json $TREE >$WORK/sg.$i.json 2>$WORK/sg.$i.err"
	timed "$WORK/sgk.$i.time" "0 1" sh -c "exec $SG scan --format json --analyzers secrets $TREE >$WORK/sgk.$i.json 2>$WORK/sgk.$i.err"
	timed "$WORK/gls.$i.time" "0" "$GITLEAKS" detect --no-git --no-banner --log-level error --exit-code 0 \
		--config bench/keys/gitleaks-stripe.toml \
		--source "$TREE" --report-format json --report-path "$WORK/gls.$i.json"
	timed "$WORK/gld.$i.time" "0" "$GITLEAKS" detect --no-git --no-banner --log-level error --exit-code 0 \
		--source "$TREE" --report-format json --report-path "$WORK/gld.$i.json"
	for t in sg sgk gls gld; do
		awk -v t=$t '/Elapsed/{w=$NF} /Maximum resident/{r=$NF} END{printf "  %-4s wall %s  rss %.0f MB\n", t, w, r/1024}' "$WORK/$t.$i.time"
	done
done

echo "== results ($(nproc) CPUs, $(go version | awk '{print $3}'))"
rc=0
"$WORK/eval" -truth "$WORK/truth.json" -root "$TREE" -verify -goals -md "$WORK/results.md" \
	stripeguard=stripeguard="$WORK/sg" \
	stripeguard-keys-only=stripeguard="$WORK/sgk" \
	gitleaks-stripe=gitleaks="$WORK/gls" \
	gitleaks-default=gitleaks="$WORK/gld" || rc=$?
echo "table written to $WORK/results.md"
exit $rc
