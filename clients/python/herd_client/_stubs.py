"""The generated protobuf and gRPC modules (built into <build>/python, never committed)."""

try:
    from herd.v1 import location_service_pb2 as pb  # noqa: F401
    from herd.v1 import location_service_pb2_grpc as pb_grpc  # noqa: F401
    from herd.v1 import stamp_pb2  # noqa: F401
except ImportError as error:  # pragma: no cover - a setup problem, not a runtime one
    raise ImportError(
        "herd_client needs the generated herd.v1 modules: build them with "
        "`cmake --build build --target herd_python_stubs` and put build/python on PYTHONPATH"
    ) from error
