#include "services/node/flushed_memory.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/process.h"

namespace herd {
namespace {

constexpr size_t kMiB = 1 << 20;

// A store whose 8 MiB memtables are freed in 1 MiB arena blocks: large enough to go back to
// tcmalloc's page heap, as the node's 32 MiB memtables do.
TEST(FlushedMemoryRelease, FlushedMemtablesPagesGoBackToTheSystem) {
  if (!FlushedMemoryRelease::Available()) {
    GTEST_SKIP() << "not running on tcmalloc (a sanitizer build): nothing to release";
  }
  auto release = std::make_shared<FlushedMemoryRelease>(/*keep=*/0);
  testing::TempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = 8 * kMiB;
    options.listeners.push_back(release);
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path() + "/db", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    const std::string value(4096, 'v');
    for (int i = 0; i < 12000; ++i) {  // about 48 MiB: five flushes or more
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), absl::StrCat("k", i), value).ok());
    }
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  }
  // Each flush hands back the memtables freed before it.
  EXPECT_GE(release->released_bytes(), 8 * kMiB);
  EXPECT_LT(FlushedMemoryRelease::FreeBytesHeld(), 48 * kMiB);
}

TEST(FlushedMemoryRelease, WithoutTcmallocItDoesNothing) {
  if (FlushedMemoryRelease::Available()) {
    GTEST_SKIP() << "running on tcmalloc: covered by the test above";
  }
  FlushedMemoryRelease release(0);
  release.OnFlushCompleted(nullptr, rocksdb::FlushJobInfo());
  EXPECT_EQ(release.released_bytes(), 0u);
  EXPECT_EQ(FlushedMemoryRelease::FreeBytesHeld(), 0u);
}

}  // namespace
}  // namespace herd
