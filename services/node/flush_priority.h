#ifndef HERD_SERVICES_NODE_FLUSH_PRIORITY_H_
#define HERD_SERVICES_NODE_FLUSH_PRIORITY_H_

#include <rocksdb/listener.h>

#include <atomic>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "services/core/mutex.h"

namespace herd {

// Runs a store's memtable flushes at SCHED_IDLE while they keep up, and at normal priority as
// soon as sealed memtables queue up behind one.
//
// Why: a flush sorts a whole memtable (tens of MiB) on one core. At the data path's priority
// that burst delayed the report and link threads sharing the cores: propagation p99 over three
// hops went from about 2 ms to 8-11 ms while flushes ran. A SCHED_IDLE thread is preempted by any
// woken normal thread at once; at nice 19 the tail was still 3.4-5.5 ms (a woken thread does
// not preempt a nice-19 one at once).
// But a SCHED_IDLE flush gets almost nothing of a saturated machine, so under full load
// memtables piled up (RSS per stamp at a million clients +100 bytes) and writes would stall
// behind a flush that cannot run; hence the switch back when a second memtable is sealed.
//
// Only for a process that may return a thread to normal priority (CanRestoreNormalPriority);
// elsewhere flushes keep RocksDB's normal priority.
class FlushPriority : public rocksdb::EventListener {
 public:
  // Whether a thread of this process may go from SCHED_IDLE back to SCHED_OTHER at nice 0 (as
  // root, or with RLIMIT_NICE allowing it). Tried once on a scratch thread.
  static bool CanRestoreNormalPriority();

  // The store whose memtables are counted; until set, every flush counts as keeping up.
  void set_db(rocksdb::DB* db) { db_.store(db, std::memory_order_release); }

  // Flushes begun so far, and how many of them at idle priority (for tests).
  uint64_t flushes_begun() const { return flushes_begun_.load(std::memory_order_relaxed); }
  uint64_t flushes_begun_idle() const { return flushes_idle_.load(std::memory_order_relaxed); }

  void OnFlushBegin(rocksdb::DB* db, const rocksdb::FlushJobInfo& info) override;
  void OnFlushCompleted(rocksdb::DB* db, const rocksdb::FlushJobInfo& info) override;
  void OnMemTableSealed(const rocksdb::MemTableInfo& info) override;

 private:
  // Sealed memtables not yet flushed (the one being flushed included).
  uint64_t SealedMemtables() const;
  void ForgetIdle(int tid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::atomic<rocksdb::DB*> db_{nullptr};
  std::atomic<uint64_t> flushes_begun_{0};
  std::atomic<uint64_t> flushes_idle_{0};
  mutable herd::Mutex mu_;
  // Flush threads now flushing at SCHED_IDLE (RocksDB's flush pool has one thread per process
  // by default, but a pool may have more).
  std::vector<int> idle_flush_tids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_FLUSH_PRIORITY_H_
