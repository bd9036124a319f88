#!/usr/bin/env bash
# The herd in containers, end to end. Builds the image (deploy/herd image; the engine caches it
# between runs), then under docker-compose and on a one-node Docker Swarm: IAMAT at Hands,
# WHATSAT at Welsh three hops away; Goloman's container killed, traffic still flows around it;
# Goloman back, it catches up (every node ends with the same store digest); the logs show each
# process's start-up line; taking the herd down leaves no container, network or volume.
# Both run with mutual TLS: the certificates are made by `deploy/herd compose` (into a temporary
# $HERD_CERTS) and reach the containers as read-only bind mounts (compose) and as swarm secrets
# (stack); a plain-text gRPC call to a node's published port fails, herd-probe over TLS (as the
# node) succeeds and the engine reports every node healthy (its healthcheck is herd-probe over
# TLS), every node logs that it listens with TLS and none warns of a plain-text port, and the
# text protocol through the gateways (which reach their nodes over TLS) floods to every node.
#
#   containers_test.sh PROBE_DIR      (the directory holding herd-probe)
#
# Needs a Docker engine: as root it installs docker.io/docker-compose (deploy/herd
# container-deps) and starts dockerd when none runs (overlay2, else vfs), and stops the dockerd
# it started at the end; one already running is left as it was, and so is a swarm it did not
# make. Where no engine can run, prints one line saying why and exits 77 (ctest: skipped).
# Traffic goes only to 127.0.0.1 host ports (text 12000-12004, gRPC 12100-12104).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROBE=${1:?usage: containers_test.sh PROBE_DIR}/herd-probe
PROJECT=herdtest
NODES=(Goloman Hands Holiday Welsh Wilkes) # node i: text port 12000+i, gRPC port 12100+i
HANDS_TEXT=12001
WELSH_TEXT=12003
GOLOMAN_GRPC=12100
# The certificates the herd under test uses: a temporary directory (made in main) that
# deploy/herd compose fills in the compose phase; swarm secrets named for this run, so that they
# cannot clash with another stack's.
HERD_CERTS=
HERD_CERTS_VERSION=test$$
HERD_CA_VERSION=test$$
export HERD_CERTS HERD_CERTS_VERSION HERD_CA_VERSION
HANDS_METRICS=12201         # node i: /metrics on 12200+i, its gateway's on 12300+i
HANDS_GATEWAY_METRICS=12301

say() { printf 'containers-test: %s\n' "$*" >&2; }
fail() {
  say "FAIL: $*"
  diagnose
  exit 1
}

# What the engine shows of the herd under test, before cleanup removes it.
diagnose() {
  command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1 || return 0
  say "containers of $PROJECT:"
  docker ps -a --filter "name=$PROJECT" --format '  {{.Names}} {{.Status}} {{.Ports}}' >&2 || true
  local container
  for container in $(docker ps -aq --filter "name=${PROJECT}_" 2>/dev/null); do
    say "last output of $(docker inspect -f '{{.Name}}' "$container"):"
    docker logs --tail 3 "$container" 2>&1 | sed 's/^/  /' >&2 || true
  done
  for container in $(docker ps -q --filter "name=${PROJECT}_hands" 2>/dev/null | head -n 1); do
    docker exec "$container" sh -c 'grep -h "link\|listening" /var/log/herd/*.log' 2>&1 |
      sed 's/^/  /' >&2 || true
  done
}
skip() {
  printf 'SKIPPED container end-to-end test: %s\n' "$*"
  exit 77
}

[ -x "$PROBE" ] || fail "no herd-probe at $PROBE"

# ---- The engine ------------------------------------------------------------------------------

DOCKERD_PID=
DOCKERD_LOG=
engine_answers() { timeout 20 docker info >/dev/null 2>&1; }

ensure_engine() {
  if [ "$(id -u)" -eq 0 ]; then
    "$ROOT/deploy/herd" container-deps >&2 || fail "could not install the container packages"
  fi
  command -v docker >/dev/null 2>&1 || skip "no docker command and not root to install docker.io"
  if engine_answers; then
    say "using the Docker engine already running"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || skip "no Docker engine answers and starting dockerd needs root"
  command -v dockerd >/dev/null 2>&1 || skip "no dockerd on this machine"
  local driver deadline
  DOCKERD_LOG=$(mktemp "${TMPDIR:-/tmp}/herd-dockerd.XXXXXX")
  for driver in overlay2 vfs; do
    setsid dockerd --storage-driver "$driver" >"$DOCKERD_LOG" 2>&1 &
    DOCKERD_PID=$!
    deadline=$((SECONDS + 60))
    while [ $SECONDS -lt $deadline ] && kill -0 "$DOCKERD_PID" 2>/dev/null; do
      if engine_answers; then
        say "started dockerd (storage driver $driver, pid $DOCKERD_PID, log $DOCKERD_LOG)"
        return 0
      fi
      sleep 1
    done
    stop_dockerd
    say "dockerd did not start with storage driver $driver: $(tail -n 1 "$DOCKERD_LOG")"
  done
  skip "dockerd does not start here (tried overlay2 and vfs; log $DOCKERD_LOG)"
}

stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill -TERM "$DOCKERD_PID" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ] && kill -0 "$DOCKERD_PID" 2>/dev/null; do sleep 0.5; done
  kill -KILL "$DOCKERD_PID" 2>/dev/null || true
  wait "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=
}

# ---- Talking to the herd (127.0.0.1 only) ------------------------------------------------------

# Sends one line to the text port and prints the reply: one line for IAMAT, up to the blank line
# that ends a WHATSAT answer. Bounded: 10 s.
text_call() {
  timeout 10 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "%s\n" "$2" >&3
    while IFS= read -r -t 8 line <&3; do
      printf "%s\n" "$line"
      case "$2" in IAMAT*) break ;; esac
      [ -n "$line" ] || break
    done' _ "$1" "$2"
}

# IAMAT for CLIENT at the node behind PORT; prints the AT line. A gateway that has just started
# may still be connecting to its node (it answers "? ..." then): retried for up to 30 s.
iamat() {
  local port=$1 client=$2 reply deadline=$((SECONDS + 30))
  while :; do
    reply=$(text_call "$port" "IAMAT $client +34.068930-118.445127 $(date +%s).000000001" || true)
    if [[ $reply == "AT "* ]]; then
      printf '%s\n' "$reply"
      return 0
    fi
    [ $SECONDS -lt $deadline ] || fail "IAMAT $client at port $port: no AT answer (last: \"$reply\")"
    sleep 0.5
  done
}

# Polls WHATSAT at PORT until its AT line is AT_LINE (the stamp has reached that node). Bounded
# by 60 s: in a swarm a service's name exists only once its task runs, and gRPC backs off
# between failed lookups (1 s growing by 1.6x), so a link to a peer that started late can take
# tens of seconds to open on a loaded machine.
await_whatsat() {
  local port=$1 client=$2 at_line=$3 reply deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    reply=$(text_call "$port" "WHATSAT $client 10 3" || true)
    if [ "$(head -n 1 <<<"$reply")" = "$at_line" ] && grep -q '"results"' <<<"$reply"; then
      return 0
    fi
    sleep 0.2
  done
  fail "WHATSAT $client at port $port never answered with \"$at_line\" (last: $(head -n 2 <<<"$reply"))"
}

# herd-probe over TLS as node NAME (its certificate; the callee must prove to be NAME).
probe_as() {
  local name=$1
  shift
  "$PROBE" --ca "$HERD_CERTS/ca.pem" --cert "$HERD_CERTS/node-$name.pem" \
    --key "$HERD_CERTS/node-$name.key" --node "$name" "$@"
}

all_ports() {
  local i
  for i in "${!NODES[@]}"; do printf '%s %s %s\n' "${NODES[$i]}" $((12000 + i)) $((12100 + i)); done
}

# GET http://127.0.0.1:PORT/metrics through bash's /dev/tcp (no HTTP client needed); prints the
# body of a 200 answer. Bounded: 10 s.
scrape_metrics() {
  local response
  response=$(timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
    printf "GET /metrics HTTP/1.0\r\nHost: herd\r\n\r\n" >&3 && cat <&3' "$1") || return 1
  [[ $response == "HTTP/1."*" 200 "* ]] || return 1
  printf '%s\n' "${response#*$'\r\n\r\n'}"
}

# The value of SERIES (exactly as exposed, labels included) at metrics port PORT is at least MIN.
expect_metric_at_least() {
  # Polled for up to 20 s: a counter may lag the traffic, and a link may still be dialling when
  # the stores already agree through other paths.
  local port=$1 series=$2 min=$3 body value deadline=$((SECONDS + 20))
  while :; do
    body=$(scrape_metrics "$port") || body=
    value=$(awk -v s="$series" '$1 == s {print $2}' <<<"$body")
    if [ -n "$value" ] && awk -v v="$value" -v m="$min" 'BEGIN {exit !(v >= m)}'; then return; fi
    if [ $SECONDS -ge $deadline ]; then
      [ -n "$body" ] || fail "no /metrics answer on host port $port"
      [ -n "$value" ] || fail "no $series in /metrics on port $port"
      fail "$series is $value on port $port, expected at least $min"
    fi
    sleep 0.5
  done
}

# Every node answers health SERVING and every gateway accepts connections; bounded.
await_herd_healthy() {
  local name text grpc deadline=$((SECONDS + $1))
  while read -r name text grpc; do
    until probe_as "$name" --timeout-ms 1000 health "127.0.0.1:$grpc" text "127.0.0.1:$text" \
      2>/dev/null; do
      [ $SECONDS -lt $deadline ] || fail "$name (text $text, gRPC $grpc) did not become healthy"
      sleep 1
    done
  done < <(all_ports)
}

ports_free() {
  local name text grpc
  while read -r name text grpc; do
    for port in "$text" "$grpc"; do
      ! "$PROBE" --timeout-ms 500 text "127.0.0.1:$port" 2>/dev/null ||
        fail "host port $port is already in use (a herd running? stop it first)"
    done
  done < <(all_ports)
}

# Every node holds EXPECTED stamps and the same store digest; bounded: 60 s.
await_converged() {
  local expected=$1 deadline=$((SECONDS + 60)) statuses name text grpc
  while :; do
    statuses=$(while read -r name text grpc; do
      probe_as "$name" status "127.0.0.1:$grpc" 2>&1 || true
    done < <(all_ports))
    if [ "$(awk -v n="$expected" '$2 == n {print $3}' <<<"$statuses" | sort -u | wc -l)" -eq 1 ] &&
      [ "$(awk -v n="$expected" '$2 == n' <<<"$statuses" | wc -l)" -eq ${#NODES[@]} ]; then
      say "converged: every node holds $expected stamps, digest $(awk '{print $3; exit}' <<<"$statuses")"
      return 0
    fi
    [ $SECONDS -lt $deadline ] || fail "the herd did not converge on $expected stamps: $statuses"
    sleep 0.5
  done
}

# TLS is on: at every node's published gRPC port a plain-text call fails while one over TLS
# succeeds, and another node's name is not accepted for it (dialers check who answers); the
# engine reports every node's container healthy (its healthcheck is herd-probe over TLS).
# CONTAINER_OF NAME prints the container id of node NAME (lower-case service name).
tls_checks() {
  local container_of=$1 name text grpc container health deadline
  while read -r name text grpc; do
    ! "$PROBE" --timeout-ms 3000 health "127.0.0.1:$grpc" 2>/dev/null ||
      fail "$name answers a plain-text gRPC call on port $grpc: TLS is off"
    probe_as "$name" --timeout-ms 3000 health "127.0.0.1:$grpc" ||
      fail "$name does not answer herd-probe over TLS on port $grpc"
    ! "$PROBE" --timeout-ms 3000 --ca "$HERD_CERTS/ca.pem" --node Nobody \
      health "127.0.0.1:$grpc" 2>/dev/null ||
      fail "a TLS dialer expecting node Nobody was answered at $name's port $grpc"
    deadline=$((SECONDS + 120))
    while :; do
      container=$($container_of "${name,,}")
      health=$(docker inspect -f '{{.State.Health.Status}}' "$container" 2>/dev/null || true)
      [ "$health" != healthy ] || break
      [ $SECONDS -lt $deadline ] || fail "the engine reports $name's container \"$health\""
      sleep 1
    done
  done < <(all_ports)
  say "TLS: plain-text gRPC refused at every node, herd-probe over TLS healthy in and out"
}

# Every node's log says it listens with TLS, every gateway's that it reaches its node over TLS,
# and no node warns of a plain-text port. LOGS: the herd's log lines.
tls_log_checks() {
  local logs=$1 name
  for name in "${NODES[@]}"; do
    grep -q "node $name listening on 0.0.0.0:12100 (port 12100, TLS" <<<"$logs" ||
      fail "$name's log does not say it listens with TLS"
    grep -q "gateway for $name listening on 0.0.0.0:12000, node at ${name,,}:12100 over TLS;" \
      <<<"$logs" || fail "the gateway for $name does not say it reaches its node over TLS"
  done
  ! grep -q 'WARNING.*WITHOUT TLS' <<<"$logs" || fail "a node warns that it runs without TLS"
}

# The checks, under compose or swarm; KILL and REVIVE act on Goloman's container.
herd_checks() {
  local kill=$1 revive=$2 run=$$-$RANDOM at
  await_herd_healthy 240
  at=$(iamat $HANDS_TEXT "kiwi-$run") || fail "no answer to IAMAT at Hands"
  [[ $at == "AT Hands "* ]] || fail "IAMAT at Hands answered \"$at\""
  await_whatsat $WELSH_TEXT "kiwi-$run" "$at"
  say "IAMAT at Hands is seen by WHATSAT at Welsh, three hops away"
  await_converged 1
  expect_metric_at_least $HANDS_METRICS 'herd_node_reports_received_total{source="client"}' 1
  expect_metric_at_least $HANDS_METRICS 'herd_peer_link_up{peer="Goloman"}' 1
  expect_metric_at_least $HANDS_GATEWAY_METRICS 'herd_gateway_lines_total{command="IAMAT",node="Hands"}' 1
  expect_metric_at_least $HANDS_GATEWAY_METRICS 'herd_gateway_node_up{node="Hands"}' 1
  say "/metrics of Hands and of its gateway count the IAMAT"

  $kill
  local deadline=$((SECONDS + 20))
  while probe_as Goloman --timeout-ms 500 health "127.0.0.1:$GOLOMAN_GRPC" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "Goloman still answers after its container was killed"
    sleep 0.2
  done
  at=$(iamat $HANDS_TEXT "kea-$run") || fail "no answer to IAMAT at Hands with Goloman down"
  [[ $at == "AT Hands "* ]] || fail "IAMAT at Hands answered \"$at\" with Goloman down"
  await_whatsat $WELSH_TEXT "kea-$run" "$at"
  say "with Goloman killed, the stamp still reaches Welsh (through Wilkes and Holiday)"

  $revive
  await_herd_healthy 240
  await_converged 2
}

# ---- Compose ---------------------------------------------------------------------------------

COMPOSE=()
compose() { "${COMPOSE[@]}" -p "$PROJECT" -f "$ROOT/deploy/docker-compose.yml" "$@"; }
compose_container() { compose ps -q "$1"; }
compose_kill_goloman() { docker kill "$(compose_container goloman)" >/dev/null; }
compose_revive_goloman() { compose start goloman >/dev/null 2>&1; }

left_behind() { # LABEL=VALUE: containers, networks and volumes still carrying it
  docker ps -aq --filter "label=$1"
  docker network ls -q --filter "label=$1"
  docker volume ls -q --filter "label=$1"
  docker secret ls -q --filter "label=$1" 2>/dev/null || true
}

compose_phase() {
  if command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  elif docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  else
    fail "neither docker-compose nor docker compose"
  fi
  say "compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || true))"
  # Through deploy/herd: it makes the certificates ($HERD_CERTS is empty) before compose up.
  "$ROOT/deploy/herd" compose -p "$PROJECT" up -d >&2 || fail "deploy/herd compose up failed"
  [ -s "$HERD_CERTS/ca.pem" ] && [ -s "$HERD_CERTS/node-Goloman.key" ] &&
    [ -s "$HERD_CERTS/gateway-Welsh.pem" ] || fail "deploy/herd compose made no certificates"
  herd_checks compose_kill_goloman compose_revive_goloman
  tls_checks compose_container
  local logs
  logs=$(compose logs --no-color 2>&1)
  grep -q 'herd-node Welsh: gRPC on 0.0.0.0:12100' <<<"$logs" ||
    fail "compose logs lack Welsh's start-up line"
  grep -q 'herd-gateway: Hands text on 0.0.0.0:12000' <<<"$logs" ||
    fail "compose logs lack the Hands gateway's start-up line"
  tls_log_checks "$(compose exec -T hands sh -c 'cat /var/log/herd/*.log')"
  local files
  files=$(compose exec -T hands ls /var/log/herd) || fail "cannot list the log volume"
  for file in Goloman.log Hands.log Welsh.log gateway-Hands.log gateway-Welsh.log; do
    grep -qx "$file" <<<"$files" || fail "log volume lacks $file (has: $(tr '\n' ' ' <<<"$files"))"
  done
  compose down -v >&2 || fail "compose down -v failed"
  local left
  left=$(left_behind "com.docker.compose.project=$PROJECT")
  [ -z "$left" ] || fail "compose down -v left behind: $left"
  say "compose: down -v left no container, network or volume"
}

# ---- Swarm -----------------------------------------------------------------------------------

MADE_SWARM=
MADE_GWBRIDGE=
ADDED_LABELS=()
swarm_container() {
  docker ps -q --filter "label=com.docker.swarm.service.name=${PROJECT}_$1" | head -n 1
}
swarm_kill_goloman() { docker kill "$(swarm_container goloman)" >/dev/null; }
# The orchestrator restarts the task itself (restart_policy), after its delay.
swarm_revive_goloman() { :; }

stack_remove() {
  docker stack rm "$PROJECT" >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 90))
  while [ -n "$(docker ps -aq --filter "label=com.docker.stack.namespace=$PROJECT")" ] ||
    [ -n "$(docker network ls -q --filter "label=com.docker.stack.namespace=$PROJECT")" ]; do
    [ $SECONDS -lt $deadline ] || break
    sleep 1
  done
  # Secrets still referenced while the services went away.
  local secrets
  secrets=$(docker secret ls -q --filter "label=com.docker.stack.namespace=$PROJECT" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$secrets" ] || docker secret rm $secrets >/dev/null 2>&1 || true
  # A stack never removes its volumes.
  local volumes
  volumes=$(docker volume ls -q --filter "label=com.docker.stack.namespace=$PROJECT")
  # shellcheck disable=SC2086
  [ -z "$volumes" ] || docker volume rm $volumes >/dev/null
}

swarm_phase() {
  local state node label
  state=$(docker info -f '{{.Swarm.LocalNodeState}}')
  if [ "$state" = inactive ]; then
    docker network inspect docker_gwbridge >/dev/null 2>&1 || MADE_GWBRIDGE=1
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null || fail "docker swarm init failed"
    MADE_SWARM=1
    say "swarm: made a one-node swarm"
  elif [ "$(docker info -f '{{.Swarm.ControlAvailable}}')" != true ]; then
    fail "this engine is in a swarm ($state) but not a manager: cannot deploy the stack"
  else
    say "swarm: using the swarm this engine is already in"
  fi
  node=$(docker info -f '{{.Swarm.NodeID}}')
  # The placement file pins each node to the host labelled for it: here, all on this one.
  for label in goloman hands holiday welsh wilkes; do
    if [ -z "$(docker node inspect -f "{{index .Spec.Labels \"herd.$label\"}}" "$node")" ]; then
      docker node update --label-add "herd.$label=true" "$node" >/dev/null
      ADDED_LABELS+=("herd.$label")
    fi
  done
  # Through deploy/herd: the certificates of the compose phase become this run's swarm secrets.
  "$ROOT/deploy/herd" stack --placement "$PROJECT" >&2 || fail "deploy/herd stack failed"
  [ "$(docker secret ls -q --filter "label=com.docker.stack.namespace=$PROJECT" | wc -l)" -eq 21 ] ||
    fail "the stack did not make its 21 secrets (CA, node and gateway certificates and keys)"
  herd_checks swarm_kill_goloman swarm_revive_goloman
  tls_checks swarm_container
  tls_log_checks "$(docker exec "$(swarm_container hands)" sh -c 'cat /var/log/herd/*.log')"
  # Read whole before grep: with pipefail, grep -q leaving early would fail the pipe (SIGPIPE).
  local service_logs
  service_logs=$(docker service logs "${PROJECT}_welsh" 2>&1)
  grep -q 'herd-node Welsh: gRPC on 0.0.0.0:12100' <<<"$service_logs" ||
    fail "service logs lack Welsh's start-up line"
  stack_remove
  local left
  left=$(left_behind "com.docker.stack.namespace=$PROJECT")
  [ -z "$left" ] || fail "the stack left behind: $left"
  say "swarm: stack removed, no container, network or volume left"
}

# ---- The image -------------------------------------------------------------------------------

image_checks() {
  local contents
  contents=$(docker run --rm --entrypoint sh herd:latest -c \
    'ls /usr/local/bin; for t in gcc g++ cc c++ cmake make npm node nodejs; do command -v $t; done; ls -d /src 2>/dev/null; find /usr/include /usr/lib -name "*.h" | head -n 1')
  [ "$(tr '\n' ' ' <<<"$contents")" = "herd-gateway herd-node herd-probe " ] ||
    fail "the runtime image holds more than it runs: $(tr '\n' ' ' <<<"$contents")"
  # An extra CA this host trusts (a TLS-inspecting proxy's) reached the fetching steps as a build
  # secret: it must be in no layer of the image.
  local cert marker
  for cert in /usr/local/share/ca-certificates/*.crt; do
    [ -s "$cert" ] || continue
    marker=$(sed -n '2p' "$cert")
    [ -n "$marker" ] || continue
    if grep -rqF -- "$marker" /usr/share/ca-certificates/ 2>/dev/null; then continue; fi
    if docker save herd:latest | grep -aqF -- "$marker"; then
      fail "this host's CA $cert ended up in a layer of herd:latest"
    fi
  done
  say "image: only herd-node, herd-gateway and herd-probe; no compiler, npm or host CA"
}

cleanup() {
  local status=$?
  trap - EXIT
  if engine_answers; then
    [ ${#COMPOSE[@]} -eq 0 ] || compose down -v >/dev/null 2>&1 || true
    if [ -n "$(docker info -f '{{.Swarm.ControlAvailable}}' 2>/dev/null | grep true)" ]; then
      stack_remove
      local node label
      node=$(docker info -f '{{.Swarm.NodeID}}')
      for label in "${ADDED_LABELS[@]+"${ADDED_LABELS[@]}"}"; do
        docker node update --label-rm "$label" "$node" >/dev/null 2>&1 || true
      done
    fi
    if [ -n "$MADE_SWARM" ]; then
      docker swarm leave --force >/dev/null 2>&1 || true
      # swarm init made this bridge; leaving keeps it.
      [ -z "$MADE_GWBRIDGE" ] || docker network rm docker_gwbridge >/dev/null 2>&1 || true
    fi
  fi
  stop_dockerd
  [ -z "$HERD_CERTS" ] || rm -rf "$HERD_CERTS"
  exit $status
}

main() {
  local started=$SECONDS phase
  ensure_engine
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  HERD_CERTS=$(mktemp -d "${TMPDIR:-/tmp}/herd-container-certs.XXXXXX")
  phase=$SECONDS
  "$ROOT/deploy/herd" image >&2 || fail "deploy/herd image failed"
  say "image ready in $((SECONDS - phase)) s"
  image_checks
  ports_free
  phase=$SECONDS
  compose_phase
  say "compose phase: $((SECONDS - phase)) s"
  phase=$SECONDS
  swarm_phase
  say "swarm phase: $((SECONDS - phase)) s"
  say "PASSED in $((SECONDS - started)) s"
}

main
