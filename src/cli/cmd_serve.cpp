// `minerva serve`: the OpenAI-compatible HTTP server.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/common.h"
#include "server/http_server.h"

namespace minerva::cli {

namespace {

int serve(const ServerOptions& opts) {
  // Block SIGINT/SIGTERM in every thread; one thread waits for them and stops the server.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // internal: wakes the waiter when the server stops by itself
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  HttpServer server(opts);
  auto port = server.bind();
  if (!port) return report(port.error());
  std::fprintf(stderr, "listening on http://%s:%d (%s)\n", opts.host.c_str(), port.value(),
               opts.model_path.empty() ? "models load on demand" : ("model " + opts.model_path + " loading").c_str());
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGINT || sig == SIGTERM) {
      std::fprintf(stderr, "shutting down\n");
      server.stop();
    }
  });
  Status s = server.run();
  // Wake the waiter if the server stopped for another reason (e.g. the model failed to load).
  pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  if (!s) return report(s.error());
  return 0;
}

}  // namespace

Command register_serve(CLI::App& app) {
  auto o = std::make_shared<ServerOptions>();
  CLI::App* sub = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  sub->add_option("-m,--model", o->model_path,
                  "GGUF model file, loaded at start (optional with --models-dir/--config)");
  sub->add_option("--models-dir", o->models_dir,
                  "Serve every model in DIR: *.gguf files (id: name without .gguf) and HF/MLX directories, loaded on "
                  "demand");
  sub->add_option("--config", o->config_path,
                  "JSON file listing models, aliases, backends and engine args "
                  "(docs/BACKEND_SELECTION.md)");
  sub->add_option("--host", o->host, "Address to listen on (127.0.0.1: this machine only)")->capture_default_str();
  sub->add_option("--port", o->port, "TCP port (0: any free port, printed at start)")->capture_default_str();
  sub->add_option("-c,--ctx-size", o->n_ctx,
                  "Context size of EACH slot in tokens: prompt + generated text of one request "
                  "(0: the model's, at most 4096)")
      ->capture_default_str();
  sub->add_option("--parallel", o->parallel, "Slots: requests generated together (continuous batching)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  sub->add_option("-t,--threads", o->threads, "Compute threads (0: all CPUs)")->capture_default_str();
  sub->add_option_function<std::string>(
         "--cache-type", [o](const std::string& s) { o->registry.native.kv_type = parse_kv_type(s).value(); },
         "KV cache element type of the native engine: f16 (default) or f32")
      ->check(CLI::IsMember({"f16", "f32"}, CLI::ignore_case));
  add_huge_pages_option(sub, &o->registry.native.huge_pages);
  sub->add_option("--api-key", o->api_key, "Require 'Authorization: Bearer KEY' on every endpoint but /health");
  sub->add_option("--alias", o->alias, "Model id shown in responses (default: the file name)");
  sub->add_option("--chat-template", o->chat_template,
                  "Chat template: a built-in name (chatml, llama2, llama3, mistral, gemma, phi3, qwen) or a Jinja file "
                  "(default: the model's tokenizer.chat_template, else chatml)");
  sub->add_option("--max-queue", o->max_queue, "Requests that may wait for a slot before 503")->capture_default_str();
  RegistryOptions& r = o->registry;
  sub->add_option("--max-loaded", r.max_loaded,
                  "Engines loaded at once; the least recently used is unloaded (0: no limit)")
      ->capture_default_str();
  auto ttl = std::make_shared<double>(0.0);
  sub->add_option("--idle-ttl", *ttl, "Unload a model after this many seconds without requests (0: never)")
      ->capture_default_str();
  sub->add_option("--llama-server", r.commands.llama_server,
                  "llama.cpp's llama-server executable for the llama_cpp backend (default: llama-server in PATH)");
  sub->add_option("--mlx-command", r.commands.mlx_command,
                  "Command that runs mlx_lm.server for the mlx backend (--model/--host/--port are appended)")
      ->capture_default_str();
  auto load_timeout = std::make_shared<double>(120.0);
  auto backoff = std::make_shared<double>(0.5);
  auto grace = std::make_shared<double>(5.0);
  auto probe = std::make_shared<double>(5.0);
  sub->add_option("--engine-load-timeout", *load_timeout, "Seconds an engine process may take to become ready")
      ->capture_default_str();
  sub->add_option("--engine-restarts", r.timings.max_restarts,
                  "Restarts of a crashed engine process in a row before the model is marked failed")
      ->capture_default_str();
  sub->add_option("--engine-backoff", *backoff, "Seconds before the first restart (doubles each time)")
      ->capture_default_str();
  sub->add_option("--engine-stop-grace", *grace, "Seconds between SIGTERM and SIGKILL when stopping an engine")
      ->capture_default_str();
  sub->add_option("--engine-concurrency", r.timings.max_concurrent,
                  "Requests in flight per engine process (llama-server's -np); more wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  sub->add_option("--upstream-probe-interval", *probe, "Seconds between health probes of a failed openai upstream")
      ->capture_default_str();
  auto ms = [](double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1000.0)); };
  return {sub, [o, ttl, load_timeout, backoff, grace, probe, ms] {
            o->registry.idle_ttl = ms(*ttl);
            o->registry.timings.load_timeout = ms(*load_timeout);
            o->registry.timings.backoff = ms(*backoff);
            o->registry.timings.stop_grace = ms(*grace);
            o->registry.probe_interval = ms(*probe);
            if (o->model_path.empty() && o->models_dir.empty() && o->config_path.empty()) {
              return report(make_error("serve needs a model: -m FILE, --models-dir DIR or --config FILE"));
            }
            return serve(*o);
          }};
}

}  // namespace minerva::cli
