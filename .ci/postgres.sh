#!/usr/bin/env bash
# Source this file (". .ci/postgres.sh") to get a throw-away PostgreSQL server for the PHI
# database tests: installs Debian's postgresql package when absent, starts a cluster on
# 127.0.0.1 in a temporary folder as the postgres user, creates database "caresec_test" and
# exports CARESEC_TEST_POSTGRES_URL. Call caresec_postgres_stop (or let the machine end) after.
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
PG_PORT="${CARESEC_PG_PORT:-55432}"
PG_DIR="$(mktemp -d /tmp/caresec-pg.XXXXXX)"
chown postgres:postgres "$PG_DIR"
PG_PASS="caresec-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PG_PASS" > "$PG_DIR/pw"
chown postgres:postgres "$PG_DIR/pw"
chmod 600 "$PG_DIR/pw"
su postgres -s /bin/sh -c "'$PG_BIN/initdb' -D '$PG_DIR/data' -U postgres --pwfile='$PG_DIR/pw' \
  -A scram-sha-256 >/dev/null"
su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/log' -w \
  -o \"-c listen_addresses=127.0.0.1 -p $PG_PORT -k '$PG_DIR'\" start >/dev/null"
PGPASSWORD="$PG_PASS" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -q \
  -c "CREATE DATABASE caresec_test" >/dev/null
export CARESEC_TEST_POSTGRES_URL="postgresql+psycopg2://postgres:${PG_PASS}@127.0.0.1:${PG_PORT}/caresec_test"
export CARESEC_PG_DIR="$PG_DIR"
caresec_postgres_stop() {
  su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$CARESEC_PG_DIR/data' -m fast stop" >/dev/null
}
set +euo pipefail
