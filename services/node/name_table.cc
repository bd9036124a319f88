#include "services/node/name_table.h"

namespace herd {

NameTable& NameTable::Process() {
  static NameTable* const table = new NameTable;  // never destroyed: records outlive statics
  return *table;
}

std::optional<int> NameTable::Find(absl::string_view name, int from, int to) const {
  for (int i = from; i < to; ++i) {
    if (names_[i] == name) return i;
  }
  return std::nullopt;
}

std::optional<int> NameTable::Intern(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return std::nullopt;
  const int known = size();
  if (std::optional<int> index = Find(name, 0, known)) return index;
  absl::MutexLock lock(&append_mu_);
  const int now = size_.load(std::memory_order_relaxed);
  if (std::optional<int> index = Find(name, known, now)) return index;  // added meanwhile
  if (now == kMaxNames) return std::nullopt;
  names_[now].assign(name.data(), name.size());
  size_.store(now + 1, std::memory_order_release);
  return now;
}

}  // namespace herd
