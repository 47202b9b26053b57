#!/usr/bin/env bash
# Instructions the server executes per request, counted by callgrind, for each
# mfa-mock executable given: `get` (GET a factor) and `flow` (enroll ->
# challenge -> verify, counted per request). Instruction counts do not depend
# on what else the machine is doing, so variants compare on a shared machine.
#
#   crates/mfa-load/callgrind/measure.sh [NAME=]PATH...
#
# Each scenario runs on a fresh server (TOKIO_WORKER_THREADS=1, as mfa-load
# spawns it), warms up past the journal's 1000 entries, then counts GET_COUNT
# gets or FLOW_COUNT flows; ROUNDS rounds; the median is printed with half the
# rounds' spread.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
get_warmup=${GET_WARMUP:-1100}
get_count=${GET_COUNT:-2000}
flow_warmup=${FLOW_WARMUP:-350}
flow_count=${FLOW_COUNT:-200}
rounds=${ROUNDS:-3}
work=$(mktemp -d)
server=
cleanup() {
    if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# one BIN SCENARIO WARMUP COUNT: instructions per request, one round.
one() {
    local bin=$1 scenario=$2 warmup=$3 count=$4 port
    port=$(free_port)
    rm -f "$work"/cg.out*
    TOKIO_WORKER_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
        "$bin" --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null; then
            break
        fi
        sleep 0.2
    done
    python3 "$here/drive.py" "$port" "$server" "$scenario" "$warmup" "$count" "$work/cg.out" 2>/dev/null
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
}

# The median of the rounds, and their spread as a percentage of it.
median() { sort -n | awk '{ v[NR] = $1 } END { m = v[int((NR + 1) / 2)]; printf "%d ±%.1f%%", m, 50 * (v[NR] - v[1]) / m }'; }

printf '%-28s %22s %22s\n' executable "get Ir/req" "flow Ir/req"
for spec in "$@"; do
    name=${spec%%=*}
    bin=${spec#*=}
    [[ "$spec" == *=* ]] || name=$bin
    get=$(for _ in $(seq "$rounds"); do one "$bin" get "$get_warmup" "$get_count"; done | median)
    flow=$(for _ in $(seq "$rounds"); do one "$bin" flow "$flow_warmup" "$flow_count"; done | median)
    printf '%-28s %22s %22s\n' "$name" "$get" "$flow"
done
