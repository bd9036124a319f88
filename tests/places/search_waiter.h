#ifndef HERD_TESTS_PLACES_SEARCH_WAITER_H_
#define HERD_TESTS_PLACES_SEARCH_WAITER_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/places/places_provider.h"

namespace herd::places::testing {

// Collects one SearchNearby answer; shared so a late callback after a test gave up is safe.
class SearchWaiter {
 public:
  SearchWaiter() : state_(std::make_shared<State>()) {}

  PlacesCallback Callback() {
    return [state = state_](absl::StatusOr<PlacesAnswer> answer) {
      absl::MutexLock lock(&state->mu);
      ++state->calls;
      state->answer = std::move(answer);
      if (!state->done.HasBeenNotified()) state->done.Notify();
    };
  }

  // The answer, or DEADLINE_EXCEEDED naming the test's own limit if none came in time.
  absl::StatusOr<PlacesAnswer> Wait(absl::Duration limit = absl::Seconds(10)) {
    if (!state_->done.WaitForNotificationWithTimeout(limit)) {
      return absl::DeadlineExceededError("test: the provider never called back");
    }
    absl::MutexLock lock(&state_->mu);
    return *state_->answer;
  }

  bool HasAnswer() const { return state_->done.HasBeenNotified(); }
  int calls() const {
    absl::MutexLock lock(&state_->mu);
    return state_->calls;
  }

 private:
  struct State {
    absl::Mutex mu;
    absl::Notification done;
    int calls = 0;
    std::optional<absl::StatusOr<PlacesAnswer>> answer;
  };
  std::shared_ptr<State> state_;
};

inline absl::StatusOr<PlacesAnswer> SearchAndWait(PlacesProvider& provider, double latitude,
                                                  double longitude, double radius_m,
                                                  int max_results) {
  SearchWaiter waiter;
  provider.SearchNearby(latitude, longitude, radius_m, max_results, waiter.Callback());
  return waiter.Wait();
}

}  // namespace herd::places::testing

#endif  // HERD_TESTS_PLACES_SEARCH_WAITER_H_
