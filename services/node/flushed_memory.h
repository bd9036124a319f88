#ifndef HERD_SERVICES_NODE_FLUSHED_MEMORY_H_
#define HERD_SERVICES_NODE_FLUSHED_MEMORY_H_

#include <rocksdb/listener.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace herd {

// Hands the pages of flushed memtables back to the system.
//
// Why: a store frees a whole memtable (32 MiB) at a time once it is flushed, and tcmalloc keeps
// such pages for reuse, giving them back only slowly. So a node's RSS stayed at the most
// memtables it ever held at once: after a load that outran the flushes, 70 bytes per stamp of
// a million more than after one that did not. After each flush, what the allocator holds free
// goes back. The memtable just flushed is freed a moment after this listener hears of it, so
// one memtable's worth may stay until the next flush.
//
// Only where the process runs on tcmalloc (herd-node); elsewhere (tests, sanitizer builds) it
// does nothing.
class FlushedMemoryRelease : public rocksdb::EventListener {
 public:
  // Free memory up to `keep` bytes is left to the allocator: its ordinary slack, not a memtable.
  explicit FlushedMemoryRelease(size_t keep = 8 << 20) : keep_(keep) {}

  // Whether the process runs on tcmalloc, whose free memory this releases.
  static bool Available();
  // What the allocator holds free now; 0 without tcmalloc.
  static size_t FreeBytesHeld();

  // Bytes handed back so far (for tests and metrics).
  uint64_t released_bytes() const { return released_bytes_.load(std::memory_order_relaxed); }

  void OnFlushCompleted(rocksdb::DB* db, const rocksdb::FlushJobInfo& info) override;

 private:
  const size_t keep_;
  std::atomic<uint64_t> released_bytes_{0};
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_FLUSHED_MEMORY_H_
