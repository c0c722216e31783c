#!/bin/sh
# Runs once, when the postgres image initialises an empty data volume
# (/docker-entrypoint-initdb.d), as the superuser POSTGRES_USER. It creates:
#
#   collab    LOGIN, owner of the database `collab` (event store and read models); it
#             runs the migrations and nothing else. CREATEROLE lets the store's first
#             migration create the role collab_app (eventstore/migrations/0003_app_role.sql,
#             0006_app_login.sql: LOGIN, no other attribute) and administer it: the store
#             sets collab_app's password from COLLAB_DATABASE_APP_PASSWORD and the
#             application logs in as collab_app, which may read and append events, never
#             change them, and cannot become anyone else.
#   temporal  LOGIN, Temporal's own persistence. CREATEDB: the temporal-schema service
#             creates the databases `temporal` and `temporal_visibility` and their
#             schemas (deploy/temporal/setup-schema.sh).
#
# Passwords come from the container's environment (docker-compose.yml). This script never
# runs again on an initialised volume: change a password later with ALTER ROLE.
# No `set -u`: the entrypoint sources a script that is not executable.

: "${POSTGRES_COLLAB_PASSWORD:?POSTGRES_COLLAB_PASSWORD is required}"
: "${POSTGRES_TEMPORAL_PASSWORD:?POSTGRES_TEMPORAL_PASSWORD is required}"

psql -v ON_ERROR_STOP=1 \
    --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
    -v collab_password="$POSTGRES_COLLAB_PASSWORD" \
    -v temporal_password="$POSTGRES_TEMPORAL_PASSWORD" <<'EOSQL'
CREATE ROLE collab WITH LOGIN CREATEROLE PASSWORD :'collab_password';
CREATE DATABASE collab OWNER collab;
REVOKE CONNECT ON DATABASE collab FROM PUBLIC;

CREATE ROLE temporal WITH LOGIN CREATEDB PASSWORD :'temporal_password';
EOSQL
