#!/bin/sh
# One-shot: registers the namespace the workers use, once the Temporal server answers its
# health check (service temporal-namespace in docker-compose.yml, temporalio/admin-tools
# image). Idempotent: an existing namespace is left as it is.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
: "${NAMESPACE:?NAMESPACE is required}"
RETENTION="${NAMESPACE_RETENTION:-30d}"
ATTEMPTS="${ATTEMPTS:-60}"

attempt=1
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
        echo "Temporal at $TEMPORAL_ADDRESS did not become healthy" >&2
        exit 1
    fi
    attempt=$((attempt + 1))
    sleep 5
done

attempt=1
while :; do
    if temporal operator namespace describe --namespace "$NAMESPACE" \
        --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
        echo "namespace $NAMESPACE exists"
        exit 0
    fi
    if temporal operator namespace create --namespace "$NAMESPACE" \
        --retention "$RETENTION" --address "$TEMPORAL_ADDRESS"; then
        echo "namespace $NAMESPACE created (retention $RETENTION)"
        exit 0
    fi
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
        echo "could not create namespace $NAMESPACE" >&2
        exit 1
    fi
    attempt=$((attempt + 1))
    sleep 5
done
