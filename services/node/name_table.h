#ifndef HERD_SERVICES_NODE_NAME_TABLE_H_
#define HERD_SERVICES_NODE_NAME_TABLE_H_

#include <atomic>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace herd {

// The node names a process has seen as stamps' origins, each kept once for the process's
// life, so that a stored stamp holds an index instead of the name (StoredStamp, TextForm::kName).
// A herd has a handful of nodes and a stamp's origin must be one of them (StampValidator); the
// table still stops at kMaxNames, after which further names are not interned.
//
// Lookups take no lock: names are only appended, each before the count that shows it.
class NameTable {
 public:
  static constexpr int kMaxNames = 256;
  static constexpr size_t kMaxNameBytes = 64;

  // The one table of the process.
  static NameTable& Process();

  // The index of `name`, added if new; nullopt when the table is full or `name` is empty or
  // longer than kMaxNameBytes.
  std::optional<int> Intern(absl::string_view name);
  // The name at `index` < size().
  absl::string_view Name(int index) const { return names_[index]; }
  int size() const { return size_.load(std::memory_order_acquire); }

 private:
  std::optional<int> Find(absl::string_view name, int from, int to) const;

  absl::Mutex append_mu_;
  std::atomic<int> size_{0};
  std::string names_[kMaxNames];  // [0, size_) written once, before size_ counted them
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_NAME_TABLE_H_
