#ifndef HERD_SERVICES_CORE_MUTEX_H_
#define HERD_SERVICES_CORE_MUTEX_H_

// herd::Mutex is absl::Mutex made visible to ThreadSanitizer.
//
// Debian's Abseil is built without -fsanitize=thread, so absl::Mutex's own TSan annotations are
// compiled out and a TSan build sees none of its locking: every field guarded by one is reported
// as a race. This wrapper tells TSan about each lock, unlock and wait through the
// <sanitizer/tsan_interface.h> mutex annotations. In any other build it is absl::Mutex, inline.
//
// Only what Herd uses is wrapped: exclusive locking, Await, AwaitWithTimeout and waiting on an
// absl::CondVar.

#include "absl/base/config.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#ifdef ABSL_HAVE_THREAD_SANITIZER
#include <sanitizer/tsan_interface.h>
#endif

namespace herd {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() { TsanCreate(); }
  ~Mutex() { TsanDestroy(); }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    TsanPreLock();
    mu_.Lock();
    TsanPostLock();
  }

  void Unlock() ABSL_UNLOCK_FUNCTION() {
    // absl evaluates waiters' conditions inside Unlock; TSan ignores accesses between the
    // pre- and post-unlock annotations, as it does inside an instrumented absl::Mutex.
    TsanPreUnlock();
    mu_.Unlock();
    TsanPostUnlock();
  }

  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() { mu_.AssertHeld(); }

  // The lock is given up while waiting: TSan sees an unlock before and a lock after.
  void Await(const absl::Condition& condition) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    TsanPreUnlock();
    TsanPostUnlock();
    TsanPreLock();
    mu_.Await(condition);
    TsanPostLock();
  }

  bool AwaitWithTimeout(const absl::Condition& condition, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    TsanPreUnlock();
    TsanPostUnlock();
    TsanPreLock();
    const bool met = mu_.AwaitWithTimeout(condition, timeout);
    TsanPostLock();
    return met;
  }

  // Waits on `cv` until it is signalled or `deadline` passes (true: it passed), the lock given
  // up meanwhile. Unlike Await, it costs the threads that unlock nothing while this one waits:
  // absl evaluates a waiter's condition in every Unlock, a CondVar waits for a Signal.
  bool WaitWithDeadline(absl::CondVar* cv, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    TsanPreUnlock();
    TsanPostUnlock();
    TsanPreLock();
    const bool timed_out = cv->WaitWithDeadline(&mu_, deadline);
    TsanPostLock();
    return timed_out;
  }

 private:
#ifdef ABSL_HAVE_THREAD_SANITIZER
  void TsanCreate() { __tsan_mutex_create(this, 0); }
  void TsanDestroy() { __tsan_mutex_destroy(this, 0); }
  void TsanPreLock() { __tsan_mutex_pre_lock(this, 0); }
  void TsanPostLock() { __tsan_mutex_post_lock(this, 0, 0); }
  void TsanPreUnlock() { __tsan_mutex_pre_unlock(this, 0); }
  void TsanPostUnlock() { __tsan_mutex_post_unlock(this, 0); }
#else
  void TsanCreate() {}
  void TsanDestroy() {}
  void TsanPreLock() {}
  void TsanPostLock() {}
  void TsanPreUnlock() {}
  void TsanPostUnlock() {}
#endif

  absl::Mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A hand-off of `object` through a library TSan cannot see into (gRPC, built without it): call
// HandOff before giving the object to the library and TakeOver where the library gives it back,
// on whatever thread. No-ops outside TSan builds.
#ifdef ABSL_HAVE_THREAD_SANITIZER
inline void HandOff(const void* object) { __tsan_release(const_cast<void*>(object)); }
inline void TakeOver(const void* object) { __tsan_acquire(const_cast<void*>(object)); }
#else
inline void HandOff(const void*) {}
inline void TakeOver(const void*) {}
#endif

}  // namespace herd

#endif  // HERD_SERVICES_CORE_MUTEX_H_
