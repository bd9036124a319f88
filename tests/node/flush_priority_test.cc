#include "services/node/flush_priority.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sched.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "tests/support/process.h"

namespace herd {
namespace {

// A real store with tiny memtables, so a few writes seal one.
struct SmallStore {
  explicit SmallStore(std::shared_ptr<FlushPriority> listener) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = 64 << 10;
    options.max_write_buffer_number = 8;
    options.listeners.push_back(listener);
    rocksdb::DB* raw = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(options, dir.path() + "/db", &raw);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db.reset(raw);
    listener->set_db(raw);
  }
  // Writes until `sealed` memtables wait to be flushed (background work must be paused).
  void SealMemtables(uint64_t sealed) {
    const std::string value(4096, 'v');
    uint64_t now = 0;
    for (int i = 0; i < 10000 && now < sealed; ++i) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), absl::StrCat("k", i), value).ok());
      ASSERT_TRUE(db->GetIntProperty("rocksdb.num-immutable-mem-table", &now));
    }
    ASSERT_GE(now, sealed);
  }
  // Lets background work run again and waits until no sealed memtable is left.
  void ResumeAndWaitUntilFlushed() {
    ASSERT_TRUE(db->ContinueBackgroundWork().ok());
    uint64_t sealed = 1;
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    while (db->GetIntProperty("rocksdb.num-immutable-mem-table", &sealed) && sealed > 0 &&
           absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_EQ(sealed, 0u);
  }
  testing::TempDir dir;
  std::unique_ptr<rocksdb::DB> db;
};

int Policy(int tid) { return sched_getscheduler(tid); }

TEST(FlushPriority, AFlushThatKeepsUpRunsIdleOneWithAQueueDoesNot) {
  if (!FlushPriority::CanRestoreNormalPriority()) GTEST_SKIP() << "no permission to raise";
  auto listener = std::make_shared<FlushPriority>();
  SmallStore store(listener);

  // One sealed memtable: its flush runs at idle priority.
  ASSERT_TRUE(store.db->PauseBackgroundWork().ok());
  store.SealMemtables(1);
  store.ResumeAndWaitUntilFlushed();
  EXPECT_EQ(listener->flushes_begun(), 1u);
  EXPECT_EQ(listener->flushes_begun_idle(), 1u);

  // Three sealed while flushes are held back: the flush that takes them runs at normal priority.
  const uint64_t begun = listener->flushes_begun(), idle = listener->flushes_begun_idle();
  ASSERT_TRUE(store.db->PauseBackgroundWork().ok());
  store.SealMemtables(3);
  store.ResumeAndWaitUntilFlushed();
  EXPECT_GT(listener->flushes_begun() - begun, listener->flushes_begun_idle() - idle);
}

// A flush that began idle is raised as soon as a second memtable is sealed behind it. The flush
// thread is played by a thread of the test, the sealing by the store's own writes.
TEST(FlushPriority, ASealBehindAnIdleFlushRaisesIt) {
  if (!FlushPriority::CanRestoreNormalPriority()) GTEST_SKIP() << "no permission to raise";
  auto listener = std::make_shared<FlushPriority>();
  SmallStore store(listener);
  ASSERT_TRUE(store.db->PauseBackgroundWork().ok());

  absl::Notification began, checked;
  int tid = 0, policy_at_begin = -1;
  std::thread flush_thread([&] {
    tid = static_cast<int>(gettid());
    listener->OnFlushBegin(store.db.get(), rocksdb::FlushJobInfo());  // nothing sealed yet
    policy_at_begin = Policy(0);
    began.Notify();
    checked.WaitForNotification();
    sched_param param{};
    sched_setscheduler(0, SCHED_OTHER, &param);
  });
  began.WaitForNotification();
  EXPECT_EQ(policy_at_begin, SCHED_IDLE);
  EXPECT_EQ(Policy(tid), SCHED_IDLE);
  store.SealMemtables(2);  // RocksDB calls OnMemTableSealed on this thread
  EXPECT_EQ(Policy(tid), SCHED_OTHER);
  checked.Notify();
  flush_thread.join();
  ASSERT_TRUE(store.db->ContinueBackgroundWork().ok());
}

}  // namespace
}  // namespace herd
