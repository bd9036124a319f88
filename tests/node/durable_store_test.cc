#include "services/node/durable_store.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/core/stamp.h"
#include "services/node/flush_priority.h"
#include "tests/support/process.h"

namespace herd {
namespace {

v1::LocationStamp Stamp(const std::string& client, int64_t time, const std::string& origin) {
  absl::StatusOr<v1::LocationStamp> stamp =
      MakeStamp(client, "+1+1", absl::StrCat(time), origin, Instant{time, 0});
  EXPECT_TRUE(stamp.ok()) << stamp.status();
  return *stamp;
}

const std::string kIdentity = DurableStore::Identity({"B", "A"}, "A");

TEST(DurableStore, WhatWasWrittenIsLoadedAfterReopening) {
  testing::TempDir dir;
  std::string path = dir.path() + "/A";
  std::vector<v1::LocationStamp> stamps;
  for (int i = 0; i < 1000; ++i) stamps.push_back(Stamp(absl::StrCat("c", i), 10, "A"));
  {
    auto store = DurableStore::Open(path, kIdentity, /*fsync=*/false);
    ASSERT_TRUE(store.ok()) << store.status();
    std::vector<const v1::LocationStamp*> batch;
    for (const auto& s : stamps) batch.push_back(&s);
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  auto store = DurableStore::Open(path, kIdentity, /*fsync=*/true);
  ASSERT_TRUE(store.ok()) << store.status();
  StampStore loaded;
  ASSERT_EQ(*(*store)->LoadInto(&loaded), 1000u);
  StampStore expected;
  for (const auto& s : stamps) expected.Merge(s);
  EXPECT_EQ(loaded.Digest(), expected.Digest());
  EXPECT_EQ(loaded.size(), 1000u);
}

TEST(DurableStore, TheNewerStampWinsWhateverOrderWritesLandIn) {
  testing::TempDir dir;
  auto store = DurableStore::Open(dir.path() + "/A", kIdentity, false);
  ASSERT_TRUE(store.ok()) << store.status();
  v1::LocationStamp newer = Stamp("kiwi", 20, "B"), older = Stamp("kiwi", 10, "A");
  ASSERT_TRUE((*store)->Write({&newer}).ok());
  ASSERT_TRUE((*store)->Write({&older}).ok());
  StampStore loaded;
  ASSERT_EQ(*(*store)->LoadInto(&loaded), 1u);
  EXPECT_EQ(loaded.Get("kiwi")->client_time_text(), "20");
}

// Whether a thread of this process named `name` runs under SCHED_IDLE.
bool SomeThreadNamedIsIdlePriority(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm_file(task.path() / "comm");
    std::string comm;
    std::getline(comm_file, comm);
    if (comm != name) continue;
    if (sched_getscheduler(std::stoi(task.path().filename().string())) == SCHED_IDLE) return true;
  }
  return false;
}

// A node's store flushes at idle priority while its flushes keep up (FlushPriority), so that the
// data path's threads preempt them.
TEST(DurableStore, AFlushThatKeepsUpRunsAtIdlePriority) {
  if (!FlushPriority::CanRestoreNormalPriority()) GTEST_SKIP() << "no permission to raise";
  testing::TempDir dir;
  auto store = DurableStore::Open(dir.path() + "/A", kIdentity, false);
  ASSERT_TRUE(store.ok()) << store.status();
  // Long client ids (16 KiB, in the key and the value) fill the 16 MiB memtable in about 500
  // writes: 550 seal exactly one, whose flush then runs alone.
  const std::string long_id(16 << 10, 'k');
  for (int i = 0; i < 550; ++i) {
    v1::LocationStamp stamp = Stamp(absl::StrCat(long_id, i), 10, "A");
    ASSERT_TRUE((*store)->Write({&stamp}).ok());
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (!SomeThreadNamedIsIdlePriority("rocksdb:high") && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(SomeThreadNamedIsIdlePriority("rocksdb:high"));
}

TEST(DurableStore, ADirectoryOfAnotherNodeOrHerdIsRefused) {
  testing::TempDir dir;
  std::string path = dir.path() + "/A";
  {
    auto store = DurableStore::Open(path, kIdentity, false);
    ASSERT_TRUE(store.ok()) << store.status();
    v1::LocationStamp stamp = Stamp("kiwi", 1, "A");
    ASSERT_TRUE((*store)->Write({&stamp}).ok());
  }
  auto other_node = DurableStore::Open(path, DurableStore::Identity({"A", "B"}, "B"), false);
  ASSERT_FALSE(other_node.ok());
  EXPECT_EQ(other_node.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other_node.status().message().find("belongs to herd [A,B] node A"), std::string::npos)
      << other_node.status();
  auto other_herd = DurableStore::Open(path, DurableStore::Identity({"A", "C"}, "A"), false);
  ASSERT_FALSE(other_herd.ok());
  // Refused, not emptied: the right identity still finds the stamp.
  auto store = DurableStore::Open(path, kIdentity, false);
  ASSERT_TRUE(store.ok()) << store.status();
  StampStore loaded;
  EXPECT_EQ(*(*store)->LoadInto(&loaded), 1u);
}

TEST(DurableStore, ACorruptOrForeignDirectoryIsRefusedAndLeftAlone) {
  testing::TempDir dir;
  // Some other program's files.
  std::string foreign = dir.path() + "/foreign";
  std::filesystem::create_directories(foreign);
  testing::WriteFile(foreign + "/notes.txt", "not a store");
  auto refused = DurableStore::Open(foreign, kIdentity, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("holds no store"), std::string::npos)
      << refused.status();
  EXPECT_EQ(testing::ReadFile(foreign + "/notes.txt"), "not a store");

  // A store whose manifest was overwritten.
  std::string corrupt = dir.path() + "/corrupt";
  {
    auto store = DurableStore::Open(corrupt, kIdentity, false);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  for (const auto& entry : std::filesystem::directory_iterator(corrupt)) {
    if (entry.path().filename().string().rfind("MANIFEST", 0) == 0) {
      testing::WriteFile(entry.path().string(), std::string(4096, '\x5a'));
    }
  }
  auto broken = DurableStore::Open(corrupt, kIdentity, false);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("cannot be opened as a store"), std::string::npos)
      << broken.status();
  EXPECT_TRUE(std::filesystem::exists(corrupt + "/CURRENT"));
}

}  // namespace
}  // namespace herd
