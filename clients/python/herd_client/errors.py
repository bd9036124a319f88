"""Errors raised by herd_client, one class per gRPC status code a node answers with."""

import grpc


class HerdError(Exception):
    """A call to a node failed. `code` is the gRPC status code name, e.g. "NOT_FOUND"."""

    def __init__(self, code, message, node=None):
        super().__init__(f"{node + ': ' if node else ''}{code}: {message}")
        self.code = code
        self.message = message
        self.node = node


class HerdInvalidArgument(HerdError):
    """The request was malformed; the message names the bad field."""


class HerdNotFound(HerdError):
    """The herd holds no stamp for that client."""


class HerdUnavailable(HerdError):
    """The node could not be reached (down, or not listening there)."""


class HerdDeadlineExceeded(HerdError):
    """The node did not answer within the call's timeout."""


class HerdFailedPrecondition(HerdError):
    """The node cannot serve this call as configured (e.g. no places provider)."""


class HerdPermissionDenied(HerdError):
    """The node refused the caller."""


class HerdResourceExhausted(HerdError):
    """A limit was reached: too many watches on the node, or a watcher fell behind."""


_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: HerdInvalidArgument,
    grpc.StatusCode.NOT_FOUND: HerdNotFound,
    grpc.StatusCode.UNAVAILABLE: HerdUnavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: HerdDeadlineExceeded,
    grpc.StatusCode.FAILED_PRECONDITION: HerdFailedPrecondition,
    grpc.StatusCode.PERMISSION_DENIED: HerdPermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: HerdResourceExhausted,
}

_CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def error_for(code, message, node=None):
    """The HerdError subclass instance for a grpc.StatusCode or its number."""
    if isinstance(code, int):
        code = _CODE_BY_NUMBER.get(code, grpc.StatusCode.UNKNOWN)
    return _BY_CODE.get(code, HerdError)(code.name, message, node)


def from_rpc_error(error, node=None):
    """The HerdError for a grpc.RpcError raised by a stub call."""
    return error_for(error.code(), error.details() or "", node)
