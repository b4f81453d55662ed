#include "backend/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

namespace minerva {

void BoundedLog::append(std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (char c : bytes) {
    if (c != '\n') {
      if (partial_.size() < 4096) partial_ += c;  // cap one line too
      continue;
    }
    lines_.push_back(std::move(partial_));
    partial_.clear();
    if (lines_.size() > max_lines_) lines_.pop_front();
  }
}

std::string BoundedLog::tail(size_t n) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  const size_t start = lines_.size() > n ? lines_.size() - n : 0;
  for (size_t i = start; i < lines_.size(); ++i) {
    if (!out.empty()) out += '\n';
    out += lines_[i];
  }
  if (!partial_.empty()) out += (out.empty() ? "" : "\n") + partial_;
  return out;
}

namespace {

// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, so every fork happens
// on this one thread, which lives until the process ends (it is never joined).
class Spawner {
 public:
  static Spawner& get() {
    static auto* s = new Spawner();  // leaked on purpose: must outlive every child
    return *s;
  }
  void run(const std::function<void()>& fn) {
    Task task{fn};
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(&task);
    cv_.notify_all();
    cv_.wait(lock, [&] { return task.done; });
  }

 private:
  struct Task {
    std::function<void()> fn;
    bool done = false;
  };
  Spawner() {
    std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        cv_.wait(lock, [&] { return !queue_.empty(); });
        Task* t = queue_.front();
        queue_.pop_front();
        lock.unlock();
        t->fn();
        lock.lock();
        t->done = true;
        cv_.notify_all();
      }
    }).detach();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task*> queue_;
};

int decode_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

}  // namespace

std::string describe_exit(int status) {
  if (status > 128) {
    const int sig = status - 128;
    return "was killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "exited with status " + std::to_string(status);
}

std::optional<std::string> find_executable(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    const std::string full = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(full.c_str(), X_OK) == 0) return full;
    start = end + 1;
  }
  return std::nullopt;
}

Result<int> pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return make_error("cannot find a free port on 127.0.0.1: " + err);
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const std::vector<std::string>& argv,
                                                          std::shared_ptr<BoundedLog> log, std::string echo_prefix) {
  if (argv.empty()) return make_error("empty command");
  const auto exe = find_executable(argv[0]);
  if (!exe) return make_error("'" + argv[0] + "' not found (not an executable file, nor in PATH)");
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  cargv.reserve(args.size() + 1);
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  int out[2];
  int err_pipe[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return make_error(std::string("pipe: ") + std::strerror(errno));
  }
  pid_t pid = -1;
  int fork_errno = 0;
  Spawner::get().run([&] {
    const pid_t parent = ::getpid();
    pid = ::fork();
    if (pid < 0) {
      fork_errno = errno;
      return;
    }
    if (pid != 0) return;
    // Child: only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::setpgid(0, 0);                          // own group: terminate() reaches its children too
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the server blocks SIGTERM; the engine must not
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != err_pipe[1]) ::close(fd);  // no listening sockets or model files leak into the engine
    }
    ::execv(exe->c_str(), cargv.data());
    const int e = errno;
    (void)!::write(err_pipe[1], &e, sizeof e);
    ::_exit(127);
  });
  ::close(out[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err_pipe[0]);
    return make_error(std::string("fork: ") + std::strerror(fork_errno));
  }
  int exec_errno = 0;
  const ssize_t n = ::read(err_pipe[0], &exec_errno, sizeof exec_errno);  // EOF when exec succeeded
  ::close(err_pipe[0]);
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  child->pid_ = pid;
  child->log_ = std::move(log);
  child->prefix_ = std::move(echo_prefix);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    ::close(out[0]);
    child->status_ = decode_status(st);
    return make_error("cannot execute '" + *exe + "': " + std::strerror(exec_errno));
  }
  child->watcher_ = std::thread([c = child.get(), fd = out[0]] { c->watch(fd); });
  return child;
}

void ChildProcess::watch(int fd) {
  char buf[4096];
  std::string line;
  auto consume = [&](ssize_t n) {
    log_->append(std::string_view(buf, static_cast<size_t>(n)));
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        line += buf[i];
        continue;
      }
      std::fprintf(stderr, "%s%s\n", prefix_.c_str(), line.c_str());
      line.clear();
    }
  };
  bool open = true;
  for (;;) {
    if (open) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
          consume(n);
          continue;
        }
        open = false;  // EOF: the child (and anything it started) closed its output
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      // Drain what is left without blocking on grandchildren that may hold the pipe.
      pollfd p{fd, POLLIN, 0};
      while (open && ::poll(&p, 1, 0) > 0) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        consume(n);
      }
      if (!line.empty()) std::fprintf(stderr, "%s%s\n", prefix_.c_str(), line.c_str());
      ::close(fd);
      std::lock_guard<std::mutex> lock(mu_);
      status_ = decode_status(st);
      cv_.notify_all();
      return;
    }
  }
}

std::optional<int> ChildProcess::exit_status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

bool ChildProcess::wait_exit(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return status_.has_value(); });
}

void ChildProcess::terminate(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status_) {
      ::kill(-pid_, SIGTERM);
      ::kill(pid_, SIGTERM);
    }
  }
  if (!wait_exit(grace)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status_) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
    }
  }
  wait_exit(std::chrono::hours(1));
  if (watcher_.joinable()) watcher_.join();
}

ChildProcess::~ChildProcess() { terminate(std::chrono::seconds(5)); }

}  // namespace minerva
