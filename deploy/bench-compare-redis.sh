# shellcheck shell=bash
# `deploy/herd bench --compare redis`: the herd and Redis (a primary and four replicas, the
# Debian packages) measured side by side in one run, shape by shape. Sourced by deploy/herd,
# whose start_herd, stop_herd, config_arg, apt_install and PIDS it uses.
#
#   deploy/herd bench --compare redis [--config FILE] [--seconds S] [--clients C]
#                     [--redis-appendfsync none|no|always] [--memory N] [--log-stamps MODE]
#                     [--rounds N]
#
# --seconds: length of each measurement (default 3). --clients: WHATSAT clients, each at a
# GeoNames place (default 10000). Redis gets the durability of the herd under test: nothing
# persisted against an in-memory herd, an append-only file with `appendfsync no` against a herd
# that hands its write-ahead log to the OS, `appendfsync always` against one that fsyncs every
# batch; --redis-appendfsync overrides it. --memory N: also load N more clients into both and
# report the growth per stored stamp (e.g. 1000000). --log-stamps: the herd's per-stamp log lines
# (ALL, the default config's, SAMPLED[/N] or NONE), as for deploy/herd bench. After the 64 x 1
# shape, the propagation Hands -> Welsh is measured during a 64 x 1 load paced to half the rate
# the herd reached. --rounds N (default 1): each shape is measured N times, the herd and Redis in
# turn, and each side's median is compared (its lowest and highest are printed too): on a shared
# machine either side's rate moves by a fifth from one minute to the next.

REDIS_DIR=''
REDIS_PORTS=()
REDIS_PIDS=()

compare_usage() {
  die "usage: deploy/herd bench --compare redis [--config FILE] [--seconds S] [--clients C] [--redis-appendfsync none|no|always] [--memory N] [--log-stamps MODE] [--rounds N]"
}

compare_cleanup() {
  stop_herd
  [ -z "$REDIS_DIR" ] || rm -rf "$REDIS_DIR"
  REDIS_DIR=
}

# A loopback TCP port nothing listens on, below the ephemeral range, not handed out before.
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 12000))
    case " ${REDIS_PORTS[*]-} " in *" $port "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  die "no free loopback port found"
}

rcli() { local port=$1; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }

# Starts a primary and four replicas with the given durability (appendfsync policy or "").
start_redis() {
  local appendfsync=$1 i port dir durability=(--save '' --appendonly no)
  [ -z "$appendfsync" ] || durability=(--save '' --appendonly yes --appendfsync "$appendfsync")
  for i in 0 1 2 3 4; do REDIS_PORTS+=("$(free_port)"); done
  for i in 0 1 2 3 4; do
    port=${REDIS_PORTS[$i]}
    dir="$REDIS_DIR/redis-$port"
    mkdir -p "$dir"
    local role=()
    [ "$i" -eq 0 ] || role=(--replicaof 127.0.0.1 "${REDIS_PORTS[0]}")
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --logfile "$dir/redis.log" \
      --daemonize no "${durability[@]}" "${role[@]+"${role[@]}"}" &
    PIDS+=($!)
    REDIS_PIDS+=($!)
  done
  local deadline=$((SECONDS + 30))
  for port in "${REDIS_PORTS[@]}"; do
    until [ "$(rcli "$port" ping 2>/dev/null)" = PONG ]; do
      [ $SECONDS -lt $deadline ] || die "redis-server on port $port did not start (log $REDIS_DIR/redis-$port/redis.log)"
      sleep 0.1
    done
  done
  say "redis: primary 127.0.0.1:${REDIS_PORTS[0]}, replicas on ${REDIS_PORTS[*]:1}; $(printf "%q " "${durability[@]}")"
  wait_replicas_synced
}

# Waits (bounded: 60 s) until the four replicas are online at the primary's replication offset.
wait_replicas_synced() {
  local deadline=$((SECONDS + 60)) info
  while :; do
    info=$(rcli "${REDIS_PORTS[0]}" info replication | tr -d '\r')
    if awk -F'[:,=]' '
        /^master_repl_offset:/ { offset = $2 }
        /^slave[0-9]+:/ { for (i = 1; i < NF; i++) { if ($i == "state") state = $(i + 1); if ($i == "offset") o = $(i + 1) }
                          if (state == "online") replica[++online] = o }
        END { for (i = 1; i <= online; i++) synced += replica[i] == offset
              exit !(online == 4 && synced == 4) }' <<<"$info"; then
      return 0
    fi
    [ $SECONDS -lt $deadline ] || die "redis replicas did not get in sync"
    sleep 0.1
  done
}

# redis-benchmark against the primary, N requests; prints requests per second.
redis_rps() {
  local n=$1; shift
  { redis-benchmark -h 127.0.0.1 -p "${REDIS_PORTS[0]}" -n "$n" --csv "$@" 2>/dev/null || true; } |
    awk -F'"' 'NR == 2 { print $4 }'
}

# redis-benchmark for about SECONDS: a short probe run of PROBE requests sets the request count.
redis_rate() {
  local probe=$1 seconds=$2; shift 2
  local rate n
  wait_replicas_synced
  rate=$(redis_rps "$probe" "$@")
  [ -n "$rate" ] || say "redis-benchmark $* failed"
  n=$(awk -v r="${rate:-0}" -v s="$seconds" -v p="$probe" 'BEGIN { n = int(r * s); print (n < p ? p : n) }')
  wait_replicas_synced
  rate=$(redis_rps "$n" "$@")
  say "redis-benchmark -n $n $*: ${rate:-failed}/s"
  printf '%s\n' "${rate:-0}"
}

# herd-bench with the given shape; its output goes to stderr, the result line's fields (comma
# separated names) to stdout, separated by spaces.
herd_field() {
  local field=$1; shift
  local out status=0
  out=$("$BUILD/bin/herd-bench" --config "$CONFIG" --markers 0 "$@") || status=$?
  printf '%s\n' "$out" >&2
  if [ $status -ne 0 ]; then
    say "herd-bench $* failed (exit $status): see above"
    : >"$REDIS_DIR/herd-bench-failed"
  fi
  awk -v f="$field" '/^result: / {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); value[kv[1]] = kv[2] }
      n = split(f, names, ",")
      for (i = 1; i <= n; i++) printf "%s%s", value[names[i]], (i < n ? " " : "\n")
    }' <<<"$out"
}

vmrss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

machine_line() {
  local model
  model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  printf '%s, %s cores, %s; load average %s at start\n' "${model:-unknown CPU}" "$(nproc)" \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# The median of the numbers given (the mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# "lowest-highest" of the numbers given, rounded.
spread() {
  printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f\n", lo, hi }'
}

# Measures one shape ROUNDS times, the herd (herd-bench ARGS before "--") and Redis (redis_rate
# ARGS after it) in turn; appends the shape to NAMES, the medians to HERD and REDIS and the
# spreads to HERD_SPREAD and REDIS_SPREAD.
measure_shape() {
  local name=$1; shift
  local herd_args=() redis_args=() round herd_rates=() redis_rates=()
  while [ "$1" != -- ]; do herd_args+=("$1"); shift; done
  shift
  redis_args=("$@")
  local herd_now redis_now
  for round in $(seq "$ROUNDS"); do
    herd_now=$(herd_field per_second "${herd_args[@]}")
    redis_now=$(redis_rate "${redis_args[@]}")
    herd_rates+=("${herd_now:-0}")
    redis_rates+=("${redis_now:-0}")
    [ "$ROUNDS" -eq 1 ] || say "$name, round $round of $ROUNDS: herd ${herd_now:-0}/s, redis ${redis_now:-0}/s"
  done
  NAMES+=("$name")
  HERD+=("$(median "${herd_rates[@]}")")
  REDIS+=("$(median "${redis_rates[@]}")")
  HERD_SPREAD+=("$(spread "${herd_rates[@]}")")
  REDIS_SPREAD+=("$(spread "${redis_rates[@]}")")
}

# Growth of each process's VmRSS per new stamp: "min-max" bytes over the pids.
rss_growth() {
  local added=$1; shift
  local before=("${@:1:$#/2}") after=("${@:$#/2+1}") i out=()
  for i in "${!before[@]}"; do
    out+=("$(awk -v a="${after[$i]}" -v b="${before[$i]}" -v n="$added" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }')")
  done
  printf '%s\n' "${out[@]}" | sort -n | awk 'NR == 1 { min = $1 } { max = $1 } END { print (min == max ? min : min "-" max) }'
}

cmd_bench_compare() {
  [ "${1:-}" = redis ] || compare_usage
  shift
  config_arg "$@"
  local seconds=3 clients=10000 appendfsync=auto memory=0 log_stamps=
  ROUNDS=1
  set -- "${REST[@]+"${REST[@]}"}"
  while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || compare_usage
    case "$1" in
      --seconds) [[ $2 =~ ^[0-9]+([.][0-9]+)?$ ]] || compare_usage; seconds=$2 ;;
      --clients) [[ $2 =~ ^[1-9][0-9]*$ ]] || compare_usage; clients=$2 ;;
      --memory) [[ $2 =~ ^[0-9]+$ ]] || compare_usage; memory=$2 ;;
      --redis-appendfsync) [[ $2 =~ ^(none|no|always)$ ]] || compare_usage; appendfsync=$2 ;;
      --log-stamps) log_stamps=$2 ;;
      --rounds) [[ $2 =~ ^[1-9][0-9]?$ ]] || compare_usage; ROUNDS=$2 ;;
      *) compare_usage ;;
    esac
    shift 2
  done
  local missing
  missing=$(missing_packages "${REDIS_PACKAGES[@]}")
  # shellcheck disable=SC2086
  if [ -n "${missing//[[:space:]]/}" ]; then apt_install $missing; fi
  cmd_build herd-node herd-gateway herd-bench
  if [ "$appendfsync" = auto ]; then
    local storage
    storage=$("$BUILD/bin/herd-node" --config "$CONFIG" --describe | awk '$1 == "storage" { print $2 }')
    case "$storage" in
      memory) appendfsync=none ;;
      os) appendfsync=no ;;
      fsync) appendfsync=always ;;
      *) die "herd-node --describe did not say how $CONFIG stores stamps" ;;
    esac
  fi
  [ "$appendfsync" != none ] || appendfsync=''

  REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/herd-compare.XXXXXX")
  trap 'compare_cleanup; exit 130' INT
  trap 'compare_cleanup; exit 143' TERM
  trap compare_cleanup EXIT
  # The herd starts empty, as Redis does: a store left by an earlier run (the default config
  # keeps one under build/) would hold the clients this run reports, so its writes would all be
  # updates and --memory would see no new stamps. The copy stores in the temporary directory.
  local config_name copy
  config_name=$(basename "$CONFIG")
  copy="$REDIS_DIR/herd.json"
  write_config_copy "$CONFIG" "$copy" "$log_stamps" "$REDIS_DIR/herd-data"
  CONFIG=$copy
  local machine
  machine=$(machine_line)
  start_herd "$CONFIG"
  local node_pids=("${PIDS[@]:0:${#PIDS[@]}-1}")
  wait_for_text_ports "$CONFIG"
  start_redis "$appendfsync"

  # The same GeoNames places in a Redis GEO key; member k is where herd-bench's client k is.
  local places_file="$REDIS_DIR/places.resp" members pipe
  members=$("$BUILD/bin/herd-bench" --config "$CONFIG" --clients "$clients" \
    --write-redis-places "$places_file" | sed -n 's/.* members=\([0-9]*\) .*/\1/p')
  [ -n "$members" ] || die "herd-bench could not write the places for Redis"
  pipe=$(rcli "${REDIS_PORTS[0]}" --pipe <"$places_file")
  grep -q 'errors: 0,' <<<"$pipe" || die "loading the places into Redis failed: $pipe"
  say "redis: $(rcli "${REDIS_PORTS[0]}" zcard places) places loaded, $members of them the WHATSAT clients' points"

  # The WHATSAT clients' points alone in the GEO key "clients" (member k where herd-bench's client
  # k is), for SearchClients against GEOSEARCH: measured first, while the herd holds only them.
  local clients_file="$REDIS_DIR/clients.resp"
  "$BUILD/bin/herd-bench" --config "$CONFIG" --clients "$clients" \
    --write-redis-clients "$clients_file" >/dev/null || die "herd-bench could not write the clients for Redis"
  pipe=$(rcli "${REDIS_PORTS[0]}" --pipe <"$clients_file")
  grep -q 'errors: 0,' <<<"$pipe" || die "loading the clients into Redis failed: $pipe"

  local geoadd=(GEOADD stamps -118.445127 34.068930 __rand_int__)
  # Both sides spread their writes over the same number of clients (members): most writes update
  # a known one.
  local keyspace=100000
  NAMES=() HERD=() REDIS=() HERD_SPREAD=() REDIS_SPREAD=()
  measure_shape "SearchClients 50 km 20 | GEOSEARCH clients, 64 x 1" \
    --seconds "$seconds" --connections 64 --mode clients --clients "$clients" -- \
    20000 "$seconds" -c 64 -r "$clients" GEOSEARCH clients FROMMEMBER __rand_int__ BYRADIUS 50 km ASC COUNT 20
  measure_shape "IAMAT | GEOADD, 64 connections x 1 in flight" \
    --seconds "$seconds" --connections 64 --window 1 --clients "$keyspace" -- \
    20000 "$seconds" -c 64 -r "$keyspace" "${geoadd[@]}"
  local half propagation
  half=$(awk -v r="${HERD[1]:-0}" 'BEGIN { printf "%d", r / 2 }')
  if [ "$half" -gt 0 ]; then
    propagation=$(herd_field propagation_p50_ms,propagation_p99_ms --seconds "$seconds" \
      --connections 64 --window 1 --clients "$keyspace" --rate "$half" --markers 200)
  fi
  measure_shape "IAMAT | GEOADD, 64 connections x 16 pipelined" \
    --seconds "$seconds" --connections 64 --window 16 --clients "$keyspace" -- \
    100000 "$seconds" -c 64 -P 16 -r "$keyspace" "${geoadd[@]}"
  measure_shape "IAMAT | GEOADD, 1 per connection, 8 at a time" \
    --seconds "$seconds" --connections 8 --fresh --clients "$keyspace" -- \
    2000 "$seconds" -c 8 -k 0 -r "$keyspace" "${geoadd[@]}"
  measure_shape "WHATSAT 50 20 | GEOSEARCH 50 km COUNT 20, 64 x 1" \
    --seconds "$seconds" --connections 64 --window 1 --mode whatsat --clients "$clients" -- \
    20000 "$seconds" -c 64 -r "$members" GEOSEARCH places FROMMEMBER __rand_int__ BYRADIUS 50 km ASC COUNT 20

  local memory_line=
  if [ "$memory" -gt 0 ]; then
    local stamps_before stamps_after rss_before=() rss_after=() pid
    stamps_before=$(herd_field stamps --mode load --clients 1 --connections 1)
    for pid in "${node_pids[@]}"; do rss_before+=("$(vmrss_kib "$pid")"); done
    stamps_after=$(herd_field stamps --mode load --clients "$memory" --connections 16 --window 64)
    for pid in "${node_pids[@]}"; do rss_after+=("$(vmrss_kib "$pid")"); done
    local herd_bytes
    herd_bytes=$(rss_growth $((stamps_after - stamps_before)) "${rss_before[@]}" "${rss_after[@]}")
    local members_before members_after used_before used_after redis_rss_before=() redis_rss_after=()
    wait_replicas_synced
    members_before=$(rcli "${REDIS_PORTS[0]}" zcard stamps)
    used_before=$(rcli "${REDIS_PORTS[0]}" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
    for pid in "${REDIS_PIDS[@]}"; do redis_rss_before+=("$(vmrss_kib "$pid")"); done
    redis_rps "$memory" -c 16 -P 16 -r 2000000000 "${geoadd[@]}" >/dev/null
    wait_replicas_synced
    members_after=$(rcli "${REDIS_PORTS[0]}" zcard stamps)
    used_after=$(rcli "${REDIS_PORTS[0]}" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
    for pid in "${REDIS_PIDS[@]}"; do redis_rss_after+=("$(vmrss_kib "$pid")"); done
    local added=$((members_after - members_before))
    memory_line=$(printf 'memory per stored stamp: herd nodes %s bytes of VmRSS (%d new stamps); redis servers %s bytes of VmRSS, primary used_memory %s bytes (%d new GEOADD members)' \
      "$herd_bytes" $((stamps_after - stamps_before)) \
      "$(rss_growth "$added" "${redis_rss_before[@]}" "${redis_rss_after[@]}")" \
      "$(awk -v a="$used_after" -v b="$used_before" -v n="$added" 'BEGIN { printf "%.0f", (a - b) / n }')" "$added")
  fi
  local status=0
  [ ! -e "$REDIS_DIR/herd-bench-failed" ] || status=1
  compare_cleanup
  trap - INT TERM EXIT

  printf '\nmachine: %s\n' "$machine"
  local redis_durability='no persistence (save "", appendonly no)'
  [ -z "$appendfsync" ] || redis_durability="appendonly yes, appendfsync $appendfsync"
  printf 'herd: %s%s; redis: primary + 4 replicas, %s\n' "$config_name" \
    "${log_stamps:+ with stampLines $log_stamps}" "$redis_durability"
  if [ "$ROUNDS" -eq 1 ]; then
    printf '%-50s %10s %10s %8s\n' shape herd/s redis/s ratio
  else
    printf 'medians of %d rounds, the herd and Redis in turn (lowest-highest after each)\n' "$ROUNDS"
    printf '%-50s %10s %15s %10s %15s %8s\n' shape herd/s '' redis/s '' ratio
  fi
  local i ratio
  for i in "${!NAMES[@]}"; do
    ratio=$(awk -v h="${HERD[$i]:-0}" -v r="${REDIS[$i]:-0}" 'BEGIN { if (r > 0) printf "%.2f", h / r; else print "-" }')
    if [ "$ROUNDS" -eq 1 ]; then
      printf '%-50s %10.0f %10.0f %8s\n' "${NAMES[$i]}" "${HERD[$i]:-0}" "${REDIS[$i]:-0}" "$ratio"
    else
      printf '%-50s %10.0f %15s %10.0f %15s %8s\n' "${NAMES[$i]}" "${HERD[$i]:-0}" \
        "(${HERD_SPREAD[$i]})" "${REDIS[$i]:-0}" "(${REDIS_SPREAD[$i]})" "$ratio"
    fi
  done
  [ -z "$memory_line" ] || printf '%s\n' "$memory_line"
  if [ -n "${propagation:-}" ]; then
    printf 'propagation to the farthest node (3 hops in the default herd) during a 64 x 1 load at %s IAMAT/s (half the herd'"'"'s rate): p50 %s ms, p99 %s ms\n' \
      "$half" ${propagation}
  fi
  return $status
}
