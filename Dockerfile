# The collab-lifecycle image: `python worker.py` by default; the `collab` console script is
# installed too. Configured only by COLLAB_* variables (collab/settings.py,
# docker-compose.yml).

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md worker.py ./
COPY domain/ domain/
COPY workflows/ workflows/
COPY activities/ activities/
COPY eventstore/ eventstore/
COPY readmodels/ readmodels/
COPY identity/ identity/
COPY application/ application/
COPY cli/ cli/
COPY api/ api/
COPY collab/ collab/
COPY web/ web/
# the project and its runtime dependencies only (no dev extras), not editable
RUN pip install .

FROM python:3.11.14-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    COLLAB_LOG_FORMAT=json
RUN groupadd --system --gid 10001 collab \
    && useradd --system --uid 10001 --gid collab --create-home --home-dir /home/collab \
        --shell /usr/sbin/nologin collab
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY worker.py ./
# the ledger's signing key and digests live on volumes mounted here (docker-compose.yml):
# a new named volume takes this ownership
RUN mkdir -p /var/lib/collab/keys /var/lib/collab/digests \
    && chown -R collab:collab /var/lib/collab && chmod 700 /var/lib/collab/keys
USER collab
# the worker shuts down cleanly on SIGINT (KeyboardInterrupt); SIGTERM would kill it
STOPSIGNAL SIGINT
CMD ["python", "worker.py"]
