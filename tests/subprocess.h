// Runs the real `minerva` binary in a subprocess for end-to-end tests.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_paths.h"

namespace minerva::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `minerva ARGS`, where `args` is already shell-quoted text, capturing stdout and stderr.
inline ProcessResult run_minerva_shell(const std::string& args) {
  static int counter = 0;
  const std::string err_path =
      ::testing::TempDir() + "minerva_stderr_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".txt";
  const std::string cmd = shell_quote(minerva_binary()) + " " + args + " 2>" + shell_quote(err_path) + " </dev/null";
  ProcessResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(err_path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  std::remove(err_path.c_str());
  return r;
}

// Runs minerva with `args`, each passed as one argument.
inline ProcessResult run_minerva(const std::vector<std::string>& args) {
  std::string joined;
  for (const auto& a : args) joined += (joined.empty() ? "" : " ") + shell_quote(a);
  return run_minerva_shell(joined);
}

// A command that must fail cleanly: exit status 1 and one stderr line, "minerva: ...",
// containing `expect`.
inline void expect_one_line_error(const std::vector<std::string>& args, const std::string& expect) {
  auto r = run_minerva(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("minerva: ", 0), 0u) << r.err;
}

}  // namespace minerva::testing
