#!/usr/bin/env bash
# A private PostgreSQL server for the keypackage-directory tests, on loopback.
#
#   bash .ci/postgres.sh start   # install (if missing), initdb, start; prints the export line
#   bash .ci/postgres.sh env     # prints the export line of a running server
#   bash .ci/postgres.sh stop    # stops it (the data directory stays; `wipe` removes it)
#   bash .ci/postgres.sh wipe    # stops it and removes its data directory
#
#   eval "$(bash .ci/postgres.sh start)"    # then: cargo test -p keypackage-directory
#
# The server is ours alone: its own data directory (KEYPACKAGE_PG_DIR, default
# /tmp/keypackage-pg), its own port (KEYPACKAGE_PG_PORT, default 55432), listening
# on 127.0.0.1 only, with trust authentication for loopback connections (a test
# cluster that holds nothing but test data). PostgreSQL refuses to run as root,
# so under root the cluster belongs to the `postgres` system user, which the
# distribution's package creates. If the server binaries are missing and we are
# root, they are installed from the distribution's packages.
set -euo pipefail

action="${1:-start}"
data_dir="${KEYPACKAGE_PG_DIR:-/tmp/keypackage-pg}"
port="${KEYPACKAGE_PG_PORT:-55432}"
database="keypackage_test"
role="keypackage"
url="postgres://${role}@127.0.0.1:${port}/${database}"

log() { echo "postgres.sh: $*" >&2; }

# The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin).
find_bin() {
  local candidate
  candidate="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$candidate" && -x "$candidate/pg_ctl" && -x "$candidate/postgres" ]]; then
    echo "$candidate"
    return
  fi
  if command -v pg_ctl >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  fi
}

bin="$(find_bin)"
if [[ -z "$bin" && "$action" == "start" ]]; then
  if [[ "$(id -u)" != "0" ]]; then
    log "no PostgreSQL server binaries found; install the distribution's postgresql package"
    exit 1
  fi
  log "installing PostgreSQL from the distribution's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q postgresql >&2
  bin="$(find_bin)"
  if [[ -z "$bin" ]]; then
    log "postgresql installed, but no pg_ctl/postgres found"
    exit 1
  fi
fi

# Run a server binary as the cluster's owner.
as_owner() {
  if [[ "$(id -u)" == "0" ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [[ -n "$bin" && -f "$data_dir/PG_VERSION" ]] && as_owner "$bin/pg_ctl" -D "$data_dir" status >/dev/null 2>&1
}

case "$action" in
  start)
    if ! running; then
      if [[ ! -f "$data_dir/PG_VERSION" ]]; then
        mkdir -p "$data_dir"
        if [[ "$(id -u)" == "0" ]]; then
          chown postgres: "$data_dir"
        fi
        chmod 700 "$data_dir"
        log "initdb $data_dir ($bin)"
        as_owner "$bin/initdb" -D "$data_dir" -U postgres -A trust -E UTF8 --locale=C >/dev/null
      fi
      # The socket directory is the data directory (no system-wide /run path
      # needed); TCP on loopback only; enough connections for the
      # concurrency tests (4 processes x 8 tasks) next to the other tests.
      log "starting on 127.0.0.1:$port"
      as_owner "$bin/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w -t 60 \
        -o "-p $port -k $data_dir -c listen_addresses=127.0.0.1 -c max_connections=200" \
        start >/dev/null
      if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_roles WHERE rolname = '$role'" | grep -q 1; then
        as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q \
          -c "CREATE ROLE $role LOGIN" >&2
      fi
      if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
        as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q \
          -c "CREATE DATABASE $database OWNER $role" >&2
      fi
    fi
    echo "export KEYPACKAGE_TEST_POSTGRES=$url"
    ;;
  env)
    running || { log "not running (bash .ci/postgres.sh start)"; exit 1; }
    echo "export KEYPACKAGE_TEST_POSTGRES=$url"
    ;;
  stop)
    if running; then
      as_owner "$bin/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null
      log "stopped"
    fi
    ;;
  wipe)
    if running; then
      as_owner "$bin/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null
    fi
    rm -rf "$data_dir"
    log "removed $data_dir"
    ;;
  *)
    log "usage: $0 start|env|stop|wipe"
    exit 2
    ;;
esac
