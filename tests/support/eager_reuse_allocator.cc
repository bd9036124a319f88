// Replaces the global operator new/delete of the test binary it is linked into with an allocator
// that hands the most recently freed block of a size to the next allocation of that size, on any
// thread. Production allocators (tcmalloc, glibc) do this often but not always; doing it always
// turns "an object found by its address after it was freed" from a rare abort into one a test
// meets within seconds.
//
// Not for sanitized builds: the sanitizers need to see every free (CMake leaves it out there).

#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>

namespace {

constexpr size_t kHeader = 16;  // keeps the user block 16-byte aligned, holds its size class
constexpr size_t kGranule = 16;
constexpr size_t kLargestReused = 4096;
constexpr size_t kClasses = kLargestReused / kGranule + 1;
constexpr size_t kMaxCachedPerClass = 256;

struct FreeBlock {
  FreeBlock* next;
};

struct Cache {
  std::mutex mu;
  FreeBlock* head[kClasses] = {};
  size_t count[kClasses] = {};
};

Cache& TheCache() {
  static Cache* cache = new (std::malloc(sizeof(Cache))) Cache();  // never destroyed
  return *cache;
}

size_t ClassOf(size_t size) { return (size + kGranule - 1) / kGranule; }

void* Allocate(size_t size) {
  const size_t size_class = ClassOf(size == 0 ? 1 : size);
  if (size_class < kClasses) {
    Cache& cache = TheCache();
    std::lock_guard<std::mutex> lock(cache.mu);
    if (FreeBlock* block = cache.head[size_class]) {
      cache.head[size_class] = block->next;
      --cache.count[size_class];
      return block;
    }
  }
  const size_t bytes = size_class < kClasses ? size_class * kGranule : size;
  char* raw = static_cast<char*>(std::malloc(kHeader + bytes));
  if (raw == nullptr) throw std::bad_alloc();
  *reinterpret_cast<size_t*>(raw) = size_class;
  return raw + kHeader;
}

void Release(void* pointer) {
  if (pointer == nullptr) return;
  char* raw = static_cast<char*>(pointer) - kHeader;
  const size_t size_class = *reinterpret_cast<size_t*>(raw);
  if (size_class < kClasses) {
    Cache& cache = TheCache();
    std::lock_guard<std::mutex> lock(cache.mu);
    if (cache.count[size_class] < kMaxCachedPerClass) {
      auto* block = static_cast<FreeBlock*>(pointer);
      block->next = cache.head[size_class];
      cache.head[size_class] = block;
      ++cache.count[size_class];
      return;
    }
  }
  std::free(raw);
}

}  // namespace

void* operator new(size_t size) { return Allocate(size); }
void* operator new[](size_t size) { return Allocate(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* pointer) noexcept { Release(pointer); }
void operator delete[](void* pointer) noexcept { Release(pointer); }
void operator delete(void* pointer, size_t) noexcept { Release(pointer); }
void operator delete[](void* pointer, size_t) noexcept { Release(pointer); }
void operator delete(void* pointer, const std::nothrow_t&) noexcept { Release(pointer); }
void operator delete[](void* pointer, const std::nothrow_t&) noexcept { Release(pointer); }
