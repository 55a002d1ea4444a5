#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL cluster: initdb and pg_ctl in a temporary
# folder (no system service), on 127.0.0.1:${NASCTL_PG_PORT:-55432}, user and database
# `nasctl`, trust authentication. The command sees NASCTL_TEST_POSTGRES=postgresql://nasctl@…;
# the cluster is stopped and deleted when it ends, however it ends.
#   bash scripts/test-postgres.sh bash scripts/test.sh
# Without PostgreSQL installed it runs the command alone (the PostgreSQL tests are then skipped).
set -euo pipefail
bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then bindir="$(pg_config --bindir)"; fi
[ -z "$bindir" ] && bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "nasctl: PostgreSQL is not installed; running without it (its tests are skipped)" >&2
  exec "$@"
fi
port="${NASCTL_PG_PORT:-55432}"
dir="$(mktemp -d /tmp/nasctl-pg.XXXXXX)"
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  # The server refuses to run as root.
  chown postgres "$dir"
  run_as=(runuser -u postgres --)
fi
stop() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U nasctl -A trust --no-sync >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U nasctl nasctl
export NASCTL_TEST_POSTGRES="postgresql://nasctl@127.0.0.1:$port/nasctl"
# How a test restarts the server (a database restart mid-search): run as the server's user.
export NASCTL_TEST_POSTGRES_RESTART="${run_as[*]} $bindir/pg_ctl -D $dir/data -m immediate -w restart"
echo "nasctl: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') at $NASCTL_TEST_POSTGRES" >&2
"$@"
