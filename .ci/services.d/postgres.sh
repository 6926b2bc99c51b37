# PostgreSQL for the sync tests (sourced by .ci/run; no systemd): Debian's postgresql,
# a private cluster started directly as the postgres user, a test role and database.
# Idempotent. Exports IDKIOSK_TEST_PG_URL, which the tests read (same default there).
idk_pg_port="${IDKIOSK_PG_PORT:-54329}"
idk_pg_data="${IDKIOSK_PG_DATA:-/var/tmp/idkiosk-pg}"
idk_pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$idk_pg_bin" ]; then
  echo "postgres.sh: PostgreSQL is not installed: apt-get install postgresql" >&2
  return 1
fi
idk_pg() { runuser -u postgres -- "$@"; }
if ! idk_pg "$idk_pg_bin/pg_ctl" -D "$idk_pg_data" status >/dev/null 2>&1; then
  if [ ! -f "$idk_pg_data/PG_VERSION" ]; then
    mkdir -p "$idk_pg_data"
    chown postgres:postgres "$idk_pg_data"
    chmod 700 "$idk_pg_data"
    # Trust on loopback only: a throwaway cluster for tests, nothing listens outside.
    idk_pg "$idk_pg_bin/initdb" -D "$idk_pg_data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  idk_pg "$idk_pg_bin/pg_ctl" -D "$idk_pg_data" -l "$idk_pg_data/server.log" -w -t 60 \
    -o "-p $idk_pg_port -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
fi
idk_psql() { psql -h 127.0.0.1 -p "$idk_pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -tAq "$@"; }
if [ "$(idk_psql -c "SELECT 1 FROM pg_roles WHERE rolname = 'idkiosk'")" != "1" ]; then
  idk_psql -c "CREATE ROLE idkiosk LOGIN PASSWORD 'idkiosk'"
fi
if [ "$(idk_psql -c "SELECT 1 FROM pg_database WHERE datname = 'idkiosk_test'")" != "1" ]; then
  idk_psql -c "CREATE DATABASE idkiosk_test OWNER idkiosk"
fi
export IDKIOSK_TEST_PG_URL="postgres://idkiosk:idkiosk@127.0.0.1:${idk_pg_port}/idkiosk_test"
echo "postgres.sh: PostgreSQL at $IDKIOSK_TEST_PG_URL"
unset -f idk_pg idk_psql
