#!/bin/sh
# One-shot schema setup for Temporal's PostgreSQL persistence, run by the
# temporalio/admin-tools image (service temporal-schema in docker-compose.yml) before the
# server starts, as Temporal's own compose examples do (temporalio/samples-server,
# compose/scripts/setup-postgres.sh). Safe on every `docker compose up`:
#   create-database  ignores a database that already exists;
#   setup-schema -v 0.0  only creates the version tables, and leaves a newer version alone;
#   update-schema    applies only the versioned migrations not yet applied, so a newer
#                    admin-tools image upgrades the schema of an existing cluster.
# The password is read by temporal-sql-tool from SQL_PASSWORD.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
DB_PORT="${DB_PORT:-5432}"
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
    temporal-sql-tool --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port "$DB_PORT" \
        --user "$POSTGRES_USER" "$@"
}

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
attempt=1
until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
    if [ "$attempt" -ge 30 ]; then
        echo "PostgreSQL did not accept connections" >&2
        exit 1
    fi
    attempt=$((attempt + 1))
    sleep 2
done

for store in "$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"; do
    db="${store%%:*}"
    schema="${store#*:}"
    echo "schema of $db ($schema)"
    sql_tool --database "$db" create-database
    sql_tool --database "$db" setup-schema -v 0.0
    sql_tool --database "$db" update-schema -d "$SCHEMA_DIR/$schema/versioned"
done
echo "Temporal schema is up to date"
