#!/usr/bin/env bash
# Benchmark `stripeguard guard` on loopback, in one go (about 4-5 minutes):
#   1. trivial Go upstream alone            (max throughput)
#   1b. the issue's reference minimal proxy (crypto/hmac + httputil.ReverseProxy), max throughput
#   2. guard -> trivial upstream            (max throughput; latency at a fixed rate, paired with
#                                            the upstream alone; then >= 1M forged requests mixed in)
#   3. Flask + stripe-python alone, and behind the guard (werkzeug threaded server)
# Everything listens on 127.0.0.1 and stops by itself. Knobs (env):
#   DUR=15s CONNS=32 RATE=1000 REPEAT=3 FORGED=1000000 FORGED_MAX=150s FLASK_DUR=10s FLASK_RATE=200 GOMAXPROCS_GUARD=
set -euo pipefail
cd "$(dirname "$0")/../.."

DUR=${DUR:-15s}
CONNS=${CONNS:-32}
RATE=${RATE:-1000}
FORGED=${FORGED:-1000000}
FORGED_MAX=${FORGED_MAX:-150s}
FLASK_DUR=${FLASK_DUR:-10s}
FLASK_RATE=${FLASK_RATE:-200}
PY=/usr/bin/python3
SECRET=whsec_bench_secret_0123456789abcdef

W=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

freeport() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 not up" >&2; return 1; }

echo "# building"
go build -o "$W/stripeguard" ./cmd/stripeguard
go build -o "$W/load" ./bench/guard/load
go build -o "$W/upstream" ./bench/guard/upstream
go build -o "$W/refproxy" ./bench/guard/refproxy
echo "# $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3)"

LOAD="$W/load -secret $SECRET"
RESULTS="$W/results.txt"
run() { # label args...
	local label=$1; shift
	$LOAD -label "$label" "$@" | tee -a "$RESULTS"
}

UP=$(freeport)
"$W/upstream" -listen "127.0.0.1:$UP" & PIDS+=($!)
waitport "$UP"

echo "# 1. trivial Go upstream alone"
run up-max -url "http://127.0.0.1:$UP/webhook" -mode max -conns "$CONNS" -duration "$DUR"

echo "# 1b. reference: minimal Go proxy (crypto/hmac + httputil.ReverseProxy), same machine, same moment"
RP=$(freeport)
"$W/refproxy" -listen "127.0.0.1:$RP" -upstream "http://127.0.0.1:$UP" -secret "$SECRET" & RPPID=$!; PIDS+=($RPPID)
waitport "$RP"
run refproxy-max -url "http://127.0.0.1:$RP/webhook" -mode max -conns "$CONNS" -duration "$DUR"
kill "$RPPID"

echo "# 2. guard -> trivial upstream"
GP=$(freeport); GA=$(freeport)
env ${GOMAXPROCS_GUARD:+GOMAXPROCS=$GOMAXPROCS_GUARD} "$W/stripeguard" guard --listen "127.0.0.1:$GP" --admin-listen "127.0.0.1:$GA" \
	--upstream "http://127.0.0.1:$UP" --secret "$SECRET" --log-level warn 2>"$W/guard.log" & PIDS+=($!)
waitport "$GP"
run guard-max -url "http://127.0.0.1:$GP/webhook" -mode max -conns "$CONNS" -duration "$DUR"
# Latency at a fixed rate, paired: requests alternate between the guard and the upstream
# alone (-rate each), so both see the same machine noise.
# Repeated REPEAT times; the summary reports each run and the median (the box is shared).
for i in $(seq "${REPEAT:-3}"); do
	run "guard-rate-$i" -url "http://127.0.0.1:$GP/webhook" -label2 "up-rate-$i" -url2 "http://127.0.0.1:$UP/webhook" -mode rate -rate "$RATE" -conns "$CONNS" -duration "$DUR"
done
run guard-forged -url "http://127.0.0.1:$GP/webhook" -mode max -conns "$CONNS" -forged-ratio 0.95 -min-forged "$FORGED" -duration "$FORGED_MAX" || true
echo "# guard's own counters:"
curl -s "http://127.0.0.1:$GA/metrics" | grep -E '^stripeguard_guard_(requests_total|rejected_total|duplicates_total|upstream_errors_total)' | grep -v ' 0$' || true

echo "# 3. Flask + stripe-python (werkzeug threaded)"
FP=$(freeport)
STRIPE_WEBHOOK_SECRET=$SECRET $PY internal/guard/testdata/flask_app.py "$FP" 2>"$W/flask.log" & PIDS+=($!)
waitport "$FP"
G2=$(freeport)
"$W/stripeguard" guard --listen "127.0.0.1:$G2" --admin-listen off --upstream "http://127.0.0.1:$FP" --secret "$SECRET" --log-level warn 2>"$W/guard2.log" & PIDS+=($!)
waitport "$G2"
run flask-max -url "http://127.0.0.1:$FP/webhook" -mode max -conns "$CONNS" -duration "$FLASK_DUR"
run guard-flask-max -url "http://127.0.0.1:$G2/webhook" -mode max -conns "$CONNS" -duration "$FLASK_DUR"
run guard-flask-rate -url "http://127.0.0.1:$G2/webhook" -label2 flask-rate -url2 "http://127.0.0.1:$FP/webhook" -mode rate -rate "$FLASK_RATE" -conns "$CONNS" -duration "$FLASK_DUR"
run guard-flask-forged -url "http://127.0.0.1:$G2/webhook" -mode max -conns "$CONNS" -forged-ratio 0.5 -duration "$FLASK_DUR" || true

echo
echo "# summary"
awk '
function isort(A, n,  i, j, t) { for (i = 2; i <= n; i++) { t = A[i]; for (j = i - 1; j >= 1 && A[j] + 0 > t + 0; j--) A[j+1] = A[j]; A[j+1] = t } }
function get(k,  i,a){ for(i=1;i<=NF;i++){ split($i,a,"="); if(a[1]==k) return a[2] } return "" }
/^PAIRED guard-rate-[0-9]+-vs-up-rate/ { split($3,a,"="); split($4,b,"="); np++; d50[np]=a[2]; d99[np]=b[2]; next }
/^RESULT/ { l=get("label"); vps[l]=get("verified_per_s"); p50[l]=get("p50_ms"); p99[l]=get("p99_ms"); fs[l]=get("forged_sent"); fa[l]=get("forged_accepted"); err[l]=get("errors"); order[n++]=l }
END {
	printf "%-20s %12s %9s %9s %12s %10s %7s\n", "phase", "verified/s", "p50 ms", "p99 ms", "forged sent", "accepted", "errors"
	for(i=0;i<n;i++){ l=order[i]; printf "%-20s %12s %9s %9s %12s %10s %7s\n", l, vps[l], p50[l], p99[l], fs[l], fa[l], err[l]; tf+=fs[l]; ta+=fa[l] }
	if (vps["refproxy-max"] > 0) printf "\nguard / reference proxy throughput: %.2fx; guard / upstream alone: %.2f\n", vps["guard-max"]/vps["refproxy-max"], vps["guard-max"]/vps["up-max"]
	isort(d50, np); isort(d99, np); m=int((np+1)/2)
	printf "\nadded latency at a fixed %s req/s (guard - upstream alone, paired, median of %d runs): p50 %+.3f ms, p99 %+.3f ms (p99 runs:", rate, np, d50[m], d99[m]
	for(i=1;i<=np;i++) printf " %+.3f", d99[i]; print ")"
	printf "added latency in front of Flask at %s req/s (paired):             p50 %+.3f ms, p99 %+.3f ms\n", frate, p50["guard-flask-rate"]-p50["flask-rate"], p99["guard-flask-rate"]-p99["flask-rate"]
	printf "forged requests: %d sent, %d accepted\n", tf, ta
	if (ta > 0) { print "FAIL: forged requests were accepted"; exit 1 }
}' rate="$RATE" frate="$FLASK_RATE" "$RESULTS"
