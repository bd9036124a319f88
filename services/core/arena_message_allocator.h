#ifndef HERD_SERVICES_CORE_ARENA_MESSAGE_ALLOCATOR_H_
#define HERD_SERVICES_CORE_ARENA_MESSAGE_ALLOCATOR_H_

#include <grpcpp/support/message_allocator.h>

#include <cstddef>

#include "google/protobuf/arena.h"

namespace herd {

// Arena options for messages of up to about a megabyte: the first block is `first_block` (`size`
// bytes, owned by the caller and outliving the arena), then blocks of 64 KiB growing to 1 MiB.
inline google::protobuf::ArenaOptions ArenaOptionsWithFirstBlock(char* first_block, size_t size) {
  google::protobuf::ArenaOptions options;
  options.initial_block = first_block;
  options.initial_block_size = size;
  options.start_block_size = 64 << 10;
  options.max_block_size = 1 << 20;
  return options;
}

// Puts a callback unary method's request and response on one protobuf arena per call
// (SetMessageAllocatorFor_<Method>). The messages and string objects of a batch of reports then
// come from a few blocks (protobuf 3.21 still takes the contents of strings longer than 15
// bytes from the heap): parsing the request and building the response otherwise allocate every
// string and sub-message on their own, and free them on another thread, which left a batch's
// stamps cold in the allocator's free lists (a cache miss per allocation in profiles of the
// report path).
template <typename Request, typename Response>
class ArenaMessageAllocator : public grpc::MessageAllocator<Request, Response> {
 public:
  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Holder(); }

 private:
  class Holder : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(ArenaOptionsWithFirstBlock(first_block_, kFirstBlockBytes)) {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static constexpr size_t kFirstBlockBytes = 16 << 10;
    // Before the arena, which is built on it.
    alignas(std::max_align_t) char first_block_[kFirstBlockBytes];
    google::protobuf::Arena arena_;
  };
};

}  // namespace herd

#endif  // HERD_SERVICES_CORE_ARENA_MESSAGE_ALLOCATOR_H_
