"""Exceptions of the kvstore client. Every one is a `KvStoreError`.

- `ServerError` carries the server's error code (`code`, `code_name`) and message (`server_message`);
  `AuthenticationError` (AUTH_FAILED, NAMESPACE_DENIED, NOT_AUTHENTICATED), `BusyError` (BUSY: retry) and
  `ShuttingDownError` (SHUTTING_DOWN) are its subclasses for the codes a caller handles differently.
- `ConnectionClosedError` (also a `ConnectionError`): the server went away, or the connection was closed
  after an earlier fatal error; `TimeoutError_` (also the built-in `TimeoutError`): no answer in time.
- `ProtocolError`: the server sent something this client cannot parse.
After a fatal server error, a connection loss, a timeout or a protocol error the client is unusable (its
framing state is unknown): every later call raises `ConnectionClosedError`; open a new client.
"""

ERROR_NAMES = {
    1: "BAD_MAGIC", 2: "UNSUPPORTED_VERSION", 3: "UNKNOWN_OPCODE", 4: "FRAME_TOO_LARGE", 5: "MALFORMED",
    6: "LIMIT_EXCEEDED", 7: "NOT_AUTHENTICATED", 8: "AUTH_FAILED", 9: "NAMESPACE_DENIED", 10: "BUSY",
    11: "INTERNAL", 12: "SHUTTING_DOWN", 13: "BAD_CHECKSUM", 14: "TRUNCATED",
}
FATAL_CODES = frozenset({1, 2, 4, 8, 9, 12, 14})


class KvStoreError(Exception):
    """Base class of every error this client raises."""


class ServerError(KvStoreError):
    """The server answered a request with an error frame.

    Attributes: `code` (the wire status byte), `code_name` (e.g. "AUTH_FAILED"), `server_message` (the
    server's sentence), `opcode` (name of the request's opcode), `fatal` (the server closed the connection).
    """

    def __init__(self, code, server_message, opcode):
        self.code = code
        self.code_name = ERROR_NAMES.get(code, "INTERNAL")
        self.server_message = server_message
        self.opcode = opcode
        self.fatal = code in FATAL_CODES
        super().__init__("server answered %s (%d) to %s: %s" % (self.code_name, code, opcode, server_message))


class AuthenticationError(ServerError):
    """HELLO refused: unknown token (AUTH_FAILED) or a tenant the token may not use (NAMESPACE_DENIED)."""


class BusyError(ServerError):
    """The server's lower-tier read pool is full (BUSY); the connection stays usable: retry later."""


class ShuttingDownError(ServerError):
    """The server is draining for shutdown (SHUTTING_DOWN)."""


class ConnectionClosedError(KvStoreError, ConnectionError):
    """The connection is gone: the server closed it or died (possibly in the middle of a stream), or it was
    closed after an earlier fatal error."""


class TimeoutError_(KvStoreError, TimeoutError):
    """No answer within the client's timeout. The connection is closed (a late answer would desynchronise it)."""


class ProtocolError(KvStoreError):
    """The server sent bytes this client cannot parse (bad magic, version, length or body)."""


class ClientClosedError(KvStoreError):
    """A call on a client after `close()`."""


_BY_CODE = {7: AuthenticationError, 8: AuthenticationError, 9: AuthenticationError, 10: BusyError,
            12: ShuttingDownError}


def server_error(code, message, opcode):
    """The exception for an error frame."""
    return _BY_CODE.get(code, ServerError)(code, message, opcode)
