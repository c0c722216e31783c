"""Command line, settings and the local runtime of collab-lifecycle."""
