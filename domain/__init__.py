"""The CNRS international instruments and the lifecycle of a project, as a pure decider.

No I/O, no clock, no randomness: callers supply business time and command ids.
"""
