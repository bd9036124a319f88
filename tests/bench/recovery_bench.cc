// herd-recovery-bench: what recovery costs on a loaded herd.
//
//   herd-recovery-bench [--stamps N] [--missed M] [--fsync | --memory]
//
// Starts the default five-node topology (durable stores, free loopback ports, its own temporary
// directory), loads N stamps (default 1,000,000) through ReportBatch at Hands and waits until
// every node holds them. Then, with Holiday (three links):
// 1. restarted having missed nothing: what the rounds exchange;
// 2. killed, M reports (default 1,000) made elsewhere, restarted: time from relink to equal
//    digests everywhere, and catch-up stamps Holiday received;
// 3. killed, its store deleted, restarted empty: the same.
// --memory runs the nodes without data directories (then every restart is an empty one).
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/test_herd.h"

namespace {

using herd::testing::TestHerd;

bool ReportBatch(TestHerd& herd, const std::string& node, const std::string& prefix, int first,
                 int count, const std::string& time) {
  herd::v1::ReportBatchRequest batch;
  for (int i = first; i < first + count; ++i) {
    herd::v1::ReportRequest* r = batch.add_reports();
    r->set_client_id(absl::StrCat(prefix, i));
    r->set_location("+34.068930-118.445127");
    r->set_client_time(time);
  }
  herd::v1::ReportBatchResponse results;
  grpc::ClientContext context;
  herd::testing::SetDeadline(&context, absl::Seconds(60));
  if (!herd.client(node).ReportBatch(&context, batch, &results).ok()) return false;
  for (const auto& result : results.results()) {
    if (result.code() != 0) return false;
  }
  return true;
}

struct Counters {
  uint64_t received = 0, sent = 0, messages = 0, rounds = 0;
};
Counters Total(TestHerd& herd, const std::string& only = "") {
  Counters total;
  for (const std::string& name : TestHerd::DefaultNames()) {
    if (!only.empty() && name != only) continue;
    herd::v1::NodeStatus s = herd.Status(name);
    total.received += s.catch_up_received();
    total.sent += s.catch_up_sent();
    total.messages += s.sync_messages_sent();
    total.rounds += s.sync_rounds();
  }
  return total;
}

// Restarts Holiday and reports the phases; `prepare` runs while it is down.
void RestartHoliday(TestHerd& herd, const char* what, const std::function<void()>& prepare) {
  herd.Kill("Holiday");
  prepare();
  Counters others_before = Total(herd);
  absl::Time started = absl::Now();
  herd.Start("Holiday", absl::Minutes(5));  // returns once its port is open: store loaded
  absl::Time serving = absl::Now();
  bool linked = herd.WaitUntilLinked(absl::Seconds(30));
  absl::Time relinked = absl::Now();
  bool converged = herd.WaitUntilConverged(absl::Seconds(60));
  absl::Time done = absl::Now();
  absl::SleepFor(absl::Milliseconds(500));  // let the rounds on the other links finish
  Counters holiday = Total(herd, "Holiday");
  Counters all = Total(herd);
  std::printf(
      "%s: store loaded in %.0f ms; relinked %.0f ms later; equal digests everywhere %.0f ms "
      "after relink%s; Holiday received %llu catch-up stamps; herd-wide since restart: %llu "
      "stamps sent, %llu round messages, %llu rounds\n",
      what, absl::ToDoubleMilliseconds(serving - started),
      absl::ToDoubleMilliseconds(relinked - serving), absl::ToDoubleMilliseconds(done - relinked),
      linked && converged ? "" : " (NOT CONVERGED)",
      static_cast<unsigned long long>(holiday.received),
      static_cast<unsigned long long>(all.sent - (others_before.sent)),
      static_cast<unsigned long long>(all.messages - others_before.messages),
      static_cast<unsigned long long>(all.rounds - others_before.rounds));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int stamps = 1000000, missed = 1000;
  bool fsync = false, memory = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--fsync") {
      fsync = true;
    } else if (arg == "--memory") {
      memory = true;
    } else if (arg == "--stamps" && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], &stamps)) {
      ++i;
    } else if (arg == "--missed" && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], &missed)) {
      ++i;
    } else {
      std::fprintf(stderr,
                   "usage: herd-recovery-bench [--stamps N] [--missed M] [--fsync | --memory]\n");
      return 2;
    }
  }
  TestHerd herd(
      TestHerd::DefaultNames(), TestHerd::DefaultLinks(), "", 0, herd::testing::Transport::kPlain,
      herd::testing::WithExtraJson(memory
                                       ? ""
                                       : absl::StrCat(R"("storage": {"dataDir": "data", "fsync": )",
                                                      fsync ? "true" : "false", "}")));
  herd.StartAll();
  if (!herd.WaitUntilLinked()) {
    std::fprintf(stderr, "herd-recovery-bench: the herd did not link\n");
    return 1;
  }
  // Load through two concurrent callers, 5,000 reports per batch.
  const int kBatch = 5000;
  absl::Time load_start = absl::Now();
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> loaders;
  for (int t = 0; t < 2; ++t) {
    loaders.emplace_back([&] {
      for (int first; (first = next.fetch_add(kBatch)) < stamps;) {
        if (!ReportBatch(herd, "Hands", "bench-", first, std::min(kBatch, stamps - first), "100")) {
          failed = true;
        }
      }
    });
  }
  for (auto& t : loaders) t.join();
  double load_s = absl::ToDoubleSeconds(absl::Now() - load_start);
  bool converged = herd.WaitUntilConverged(absl::Seconds(120));
  std::printf(
      "load: %d stamps reported at Hands in %.1f s (%.0f/s, fsync %s), every node holding them "
      "%.1f s after the start%s\n",
      stamps, load_s, stamps / load_s, fsync ? "per batch" : "off",
      absl::ToDoubleSeconds(absl::Now() - load_start), converged && !failed ? "" : " (FAILED)");
  std::fflush(stdout);
  if (!converged || failed) return 1;

  RestartHoliday(herd, "restart, nothing missed", [] {});
  RestartHoliday(herd, absl::StrCat("restart, ", missed, " reports missed").c_str(), [&] {
    for (int first = 0; first < missed; first += kBatch) {
      ReportBatch(herd, "Hands", "missed-", first, std::min(kBatch, missed - first), "200");
    }
  });
  RestartHoliday(herd, "restart with an empty store",
                 [&] { std::filesystem::remove_all(herd.dir() + "/data/Holiday"); });
  return 0;
}
