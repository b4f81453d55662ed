#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "util/error.h"

namespace minerva {

// The last lines a child process wrote (stdout and stderr together), bounded so a chatty engine
// cannot grow memory. Thread-safe.
class BoundedLog {
 public:
  explicit BoundedLog(size_t max_lines = 200) : max_lines_(max_lines) {}
  void append(std::string_view bytes);
  // The last `n` complete lines (and any unterminated tail), newline-separated.
  std::string tail(size_t n) const;

 private:
  mutable std::mutex mu_;
  size_t max_lines_;
  std::deque<std::string> lines_;
  std::string partial_;
};

// A child process with its output captured into a BoundedLog (and echoed to stderr with a
// prefix). It dies with Minerva (PR_SET_PDEATHSIG from a thread that lives as long as the
// process), so even a SIGKILLed server leaves no orphan. Thread-safe.
class ChildProcess {
 public:
  // argv[0] is looked up in PATH when it has no '/'. Errors: the executable is missing, or
  // fork/exec failed (the message names the command).
  static Result<std::unique_ptr<ChildProcess>> spawn(const std::vector<std::string>& argv,
                                                     std::shared_ptr<BoundedLog> log, std::string echo_prefix);
  ~ChildProcess();  // terminate(default grace)
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The exit status once the child has exited (code, or 128 + signal), else nullopt.
  std::optional<int> exit_status() const;
  // Waits up to `timeout` for the child to exit; true if it has.
  bool wait_exit(std::chrono::milliseconds timeout) const;
  // SIGTERM, then SIGKILL after `grace`; returns once the child is reaped.
  void terminate(std::chrono::milliseconds grace);

 private:
  ChildProcess() = default;
  void watch(int fd);

  pid_t pid_ = -1;
  std::shared_ptr<BoundedLog> log_;
  std::string prefix_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::optional<int> status_;
  std::thread watcher_;
};

// "/usr/bin/llama-server" for "llama-server" via PATH, or `name` itself when it has a '/' and
// is executable; nullopt when not found.
std::optional<std::string> find_executable(const std::string& name);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
Result<int> pick_free_port();

// "exited with status 3" / "was killed by signal 9 (Killed)".
std::string describe_exit(int status);

}  // namespace minerva
