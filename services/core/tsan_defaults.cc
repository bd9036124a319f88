// ThreadSanitizer settings built into every program of a -DHERD_SANITIZE=thread build.
//
// gRPC 1.51, Protobuf and Abseil come from Debian, built without TSan. herd::Mutex and
// herd::HandOff/TakeOver (services/core/mutex.h) make Herd's own synchronisation visible, but
// gRPC hands its call objects between threads through its own uninstrumented queues, so the
// accesses its inline header code (grpcpp/) makes to them show up as races. Those, and only
// those, are suppressed here: a race with Herd's own code at the top of a stack is still reported.

extern "C" const char* __tsan_default_options() {
  // Interceptors (memcpy, malloc, ...) called from uninstrumented libraries are not checked.
  return "ignore_noninstrumented_modules=1:second_deadlock_stack=1";
}

extern "C" const char* __tsan_default_suppressions() {
  return
      // A call's operations: built and serialised on the caller's thread, finished on a
      // callback thread.
      "race:grpc::internal::CallOp\n"
      "race:grpc::internal::Call::\n"
      "race:grpc::internal::CallbackUnaryCallImpl\n"
      "race:grpc::internal::CallbackWithStatusTag::CallbackWithStatusTag\n"
      "race:grpc::internal::Interceptor\n"
      "race:grpc::internal::MetadataMap\n"
      "race:grpc::ByteBuffer\n"
      "race:grpc::SerializationTraits\n"
      "race:grpc::GenericSerialize\n"
      "race:grpc::GenericDeserialize\n"
      // The status a callback is given, written by gRPC just before the callback runs. Top frame
      // only: Run() is below every callback, and races inside callbacks must stay visible.
      "race_top:grpc::internal::CallbackWithStatusTag::Run\n"
      "race:std::function<void (grpc::Status)>::function(std::function<void (grpc::Status)>&&)\n"
      "race:grpc::Status::Status\n"
      "race:grpc::Status::operator=\n"
      // gRPC's own allocations.
      "race:gpr_malloc\n"
      "race:gpr_zalloc\n";
}
