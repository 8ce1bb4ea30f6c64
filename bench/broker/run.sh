#!/usr/bin/env bash
# Benchmark `stripeguard broker` on loopback, in one go (about 3 minutes):
#   1. max throughput: the app calling the local HTTPS upstream directly; through the
#      reference minimal Go reverse proxy; through the broker (default info logging,
#      then --log-level warn; then with a real Redis store when redis-server exists)
#   2. added latency at a fixed RATE calls/s, REPEAT times; the summary gives the medians:
#      a. paired: the direct call and one proxy at RATE each, interleaved by the same
#         client (direct+broker, then direct+reference proxy), so the machine carries
#         the RATE the goal names and one proxy at a time;
#      b. three-way (the original method, kept for comparison): direct, broker and the
#         reference proxy at RATE each at the same time (twice the proxy load of a).
# Goal (issue 14): p99 added by the broker < 1 ms at 1,000 calls/s.
# Knobs (env): DUR=15s CONNS=32 RATE=1000 REPEAT=3 RATE_DUR=15s PHASES="max rate"
#   BROKER_ENV="GOGC=200 ..." (environment of the broker processes, for experiments)
#   BASE_BIN=/path/to/stripeguard: another build (e.g. of main) measured side by side with
#   this one in the same run: its own max phase and its own paired rate runs (A/B)
set -euo pipefail
cd "$(dirname "$0")/../.."

DUR=${DUR:-15s}
CONNS=${CONNS:-32}
RATE=${RATE:-1000}
REPEAT=${REPEAT:-3}
RATE_DUR=${RATE_DUR:-15s}
PHASES=${PHASES:-max rate}
BROKER_ENV=${BROKER_ENV:-}
BASE_BIN=${BASE_BIN:-}
KEY="sk_test_$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"

W=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 not up" >&2; return 1; }

echo "# building"
go build -o "$W/stripeguard" ./cmd/stripeguard
go build -o "$W/load" ./bench/broker/load
go build -o "$W/upstream" ./bench/broker/upstream
go build -o "$W/refproxy" ./bench/broker/refproxy
echo "# $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3), $(date -u +%FT%TZ)"

UP=$(freeport)
"$W/upstream" -listen "127.0.0.1:$UP" -cert-out "$W/up.pem" & PIDS+=($!)
waitport "$UP"

TOKEN=$("$W/stripeguard" broker token 2>"$W/token.txt")
HASH=$(grep -o '[0-9a-f]\{64\}' "$W/token.txt")
printf '%s\n' "$KEY" > "$W/key"; chmod 600 "$W/key"
cat > "$W/broker.toml" <<TOML
version = 1
[app.bench]
token_sha256 = ["$HASH"]
key_file = "$W/key"
require_idempotency_key = true
rate = "1000000/s"
[[app.bench.allow]]
route = "POST /v1/payment_intents"
max_amount = 100000
currencies = ["usd", "eur"]
[[app.bench.allow]]
route = "GET /v1/payment_intents/*"
TOML

start_broker() { # port logfile extra-args...
	local port=$1 log=$2; shift 2
	env $BROKER_ENV "${SG:-$W/stripeguard}" broker --policy "$W/broker.toml" --listen "127.0.0.1:$port" \
		--stripe-api-base "https://127.0.0.1:$UP" --stripe-ca "$W/up.pem" --log-format json "$@" 2>"$log" &
	BPID=$!; PIDS+=($BPID)
	waitport "$port"
}

LOAD="$W/load -token $TOKEN -key $KEY -ca $W/up.pem"
RESULTS="$W/results.txt"
run() { $LOAD "$@" | tee -a "$RESULTS"; }

RP=$(freeport)
"$W/refproxy" -listen "127.0.0.1:$RP" -upstream "https://127.0.0.1:$UP" -ca "$W/up.pem" -key "$KEY" & PIDS+=($!)
waitport "$RP"
BP=$(freeport); BA=$(freeport)
start_broker "$BP" "$W/broker.log" --admin-listen "127.0.0.1:$BA"

if [[ " $PHASES " == *" max "* ]]; then
echo "# 1. maximum throughput ($CONNS connections, $DUR each)"
run -target "direct-max=https://127.0.0.1:$UP" -mode max -conns "$CONNS" -duration "$DUR"
run -target "refproxy-max=http://127.0.0.1:$RP" -mode max -conns "$CONNS" -duration "$DUR"
run -target "broker-max=http://127.0.0.1:$BP" -mode max -conns "$CONNS" -duration "$DUR"
if [ -n "$BASE_BIN" ]; then
	BBP=$(freeport)
	SG="$BASE_BIN" start_broker "$BBP" "$W/base.log" --admin-listen off
	BBPID=$BPID
	run -target "base-max=http://127.0.0.1:$BBP" -mode max -conns "$CONNS" -duration "$DUR"
fi
BP2=$(freeport)
start_broker "$BP2" /dev/null --log-level warn --admin-listen off
run -target "broker-max-nolog=http://127.0.0.1:$BP2" -mode max -conns "$CONNS" -duration "$DUR"
kill "$BPID"
if command -v redis-server >/dev/null; then
	RDP=$(freeport)
	redis-server --port "$RDP" --bind 127.0.0.1 --save "" --appendonly no --dir "$W" >/dev/null & PIDS+=($!)
	waitport "$RDP"
	BP3=$(freeport)
	start_broker "$BP3" /dev/null --redis-url "redis://127.0.0.1:$RDP/0" --admin-listen off
	run -target "broker-redis-max=http://127.0.0.1:$BP3" -mode max -conns "$CONNS" -duration "$DUR"
	kill "$BPID"
fi
fi

if [[ " $PHASES " == *" rate "* ]]; then
echo "# 2. added latency at $RATE calls/s each: (a) direct+broker, direct+reference proxy; (b) all three at once"
curl -s "http://127.0.0.1:$BA/metrics" | grep '^stripeguard_broker_added_seconds' > "$W/added-before.txt"
for i in $(seq "$REPEAT"); do
	echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS"
	run -target "direct-pb-$i=https://127.0.0.1:$UP" -target "broker-pb-$i=http://127.0.0.1:$BP" \
		-mode rate -rate "$RATE" -conns "$CONNS" -duration "$RATE_DUR"
	run -target "direct-pr-$i=https://127.0.0.1:$UP" -target "refproxy-pr-$i=http://127.0.0.1:$RP" \
		-mode rate -rate "$RATE" -conns "$CONNS" -duration "$RATE_DUR"
	if [ -n "$BASE_BIN" ]; then
		[ -n "${BBP:-}" ] || { BBP=$(freeport); SG="$BASE_BIN" start_broker "$BBP" "$W/base.log" --admin-listen off; }
		run -target "direct-pbb-$i=https://127.0.0.1:$UP" -target "base-pb-$i=http://127.0.0.1:$BBP" \
			-mode rate -rate "$RATE" -conns "$CONNS" -duration "$RATE_DUR"
	fi
	run -target "direct-rate-$i=https://127.0.0.1:$UP" -target "broker-rate-$i=http://127.0.0.1:$BP" -target "refproxy-rate-$i=http://127.0.0.1:$RP" \
		-mode rate -rate "$RATE" -conns "$CONNS" -duration "$RATE_DUR"
done
echo "# broker log: $(wc -l <"$W/broker.log") lines; keys in it: $(grep -c -- "$KEY" "$W/broker.log" || true)"
# The broker's own share of each call during the rate runs (its histogram
# stripeguard_broker_added_seconds: time from request headers to response
# minus Stripe's time; excludes the kernel and the scheduler): quantiles as
# the upper bound of the bucket that holds them.
curl -s "http://127.0.0.1:$BA/metrics" | grep '^stripeguard_broker_added_seconds' > "$W/added-after.txt"
awk '
FNR==NR { if ($1 ~ /_bucket/) { match($1, /le="[^"]*"/); b[substr($1, RSTART+4, RLENGTH-5)] = $2 } ; next }
$1 ~ /_bucket/ { match($1, /le="[^"]*"/); le = substr($1, RSTART+4, RLENGTH-5); d[le] = $2 - b[le]; order[n++] = le }
END {
	tot = d["+Inf"]; if (tot == 0) exit
	for (q = 1; q <= 3; q++) { want = (q == 1 ? 0.5 : (q == 2 ? 0.99 : 0.999)) * tot
		for (i = 0; i < n; i++) if (d[order[i]] >= want) { printf "INPROC q=%s le_ms=%s\n", (q == 1 ? "p50" : (q == 2 ? "p99" : "p999")), (order[i] == "+Inf" ? "inf" : order[i] * 1000); break } }
	printf "INPROC calls=%d\n", tot
}' "$W/added-before.txt" "$W/added-after.txt" | tee -a "$RESULTS"
fi

echo
echo "# summary"
awk '
function isort(A, n,  i, j, t) { for (i = 2; i <= n; i++) { t = A[i]; for (j = i - 1; j >= 1 && A[j] + 0 > t + 0; j--) A[j+1] = A[j]; A[j+1] = t } }
function get(k,  i,a){ for(i=1;i<=NF;i++){ split($i,a,"="); if(a[1]==k) return a[2] } return "" }
/^PAIRED broker-rate/ { split($3,a,"="); split($4,b,"="); nb++; b50[nb]=a[2]; b99[nb]=b[2]; next }
/^PAIRED refproxy-rate/ { split($3,a,"="); split($4,b,"="); nr++; r50[nr]=a[2]; r99[nr]=b[2]; next }
/^PAIRED broker-pb/ { split($3,a,"="); split($4,b,"="); npb++; pb50[npb]=a[2]; pb99[npb]=b[2]; next }
/^PAIRED refproxy-pr/ { split($3,a,"="); split($4,b,"="); npr++; pr50[npr]=a[2]; pr99[npr]=b[2]; next }
/^PAIRED base-pb/ { split($3,a,"="); split($4,b,"="); nbb++; bb50[nbb]=a[2]; bb99[nbb]=b[2]; next }
/^# load average/ { loads = loads " " $4 }
/^INPROC q=/ { split($2,a,"="); split($3,b,"="); inproc[a[2]]=b[2]; next }
/^INPROC calls=/ { split($2,a,"="); incalls=a[2]; next }
/^RESULT/ { l=get("label"); ops[l]=get("ok_per_s"); p50[l]=get("p50_ms"); p99[l]=get("p99_ms"); err[l]=get("errors")+get("non2xx"); order[n++]=l }
END {
	printf "%-22s %10s %9s %9s %7s\n", "phase", "calls/s", "p50 ms", "p99 ms", "errors"
	for(i=0;i<n;i++){ l=order[i]; printf "%-22s %10s %9s %9s %7s\n", l, ops[l], p50[l], p99[l], err[l]; te+=err[l] }
	if (n > 0 && ops["broker-max"] > 0) printf "\nthroughput: broker / reference proxy %.2fx (no logs: %.2fx); broker / direct %.2f\n", ops["broker-max"]/ops["refproxy-max"], ops["broker-max-nolog"]/ops["refproxy-max"], ops["broker-max"]/ops["direct-max"]
	if (ops["base-max"] > 0) printf "throughput: this build / BASE_BIN build %.2fx\n", ops["broker-max"]/ops["base-max"]
	if (ops["broker-redis-max"] > 0) printf "with the Redis store: %.0f calls/s (%.2fx the memory store)\n", ops["broker-redis-max"], ops["broker-redis-max"]/ops["broker-max"]
	if (nb == 0) { if (te > 0) { print "FAIL: errors"; exit 1 }; exit }
	printf "load average (1 min) before each repeat:%s\n", loads
	isort(pb50, npb); isort(pb99, npb); isort(pr50, npr); isort(pr99, npr); m=int((npb+1)/2)
	printf "(a) added latency at %s calls/s, one proxy at a time (minus direct, paired, median of %d): broker p50 %+.3f ms, p99 %+.3f ms; reference proxy p50 %+.3f ms, p99 %+.3f ms\n", rate, npb, pb50[m], pb99[m], pr50[m], pr99[m]
	printf "(a) broker p99 runs:"; for(i=1;i<=npb;i++) printf " %+.3f", pb99[i]; printf "; reference p99 runs:"; for(i=1;i<=npr;i++) printf " %+.3f", pr99[i]; print ""
	if (nbb > 0) { isort(bb50, nbb); isort(bb99, nbb); mb=int((nbb+1)/2)
		printf "(a) BASE_BIN build, same method: broker p50 %+.3f ms, p99 %+.3f ms; p99 runs:", bb50[mb], bb99[mb]; for(i=1;i<=nbb;i++) printf " %+.3f", bb99[i]; print "" }
	isort(b50, nb); isort(b99, nb); isort(r50, nr); isort(r99, nr); m=int((nb+1)/2)
	printf "(b) added latency at %s calls/s, both proxies at once (minus direct, paired, median of %d): broker p50 %+.3f ms, p99 %+.3f ms; reference proxy p50 %+.3f ms, p99 %+.3f ms\n", rate, nb, b50[m], b99[m], r50[m], r99[m]
	printf "(b) broker p99 runs:"; for(i=1;i<=nb;i++) printf " %+.3f", b99[i]; printf "; reference p99 runs:"; for(i=1;i<=nr;i++) printf " %+.3f", r99[i]; print ""
	if (incalls > 0) printf "the broker'"'"'s own time per call (its histogram, %d calls at %s/s): p50 <= %s ms, p99 <= %s ms, p99.9 <= %s ms\n", incalls, rate, inproc["p50"], inproc["p99"], inproc["p999"]
	printf "goal p99 added < 1 ms: (a) %s, (b) %s\n", (pb99[int((npb+1)/2)] < 1.0 ? "met" : "NOT met"), (b99[m] < 1.0 ? "met" : "NOT met")
	if (te > 0) { print "FAIL: errors"; exit 1 }
}' rate="$RATE" "$RESULTS"
