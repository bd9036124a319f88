#include "services/node/flush_priority.h"

#include <rocksdb/db.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

namespace herd {
namespace {

bool SetPolicy(int tid, int policy) {
  sched_param param{};
  param.sched_priority = 0;
  return sched_setscheduler(tid, policy, &param) == 0;
}

}  // namespace

bool FlushPriority::CanRestoreNormalPriority() {
  static const bool can = [] {
    bool restored = false;
    std::thread probe([&restored] {
      if (SetPolicy(0, SCHED_IDLE)) restored = SetPolicy(0, SCHED_OTHER);
    });
    probe.join();
    return restored;
  }();
  return can;
}

uint64_t FlushPriority::SealedMemtables() const {
  rocksdb::DB* db = db_.load(std::memory_order_acquire);
  uint64_t sealed = 1;
  if (db != nullptr && !db->GetIntProperty("rocksdb.num-immutable-mem-table", &sealed)) sealed = 1;
  return sealed;
}

void FlushPriority::OnFlushBegin(rocksdb::DB*, const rocksdb::FlushJobInfo&) {
  // Runs on the flush thread itself, which keeps the policy it is given here until its next
  // flush begins, unless a seal behind this flush raises it (OnMemTableSealed).
  const bool keeping_up = SealedMemtables() <= 1;
  const int tid = static_cast<int>(gettid());
  flushes_begun_.fetch_add(1, std::memory_order_relaxed);
  herd::MutexLock lock(&mu_);
  ForgetIdle(tid);
  if (keeping_up && SetPolicy(0, SCHED_IDLE)) {
    idle_flush_tids_.push_back(tid);
    flushes_idle_.fetch_add(1, std::memory_order_relaxed);
  } else {
    SetPolicy(0, SCHED_OTHER);
  }
}

void FlushPriority::ForgetIdle(int tid) {
  idle_flush_tids_.erase(std::remove(idle_flush_tids_.begin(), idle_flush_tids_.end(), tid),
                         idle_flush_tids_.end());
}

void FlushPriority::OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) {
  const int tid = static_cast<int>(gettid());
  herd::MutexLock lock(&mu_);
  // Left at idle priority until its next flush begins; only no longer a flush to speed up.
  ForgetIdle(tid);
}

void FlushPriority::OnMemTableSealed(const rocksdb::MemTableInfo&) {
  // Runs on a writer thread, after the sealed memtable was counted: a queue has formed, so the
  // flush in progress must not wait for idle cores any longer.
  if (SealedMemtables() <= 1) return;
  herd::MutexLock lock(&mu_);
  for (int tid : idle_flush_tids_) SetPolicy(tid, SCHED_OTHER);
  idle_flush_tids_.clear();
}

}  // namespace herd
