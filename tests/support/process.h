#ifndef HERD_TESTS_SUPPORT_PROCESS_H_
#define HERD_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace herd::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A TCP port on 127.0.0.1 that was free when asked, chosen below the ephemeral range so that it
// is not taken meanwhile as some outgoing connection's source port.
int PickFreePort();

// "127.0.0.1:<free port>".
std::string FreeLoopbackAddress();

// Absolute path of a built binary, e.g. BinaryPath("herd-node") -> <build>/bin/herd-node.
std::string BinaryPath(const std::string& name);

// Writes `contents` to `path`; aborts the test binary if it cannot.
void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);

// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false).
bool Eventually(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10));

// True once a TCP connect to host:port succeeds, false after `timeout`.
bool WaitForTcpPort(const std::string& host_port, absl::Duration timeout);

// A child process; its stdout and stderr go to `output_path`. The destructor stops it
// (SIGTERM, then SIGKILL after 5 s) so no test leaves a process behind.
class Process {
 public:
  Process(std::vector<std::string> argv, std::string output_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `signal` and waits for the exit; returns the wait status, or -1 if not running.
  int Signal(int signal, absl::Duration timeout = absl::Seconds(5));
  // SIGKILL and reap.
  void Kill();
  // Waits for the process to exit by itself; returns the wait status, or -1 on timeout.
  int Wait(absl::Duration timeout);
  const std::string& output_path() const { return output_path_; }

 private:
  pid_t pid_ = -1;
  std::string output_path_;
};

}  // namespace herd::testing

#endif  // HERD_TESTS_SUPPORT_PROCESS_H_
