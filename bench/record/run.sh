#!/usr/bin/env bash
# RECORD-verification benchmark: `stripeguard scan --analyzers supplychain
# --python-env ENV` on an environment of 300 installed distributions
# (bench/record/genenv: real Python sources, ~22,800 files, 360 MB), side by
# side with the standard-library way of doing it (bench/record/verify.py:
# importlib.metadata files() and hashlib, what people script since pip has
# no such command), warm page cache, one hyperfine run. stripeguard also
# looks for unrecorded code and rogue .pth files, which the peer does not.
# One file is tampered with first; both must report it.
#
#   bench/record/run.sh          # N=10 runs each
#   N=3 bench/record/run.sh      # quick check
#   REGEN=1 bench/record/run.sh  # rebuild the environment
#
# Exit status: 0 when stripeguard's median is under 1 s and both tools
# agree on the tampered file, 1 otherwise, 2 on errors.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-10}
WORK=bench/work/record
ENV=$WORK/env
SITE=$ENV/lib/python3.12/site-packages
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$WORK/empty"

command -v hyperfine >/dev/null || { echo "run.sh: hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }
go build -o "$WORK/stripeguard" ./cmd/stripeguard
if [ ! -d "$SITE" ] || [ -n "${REGEN:-}" ]; then
	go run ./bench/record/genenv -out "$ENV" -src "$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')"
	# The tampered file: one line appended to a module of pkg_007.
	f=$(find "$SITE/pkg_007" -name '*.py' | sort | head -1)
	echo 'import os; os.system("true")  # injected' >>"$f"
fi
echo "environment: $(find "$SITE" -type f | wc -l) files, $(du -sh "$SITE" | cut -f1)"
# Warm the page cache.
find "$SITE" -type f -exec cat {} + >/dev/null

sg=("$WORK/stripeguard" scan --analyzers supplychain --python-env "$SITE" --format json --output "$WORK/stripeguard.json" "$WORK/empty")
"${sg[@]}" || true
peer=$("$PY" bench/record/verify.py "$SITE")
sg_modified=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for f in d["findings"] if f["rule_id"]=="supplychain/record-mismatch"))' "$WORK/stripeguard.json")
echo "stripeguard: $sg_modified record-mismatch finding(s); verify.py: $peer"

hyperfine --warmup 2 --runs "$N" --ignore-failure --export-json "$WORK/hyperfine.json" \
	-n stripeguard "$(printf '%q ' "${sg[@]}")" \
	-n "python importlib.metadata" "$PY bench/record/verify.py $SITE"

"$PY" - "$WORK/hyperfine.json" "$sg_modified" "$peer" <<'PY'
import json, statistics, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
sg, py = runs["stripeguard"], runs["python importlib.metadata"]
msg, mpy = statistics.median(sg["times"]), statistics.median(py["times"])
print()
print("| tool | median wall | mean user | mean system |")
print("|---|---|---|---|")
for name, r, m in (("stripeguard scan --analyzers supplychain", sg, msg), ("python3 verify.py (importlib.metadata)", py, mpy)):
    print("| %s | %.3f s | %.3f s | %.3f s |" % (name, m, r["user"], r["system"]))
print()
print("ratio (python / stripeguard, medians): %.1fx" % (mpy / msg))
ok = msg < 1.0 and sys.argv[2] == "1" and "modified=1" in sys.argv[3]
print("goal (< 1 s warm, both find the tampered file):", "met" if ok else "NOT met")
sys.exit(0 if ok else 1)
PY
