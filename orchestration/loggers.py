"""A compact progress logger for command-line runs: one line per step, check and failure."""

import logging
import sys
import time

import dagster as dg

_SHOWN = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "ASSET_CHECK_EVALUATION"}


class _ProgressHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        # Bound now: the dbt steps redirect sys.stdout to their log file while dbt runs.
        self._stream = sys.stdout
        self._started: dict[str, float] = {}
        self._checks: dict[str, list[int]] = {}  # step -> [passed, failed (error), warnings]

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            message = str(meta.get("orig_message", record.getMessage()))
            # Skips are reported by their STEP_SKIPPED line and the summary names the cause.
            if message.startswith("Dependencies for step"):
                return
            if record.levelno >= logging.WARNING and step:
                self._write(f"  [{step}] {message}")
            return
        kind = event.event_type_value
        if kind not in _SHOWN:
            return
        now = time.monotonic()
        if kind == "STEP_START":
            self._started[step] = now
            line = f"-> {step}"
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            tally = self._checks.setdefault(step, [0, 0, 0])
            is_warning = not data.passed and data.severity.value == "WARN"
            tally[0 if data.passed else 2 if is_warning else 1] += 1
            if data.passed and step.startswith("dbt_"):
                return  # hundreds of dbt tests: summarized when the step ends
            verdict = "passed" if data.passed else "warning" if is_warning else "FAILED"
            line = f"   check {data.asset_check_key.name} on {data.asset_key.to_user_string()}: {verdict}"
        else:
            took = now - self._started.get(step, now)
            passed, failed, warned = self._checks.get(step, [0, 0, 0])
            checks = (
                f"; checks {passed} passed, {failed} failed, {warned} warning(s)"
                if passed or failed or warned
                else ""
            )
            line = f"<- {step}: {kind.removeprefix('STEP_').lower()} ({took:.1f} s{checks})"
            if kind == "STEP_FAILURE" and event.event_specific_data.error is not None:
                line += f": {step_failure_message(event.event_specific_data.error)}"
        self._write(line)

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()


def step_failure_message(error: object) -> str:
    """The first line of what failed: a ``dg.Failure``'s description or the exception text."""
    message = str(getattr(error, "message", "") or error).strip()
    # SerializableErrorInfo.message is "ExceptionType: text"; dagster wraps user code errors.
    cause = getattr(error, "cause", None)
    if "Error occurred while executing" in message and cause is not None:
        return step_failure_message(cause)
    first = message.splitlines()[0] if message else "unknown error"
    return first.removeprefix("dagster._core.definitions.events.Failure: ")


@dg.logger(description="One line per step, check and failure (used by `pmo-hub run` and `demo`).")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("pmo_hub.run_steps")
    logger.setLevel(logging.DEBUG)
    logger.handlers = [_ProgressHandler()]
    logger.propagate = False
    return logger
