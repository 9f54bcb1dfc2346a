#!/usr/bin/env bash
# Make sure PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) answer before tests or the demo run.
#
# - Already answering: prints "postgres ok, redis ok" and exits 0 (needs no root).
# - Not answering, on a local host, and installed here (pg_ctlcluster / redis-server on PATH):
#   starts it the way this machine's services are started, then waits up to 20 s.
# - Otherwise: says what to do (docker compose up -d, or apt-get install) and exits 1.
#
# Once PostgreSQL answers, the database named in DATABASE_URL is created if it is missing
# (only when psql is on PATH).
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/warroom}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
WAIT_SECONDS="${ENSURE_SERVICES_WAIT:-20}"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

have() { command -v "$1" >/dev/null 2>&1; }
say() { printf '%s\n' "ensure-services: $*" >&2; }

# parse_url URL DEFAULT_PORT -> sets URL_HOST, URL_PORT, URL_DB (path without leading '/')
parse_url() {
  local url="$1" default_port="$2" rest authority hostport
  rest="${url#*://}"            # drop scheme
  rest="${rest%%\?*}"           # drop query
  rest="${rest%%#*}"            # drop fragment
  authority="${rest%%/*}"
  if [[ "$rest" == */* ]]; then URL_DB="${rest#*/}"; else URL_DB=""; fi
  hostport="${authority##*@}"   # drop user:password@
  if [[ "$hostport" == \[* ]]; then           # [::1]:5432
    URL_HOST="${hostport#\[}"
    URL_HOST="${URL_HOST%%\]*}"
    URL_PORT="${hostport##*\]}"
    URL_PORT="${URL_PORT#:}"
  elif [[ "$hostport" == *:* ]]; then
    URL_HOST="${hostport%%:*}"
    URL_PORT="${hostport##*:}"
  else
    URL_HOST="$hostport"
    URL_PORT=""
  fi
  [[ -n "$URL_HOST" ]] || URL_HOST="127.0.0.1"
  [[ -n "$URL_PORT" ]] || URL_PORT="$default_port"
}

is_local_host() {
  case "$1" in
    127.*|localhost|::1|0.0.0.0) return 0 ;;
    *) return 1 ;;
  esac
}

# tcp_open HOST PORT: can a TCP connection be made (bash /dev/tcp, bounded by `timeout` if present)
tcp_open() {
  local host="$1" port="$2"
  if have timeout; then
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
  else
    bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
  fi
}

pg_answers() {
  if have pg_isready; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3 >/dev/null 2>&1
  else
    tcp_open "$PG_HOST" "$PG_PORT"
  fi
}

redis_answers() {
  local out
  if have redis-cli && [[ "$REDIS_URL" != rediss://* ]]; then
    if have timeout; then
      out="$(timeout 3 redis-cli -u "$REDIS_URL" ping 2>&1 || true)"
    else
      out="$(redis-cli -u "$REDIS_URL" ping 2>&1 || true)"
    fi
    # PONG, or an auth error: either way a Redis server is answering on that address.
    [[ "$out" == *PONG* || "$out" == *NOAUTH* || "$out" == *WRONGPASS* ]]
  elif [[ "$REDIS_URL" == rediss://* ]]; then
    tcp_open "$REDIS_HOST" "$REDIS_PORT"
  else
    # Speak RESP over /dev/tcp: send PING, expect +PONG (or an auth error).
    local script='exec 3<>"/dev/tcp/$0/$1" || exit 1
      printf "PING\r\n" >&3
      IFS= read -r -t 2 line <&3 || exit 1
      case "$line" in +PONG*|-NOAUTH*|-WRONGPASS*) exit 0 ;; *) exit 1 ;; esac'
    if have timeout; then
      timeout 4 bash -c "$script" "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null
    else
      bash -c "$script" "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null
    fi
  fi
}

# wait_for NAME PROBE_FUNCTION
wait_for() {
  local name="$1" probe="$2" deadline=$((SECONDS + WAIT_SECONDS))
  while (( SECONDS < deadline )); do
    if "$probe"; then return 0; fi
    sleep 0.5
  done
  "$probe"
}

how_to_fix() {
  local what="$1" pkg="$2" url="$3"
  cat >&2 <<EOF
ensure-services: $what is not answering at $url and is not installed on this machine.
  Either start it with Docker, from the repository root:
      docker compose -f "$REPO_ROOT/docker-compose.yml" up -d
  (PostgreSQL 16 on 5432 with trust auth, Redis 7 on 6379), or install it locally:
      sudo apt-get update && sudo apt-get install -y $pkg
  then run this again. Point DATABASE_URL / REDIS_URL elsewhere if your services live on another host.
EOF
}

start_postgres() {
  if ! is_local_host "$PG_HOST"; then
    say "PostgreSQL at $PG_HOST:$PG_PORT is not answering, and it is not on this machine; start it there or fix DATABASE_URL."
    return 1
  fi
  if ! have pg_ctlcluster || [[ ! -d /etc/postgresql ]] || [[ -z "$(ls -A /etc/postgresql 2>/dev/null)" ]]; then
    how_to_fix "PostgreSQL" "postgresql" "$PG_HOST:$PG_PORT"
    return 1
  fi
  local version out
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  say "PostgreSQL is not answering at $PG_HOST:$PG_PORT; starting cluster $version/main"
  if ! out="$(pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1)"; then
    # "already running" is fine: it may just be slow to accept connections.
    if [[ "$out" != *"already running"* ]]; then
      printf '%s\n' "$out" >&2
      say "could not start PostgreSQL (starting it needs root or the postgres user: try sudo)."
      return 1
    fi
  fi
  if ! wait_for postgres pg_answers; then
    say "PostgreSQL was started but did not answer at $PG_HOST:$PG_PORT within ${WAIT_SECONDS}s (is the cluster on another port?)."
    return 1
  fi
}

writable_dir() { [[ -d "$1" && -w "$1" ]]; }

start_redis() {
  if ! is_local_host "$REDIS_HOST"; then
    say "Redis at $REDIS_HOST:$REDIS_PORT is not answering, and it is not on this machine; start it there or fix REDIS_URL."
    return 1
  fi
  if ! have redis-server; then
    how_to_fix "Redis" "redis-server" "$REDIS_HOST:$REDIS_PORT"
    return 1
  fi
  local dir=/var/lib/redis logfile=/var/log/redis/ci.log tmp=""
  if ! writable_dir "$dir"; then
    tmp="${tmp:-$(mktemp -d "${TMPDIR:-/tmp}/warroom-redis.XXXXXX")}"
    dir="$tmp"
  fi
  if ! writable_dir "$(dirname "$logfile")" || { [[ -e "$logfile" ]] && [[ ! -w "$logfile" ]]; }; then
    tmp="${tmp:-$(mktemp -d "${TMPDIR:-/tmp}/warroom-redis.XXXXXX")}"
    logfile="$tmp/redis.log"
  fi
  say "Redis is not answering at $REDIS_HOST:$REDIS_PORT; starting redis-server (dir $dir, log $logfile)"
  if ! redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
      --save "" --appendonly no --dir "$dir" --logfile "$logfile" >&2; then
    say "could not start redis-server (see $logfile)."
    return 1
  fi
  if ! wait_for redis redis_answers; then
    say "redis-server was started but did not answer at $REDIS_HOST:$REDIS_PORT within ${WAIT_SECONDS}s (see $logfile)."
    return 1
  fi
}

# Create the database named in DATABASE_URL when it is missing (needs psql; silent otherwise).
ensure_database() {
  have psql || return 0
  local db="${PG_DB%%\?*}"
  [[ -n "$db" && "$db" =~ ^[A-Za-z0-9_-]+$ ]] || return 0
  local err
  if err="$(PGCONNECT_TIMEOUT=5 psql "$DATABASE_URL" -Atqc 'select 1' 2>&1 >/dev/null)"; then
    return 0
  fi
  [[ "$err" == *"does not exist"* ]] || return 0   # auth problems etc.: leave them to the app
  # Same URL, pointed at the maintenance database "postgres".
  local scheme="${DATABASE_URL%%://*}://" rest="${DATABASE_URL#*://}" query=""
  [[ "$rest" == *\?* ]] && query="?${rest#*\?}"
  local admin_url="$scheme${rest%%/*}/postgres$query"
  if PGCONNECT_TIMEOUT=5 psql "$admin_url" -Atqc "CREATE DATABASE \"$db\"" >/dev/null 2>&1; then
    say "created database $db"
  else
    say "database $db does not exist and could not be created; create it yourself (createdb $db)."
    return 1
  fi
}

parse_url "$DATABASE_URL" 5432
PG_HOST="$URL_HOST" PG_PORT="$URL_PORT" PG_DB="$URL_DB"
parse_url "$REDIS_URL" 6379
REDIS_HOST="$URL_HOST" REDIS_PORT="$URL_PORT"

status=0
if ! pg_answers; then
  start_postgres || status=1
fi
if [[ $status -eq 0 ]]; then
  ensure_database || status=1
fi
if ! redis_answers; then
  start_redis || status=1
fi

if [[ $status -ne 0 ]]; then
  exit 1
fi
echo "postgres ok, redis ok"
