"""The command line: an entry point over the application layer (steps derived from their
declarations, questions, the directory). The composition root (collab.main) runs it."""
