"""The worker process: every workflow and activity of collab-lifecycle on one task queue
(built in collab.worker_build, its memory kept in check by collab.worker_memory).

python worker.py          # against COLLAB_TEMPORAL_ADDRESS and COLLAB_DATABASE_URL
"""

from __future__ import annotations

from collab.runtime import worker_main

if __name__ == "__main__":
    worker_main()
