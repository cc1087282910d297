#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests (issue 13).
#
#   scripts/pg-cluster.sh start   # install Debian's postgresql when missing, init + start, create paylink_test
#   scripts/pg-cluster.sh url     # print postgres://postgres@127.0.0.1:PORT/paylink_test
#   scripts/pg-cluster.sh stop    # stop it and remove its directory
#   scripts/pg-cluster.sh installed  # exit 0 when a PostgreSQL server (initdb) is installed
#
# PG_PORT (default 55432) names the cluster: its directory is ${TMPDIR:-/tmp}/paylink-pg-$PG_PORT. If that
# port is taken by something else at start, the next free port above it is used and remembered there,
# so `url` and `stop` with the same PG_PORT find it. Every command is safe to call twice.
# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user.
# PG_NON_DURABLE=1 starts it without fsync, synchronous commits or full-page writes (PostgreSQL's
# "non-durable settings"): what is committed is seen the same, only a crash of the machine or of
# PostgreSQL itself could lose it, and no test crashes either. CREATE DATABASE from the template
# (every PostgreSQL test's fresh database) drops from ~220 ms to ~45 ms. .ci/run sets it; leave it
# unset for a cluster that `npm run bench -- --engine postgres` compares with SQLite's fsynced commits.
# PG_SETTINGS adds server settings at start (`-c name=value ...`).
set -euo pipefail

PORT_REQUESTED="${PG_PORT:-55432}"
ROOT="${TMPDIR:-/tmp}/paylink-pg-${PORT_REQUESTED}"
DATA="$ROOT/data"
DATABASE=paylink_test

log() { echo "pg-cluster: $*" >&2; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then return 1; fi
  echo "$dir"
}

install_postgres() {
  if pg_bin >/dev/null; then return; fi
  if [ "$(id -u)" != 0 ]; then
    log "initdb not found under /usr/lib/postgresql/*/bin and not root: install Debian's postgresql first"
    exit 1
  fi
  log "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y postgresql >/dev/null || { apt-get update >/dev/null && apt-get install -y postgresql >/dev/null; }
  pg_bin >/dev/null || { log "postgresql installed but initdb still missing"; exit 1; }
}

port_in_use() {
  local port=$1
  [ -e "/tmp/.s.PGSQL.$port" ] && return 0
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
  return 1
}

free_port() {
  local port=$PORT_REQUESTED
  while port_in_use "$port"; do
    port=$((port + 1))
    if [ "$port" -gt $((PORT_REQUESTED + 100)) ]; then
      log "no free port in $PORT_REQUESTED..$((PORT_REQUESTED + 100))"
      exit 1
    fi
  done
  echo "$port"
}

running() {
  local bin
  bin=$(pg_bin) || return 1
  [ -f "$DATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

port() { cat "$ROOT/port"; }

start() {
  install_postgres
  local bin
  bin=$(pg_bin)
  if running; then
    log "already running on port $(port) ($DATA)"
    return
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    rm -rf "$ROOT"
    mkdir -p "$ROOT"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$ROOT"
    as_owner "$bin/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  fi
  local port
  port=$(free_port)
  echo "$port" >"$ROOT/port"
  local options="-p $port -k /tmp -c listen_addresses=127.0.0.1" durability=""
  if [ "${PG_NON_DURABLE:-}" = 1 ]; then
    options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    durability=", non-durable"
  fi
  # PG_SETTINGS: more server settings, e.g. "-c shared_buffers=2GB -c max_wal_size=4GB" (README's engine table).
  if [ -n "${PG_SETTINGS:-}" ]; then options+=" $PG_SETTINGS"; fi
  as_owner "$bin/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -o "$options" -w start >/dev/null
  if ! as_owner "$bin/psql" -h /tmp -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
    as_owner "$bin/createdb" -h /tmp -p "$port" -U postgres "$DATABASE"
  fi
  log "started PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on port $port ($DATA)$durability"
}

stop() {
  if [ ! -d "$ROOT" ]; then
    log "no cluster at $ROOT"
    return
  fi
  if running; then as_owner "$(pg_bin)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
  rm -rf "$ROOT"
  log "stopped and removed $ROOT"
}

url() {
  if ! running; then
    log "not running (scripts/pg-cluster.sh start first)"
    exit 1
  fi
  echo "postgres://postgres@127.0.0.1:$(port)/$DATABASE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) url ;;
installed) pg_bin >/dev/null ;;
*)
  echo "usage: $0 start|stop|url|installed   (env PG_PORT, default 55432)" >&2
  exit 2
  ;;
esac
