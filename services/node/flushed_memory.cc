#include "services/node/flushed_memory.h"

// tcmalloc's C API, declared weak: resolved in herd-node, which runs on tcmalloc, and null in
// programs that do not (tests, sanitizer builds).
extern "C" {
int MallocExtension_GetNumericProperty(const char* property, size_t* value) __attribute__((weak));
void MallocExtension_ReleaseToSystem(size_t num_bytes) __attribute__((weak));
}

namespace herd {

bool FlushedMemoryRelease::Available() {
  return MallocExtension_GetNumericProperty != nullptr &&
         MallocExtension_ReleaseToSystem != nullptr;
}

size_t FlushedMemoryRelease::FreeBytesHeld() {
  size_t free_bytes = 0;
  if (!Available() ||
      !MallocExtension_GetNumericProperty("tcmalloc.pageheap_free_bytes", &free_bytes)) {
    return 0;
  }
  return free_bytes;
}

void FlushedMemoryRelease::OnFlushCompleted(rocksdb::DB* /*db*/,
                                            const rocksdb::FlushJobInfo& /*info*/) {
  const size_t held = FreeBytesHeld();
  if (held <= keep_ || !Available()) return;
  MallocExtension_ReleaseToSystem(held);
  const size_t left = FreeBytesHeld();
  if (held > left) released_bytes_.fetch_add(held - left, std::memory_order_relaxed);
}

}  // namespace herd
