#!/usr/bin/env bash
# Full-scan memory and speed on a Stripe-heavy tree, side by side with
# gitleaks (default rules and its Stripe rule only). Every Python module of
# the generated tree imports stripe, so every one passes the Python gate:
# the worst case for the code analyzers. See bench/README.md.
#
#   bench/heavy/run.sh                  # N=5 alternating runs on the 116 MB tree, BIG_N=2 on the 1 GB tree
#   N=3 BIG_N=0 bench/heavy/run.sh      # skip the 1 GB tree
#   REGEN=1 bench/heavy/run.sh          # regenerate the trees
#
# Exit status: 0 when the goals hold (peak RSS <= 200 MB on the small
# tree and <= 300 MB on the 1 GB tree, full scan >= 3x faster than gitleaks'
# default scan and not slower than gitleaks with its Stripe rule only, all
# planted keys found), 1 when one does not, 2 on errors.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-5}
BIG_N=${BIG_N:-2}
SIZE_MB=${SIZE_MB:-116}
BIG_MB=${BIG_MB:-1024}
SEED=${SEED:-20261206}
WORK=bench/work/heavy
SG=bench/work/stripeguard
GITLEAKS=${GITLEAKS:-/work/tools/bin/gitleaks}
if [ ! -x "$GITLEAKS" ]; then
	GITLEAKS="$(go env GOPATH)/bin/gitleaks"
fi
if [ ! -x "$GITLEAKS" ]; then
	echo "run.sh: no gitleaks (set GITLEAKS=path; bench/keys/run.sh can install v8.30.1)" >&2
	exit 2
fi
if [ ! -x /usr/bin/time ]; then
	echo "run.sh: GNU time (/usr/bin/time) is needed" >&2
	exit 2
fi

mkdir -p "$WORK"
echo "== build"
go build -o "$SG" ./cmd/stripeguard
go build -o "$WORK/eval" ./bench/keys/eval
go build -o "$WORK/goals" ./bench/heavy/goals

# tree NAME SIZE: generate (or reuse) a tree where every module imports stripe.
tree() {
	local name=$1 size=$2
	local dir=$WORK/$name
	local stamp="seed=$SEED size=$size gen=$(sha1sum bench/keys/gen/main.go internal/source/expand/pycgen/pycgen.go | sha1sum | cut -c1-12)"
	if [ -n "${REGEN:-}" ] || [ ! -f "$dir/truth.json" ] || [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ]; then
		echo "== generate $name ($stamp)"
		rm -rf "$dir"
		mkdir -p "$dir"
		go run ./bench/keys/gen -out "$dir/tree" -truth "$dir/truth.json" -size "$size" -seed "$SEED" -stripe-percent 100
		# bench/work/ is gitignored here and stripeguard honours .gitignore:
		# make the tree a repository of its own.
		git init -q "$dir/tree"
		echo "$stamp" >"$dir/stamp"
	fi
	local py
	py=$(find "$dir/tree" -name '*.py' -not -path '*/.git/*' | wc -l)
	echo "$name: $(du -sm "$dir/tree" | cut -f1) MB on disk, $py Python files, all importing stripe"
	find "$dir/tree" -type f -not -path '*/.git/*' -exec cat {} + >/dev/null
}

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

tree small "$SIZE_MB"
S=$WORK/small
rm -f "$S"/*.time "$S"/*.out.json
for i in $(seq 1 "$N"); do
	echo "== small tree, run $i/$N"
	timed "$S/sg.$i.time" "0 1" sh -c "exec $SG scan --format json $S/tree >$S/sg.$i.json 2>$S/sg.$i.err"
	timed "$S/gls.$i.time" "0" "$GITLEAKS" detect --no-git --no-banner --log-level error --exit-code 0 \
		--config bench/keys/gitleaks-stripe.toml --source "$S/tree" --report-format json --report-path "$S/gls.$i.json"
	timed "$S/gld.$i.time" "0" "$GITLEAKS" detect --no-git --no-banner --log-level error --exit-code 0 \
		--source "$S/tree" --report-format json --report-path "$S/gld.$i.json"
	for t in sg gls gld; do
		awk -v t=$t '/Elapsed/{w=$NF} /Maximum resident/{r=$NF} /User time/{u=$NF} /System time/{s=$NF} END{printf "  %-4s wall %s  cpu %.2fs  rss %.0f MB\n", t, w, u+s, r/1024}' "$S/$t.$i.time"
	done
done

if [ "$BIG_N" -gt 0 ]; then
	tree big "$BIG_MB"
	B=$WORK/big
	rm -f "$B"/*.time
	for i in $(seq 1 "$BIG_N"); do
		echo "== 1 GB tree, run $i/$BIG_N"
		timed "$B/sg.$i.time" "0 1" sh -c "exec $SG scan --format json $B/tree >$B/sg.$i.json 2>$B/sg.$i.err"
		awk '/Elapsed/{w=$NF} /Maximum resident/{r=$NF} END{printf "  sg   wall %s  rss %.0f MB\n", w, r/1024}' "$B/sg.$i.time"
	done
fi

echo "== keys found (bench/keys/eval on the small tree)"
"$WORK/eval" -truth "$S/truth.json" -root "$S/tree" \
	stripeguard=stripeguard="$S/sg" gitleaks-stripe=gitleaks="$S/gls" gitleaks-default=gitleaks="$S/gld" | tee "$WORK/eval.txt"

echo "== results ($(nproc) CPUs, $(go version | awk '{print $3}'))"
args=(-small "$S" -truth "$S/truth.json" -md "$WORK/results.md")
if [ "$BIG_N" -gt 0 ]; then
	args+=(-big "$WORK/big")
fi
"$WORK/goals" "${args[@]}"
