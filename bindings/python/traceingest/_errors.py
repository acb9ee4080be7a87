# SPDX-License-Identifier: MIT
"""Status codes and the exceptions they become."""

OK = 0
DONE = 1
ERR_NOMEM = -1
ERR_INVALID = -2
ERR_IO = -3
ERR_PARSE = -4
ERR_FORMAT_UNKNOWN = -5
ERR_FORMAT_AMBIGUOUS = -6
ERR_LIMIT = -7
ERR_VERSION = -8
ERR_MISUSE = -9


class Error(Exception):
    """A libtraceingest error. `code` is the negative TI_ERR_* status,
    `message` the library's text; `file`, `line` (1-based, 0 if unknown),
    `byte_offset` and `record_index` give the position when there is one."""

    def __init__(self, code, message, file=None, line=0, byte_offset=0, record_index=0):
        super().__init__(code, message, file, line, byte_offset, record_index)
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.byte_offset = byte_offset
        self.record_index = record_index

    def __str__(self):
        from ._backend import B
        what = B.strerror(self.code)
        if self.file and self.line:
            return "%s:%d: %s (%s, byte %d)" % (self.file, self.line, self.message, what,
                                                self.byte_offset)
        if self.file and not self.message.startswith(self.file):
            return "%s: %s (%s)" % (self.file, self.message, what)
        return "%s (%s)" % (self.message, what) if self.message else what


class NoMemoryError(Error, MemoryError):
    """TI_ERR_NOMEM"""


class InvalidArgumentError(Error, ValueError):
    """TI_ERR_INVALID: bad argument, unknown format option or flag."""


class InputError(Error):
    """TI_ERR_IO: the input could not be opened or read."""


class ParseError(Error):
    """TI_ERR_PARSE: a malformed record (raised only in strict mode)."""


class UnknownFormatError(Error):
    """TI_ERR_FORMAT_UNKNOWN: no format accepted the input."""


class AmbiguousFormatError(Error):
    """TI_ERR_FORMAT_AMBIGUOUS: two formats tied at the top probe score."""


class LimitError(Error):
    """TI_ERR_LIMIT: record size or nesting limit exceeded."""


class VersionError(Error):
    """TI_ERR_VERSION: struct size / ABI mismatch."""


class MisuseError(Error):
    """TI_ERR_MISUSE: API used on the wrong object or state."""


_BY_CODE = {
    ERR_NOMEM: NoMemoryError,
    ERR_INVALID: InvalidArgumentError,
    ERR_IO: InputError,
    ERR_PARSE: ParseError,
    ERR_FORMAT_UNKNOWN: UnknownFormatError,
    ERR_FORMAT_AMBIGUOUS: AmbiguousFormatError,
    ERR_LIMIT: LimitError,
    ERR_VERSION: VersionError,
    ERR_MISUSE: MisuseError,
}


def error_for(code, message, file=None, line=0, byte_offset=0, record_index=0):
    """The Error subclass instance for a status code."""
    return _BY_CODE.get(code, Error)(code, message, file, line, byte_offset, record_index)
