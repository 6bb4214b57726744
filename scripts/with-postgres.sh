#!/usr/bin/env bash
# Runs a command with RUSTOK_TEST_DATABASE_URL set to a throwaway PostgreSQL: a
# cluster initialised in a temporary folder, owned by an unprivileged user (the
# `postgres` account when run as root, as CI does), listening on 127.0.0.1 on a free
# port, and stopped and deleted when the command ends, whatever its result.
#
# With RUSTOK_TEST_DATABASE_URL already set (a developer's own server), runs the
# command against that instead. Tests create a schema each and drop it afterwards.
set -euo pipefail
if [ -n "${RUSTOK_TEST_DATABASE_URL:-}" ]; then
	exec "$@"
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
	echo "with-postgres: PostgreSQL is not installed (make system-deps installs it), or set RUSTOK_TEST_DATABASE_URL" >&2
	exit 1
fi
dir=$(mktemp -d /tmp/rustok-pg.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then
	chown postgres: "$dir"
	as=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
	"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap stop EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" --auth=trust -U rustok -E UTF8 >"$dir/initdb.log" 2>&1 ||
	{ cat "$dir/initdb.log" >&2; exit 1; }
# Durable as in production (fsync and synchronous_commit stay on); enough
# connections for tests that each open a pool.
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
	-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null ||
	{ cat "$dir/server.log" >&2; exit 1; }
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway, in $dir)" >&2
export RUSTOK_TEST_DATABASE_URL="postgres://rustok@127.0.0.1:$port/postgres"
"$@"
