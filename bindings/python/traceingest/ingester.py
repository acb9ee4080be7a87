# SPDX-License-Identifier: MIT
"""Drop-in for the trace-ingestion framework's ingester contract:

    TraceIngester().ingest(path) -> Iterator[TraceState]

TraceState has exactly state_id, messages (OpenAI-style chat history before
the step) and student_action (the step's text).
"""
import sys
from typing import Any, Dict, Iterator, List

from ._core import Trace

if sys.version_info >= (3, 8):
    from typing import TypedDict
else:  # pragma: no cover
    TypedDict = dict


class TraceState(TypedDict):
    state_id: str
    messages: List[Dict[str, Any]]
    student_action: str


class TraceIngester:
    """Turns trace files or directories into TraceState dicts.

    The constructor takes what traceingest.open() takes besides the path
    (format=None, strict=False, **format_options); ingest(path) yields one
    TraceState per assistant turn, each with its own fresh lists and dicts.
    """

    def __init__(self, format=None, strict=False, **options):
        self.format = format
        self.strict = strict
        self.options = options

    def ingest(self, path) -> Iterator[TraceState]:
        with Trace(path, self.format, self.strict, self.options) as trace:
            for s in trace:
                yield TraceState(state_id=s.id, messages=s.messages,
                                 student_action=s.student_action)
