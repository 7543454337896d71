#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster on loopback, exported as SAMENSPRAAK_TEST_POSTGRES_URL.
# The cluster lives under var/ and is removed afterwards. Usage: scripts/with-postgres.sh CMD [ARGS…]
set -euo pipefail
bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
port="${SAMENSPRAAK_TEST_PG_PORT:-54329}"
base="$(pwd)/var/postgres-test"
rm -rf "$base" && mkdir -p "$base"
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres "$base"
  run_as=(runuser -u postgres --)
fi
"${run_as[@]}" "$bindir/initdb" -D "$base/data" -U samenspraak --auth=trust -E UTF8 --locale=C.UTF-8 >"$base/initdb.log"
"${run_as[@]}" "$bindir/pg_ctl" -D "$base/data" -l "$base/server.log" -w \
  -o "-p $port -k $base -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
stop() { "${run_as[@]}" "$bindir/pg_ctl" -D "$base/data" -m fast stop >/dev/null || true; rm -rf "$base"; }
trap stop EXIT
export SAMENSPRAAK_TEST_POSTGRES_URL="postgresql://samenspraak@127.0.0.1:$port/postgres"
# For the fault tests, which restart the cluster in the middle of a load.
export SAMENSPRAAK_TEST_PG_CTL="$bindir/pg_ctl" SAMENSPRAAK_TEST_PG_DATA="$base/data"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port for the tests"
"$@"
