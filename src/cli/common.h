#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/loaded_model.h"
#include "util/error.h"

namespace minerva::cli {

// Prints "minerva: <message>" on stderr and returns exit code 1.
int report(const Error& e);

// Reads a whole text file (for -f); errors name the path.
Result<std::string> read_text_file(const std::string& path);

// Parses "1,2,3" (spaces allowed) into token ids; errors name the bad element.
Result<std::vector<Token>> parse_token_list(const std::string& text);

// Context size for a command: `requested` if > 0, else the model's training context
// capped at 4096 so a default run does not reserve gigabytes of KV cache.
int64_t choose_ctx(const LoadedModel& m, int64_t requested);

// The --huge-pages option of the commands that run the native engine; sets *mode.
void add_huge_pages_option(CLI::App* sub, HugePages* mode);

// Threads: `requested` if > 0, else the machine's CPU count.
int choose_threads(int requested);

}  // namespace minerva::cli
