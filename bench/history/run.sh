#!/usr/bin/env bash
# History benchmark: `stripeguard history` against `gitleaks git` (default
# config, and gitleaks restricted to its Stripe rule) on long histories with
# planted keys, run in one go. See bench/README.md. Everything it writes goes
# to bench/work/history/ (gitignored).
#
#   bench/history/run.sh                        # real + synthetic, N=3 each
#   TARGETS=synthetic N=5 bench/history/run.sh  # only the generated project
#   SOURCE=/path/to/repo bench/history/run.sh   # another real repository
#   REGEN=1 bench/history/run.sh                # rebuild the repositories
#
# Exit status: 0 when stripeguard meets every goal on every target (all
# planted keys found and attributed, no placeholder, standard recall at least
# gitleaks', >= 2x faster than each gitleaks run), 1 when not, 2 on errors.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-3}
TARGETS=${TARGETS:-"real synthetic"}
# A real Python project with a long history, complete (no missing objects:
# `git log -p`, which gitleaks runs, aborts on the first missing blob).
SOURCE=${SOURCE:-/work/.mirror/pypa+pip/repo}
SYNTH_COMMITS=${SYNTH_COMMITS:-20000}
SEED=${SEED:-20261206}
KEYS=${KEYS:-6}
WORK=bench/work/history
SG=bench/work/stripeguard
GITLEAKS_VERSION=v8.30.1

mkdir -p "$WORK"
echo "== build"
go build -o "$SG" ./cmd/stripeguard
go build -o "$WORK/gen" ./bench/history/gen
go build -o "$WORK/eval" ./bench/history/eval

if [ -z "${GITLEAKS:-}" ]; then
	for g in /work/tools/bin/gitleaks "$(go env GOPATH)/bin/gitleaks"; do
		if [ -x "$g" ]; then GITLEAKS=$g; break; fi
	done
fi
if [ -z "${GITLEAKS:-}" ]; then
	echo "installing gitleaks $GITLEAKS_VERSION (-tags gore2regex, as its releases are built)"
	GOFLAGS= go install -tags gore2regex github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION
	GITLEAKS="$(go env GOPATH)/bin/gitleaks"
fi
echo "gitleaks: $GITLEAKS ($("$GITLEAKS" version 2>/dev/null || echo '?'))"
[ -x /usr/bin/time ] || { echo "run.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }

GENSUM=$(sha1sum bench/history/gen/main.go | cut -c1-12)

prepare() { # prepare TARGET -> sets REPO and TRUTH
	local target=$1 dir=$WORK/$1 stamp
	REPO=$dir
	TRUTH=$WORK/$target.truth.json
	case $target in
	real) stamp="real $SOURCE seed=$SEED keys=$KEYS gen=$GENSUM" ;;
	synthetic) stamp="synthetic $SYNTH_COMMITS seed=$SEED keys=$KEYS gen=$GENSUM" ;;
	*) echo "run.sh: unknown target $target" >&2; exit 2 ;;
	esac
	if [ -z "${REGEN:-}" ] && [ -f "$TRUTH" ] && [ "$(cat "$WORK/$target.stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "== reuse $target repository ($stamp)"
		return
	fi
	echo "== prepare $target repository ($stamp)"
	rm -rf "$dir" "$WORK/$target.stamp"
	if [ "$target" = real ]; then
		[ -d "$SOURCE" ] || { echo "run.sh: SOURCE $SOURCE not found (fetch a repository, or TARGETS=synthetic)" >&2; exit 2; }
		# Every ref of the source, and a checkout: what a developer has.
		git clone -q --mirror "$SOURCE" "$dir/.git"
		git -C "$dir" config core.bare false
		git -C "$dir" checkout -q -f "$(git -C "$dir" symbolic-ref --short HEAD)"
		"$WORK/gen" -repo "$dir" -truth "$TRUTH" -seed "$SEED" -keys "$KEYS"
	else
		"$WORK/gen" -repo "$dir" -synthetic "$SYNTH_COMMITS" -truth "$TRUTH" -seed "$SEED" -keys "$KEYS"
	fi
	echo "$stamp" >"$WORK/$target.stamp"
}

timed() { # timed OUT OKCODES CMD...
	local out=$1 ok=$2 rc=0
	shift 2
	/usr/bin/time -v -o "$out" "$@" || rc=$?
	if [[ " $ok " != *" $rc "* ]]; then
		echo "run.sh: '$*' exited $rc" >&2
		exit 2
	fi
}

rc=0
for target in $TARGETS; do
	prepare "$target"
	echo "   $(git -C "$REPO" rev-list --all --count) commits, $(du -sh "$REPO/.git" | cut -f1) of git data"
	# Warm the page cache so that the first tool does not pay for reads.
	cat "$REPO"/.git/objects/pack/* >/dev/null 2>&1 || true
	P=$WORK/$target
	rm -f "$P".sg.* "$P".gld.* "$P".gls.*
	for i in $(seq 1 "$N"); do
		echo "== $target run $i/$N"
		timed "$P.sg.$i.time" "0 1" sh -c "exec $SG history --format json $REPO >$P.sg.$i.json 2>$P.sg.$i.err"
		timed "$P.gld.$i.time" "0" "$GITLEAKS" git --no-banner --log-level error --exit-code 0 \
			--report-format json --report-path "$P.gld.$i.json" "$REPO"
		timed "$P.gls.$i.time" "0" "$GITLEAKS" git --no-banner --log-level error --exit-code 0 \
			--config bench/keys/gitleaks-stripe.toml --report-format json --report-path "$P.gls.$i.json" "$REPO"
		for t in sg gld gls; do
			awk -v t=$t '/Elapsed/{w=$NF} /Maximum resident/{r=$NF} END{printf "  %-4s wall %s  rss %.0f MB\n", t, w, r/1024}' "$P.$t.$i.time"
		done
	done
	echo "== $target results ($(nproc) CPUs, $(go version | awk '{print $3}'), $(git --version))"
	"$WORK/eval" -truth "$TRUTH" -goals -md "$P.results.md" \
		stripeguard=stripeguard="$P.sg" \
		gitleaks-default=gitleaks="$P.gld" \
		gitleaks-stripe=gitleaks="$P.gls" || rc=1
	echo "table written to $P.results.md"
	echo
done
exit $rc
