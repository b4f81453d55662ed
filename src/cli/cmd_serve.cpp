// `minerva serve`: the OpenAI-compatible HTTP server.
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
  std::fprintf(stderr, "listening on http://%s:%d (model %s loading)\n", opts.host.c_str(), port.value(),
               opts.model_path.c_str());
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
  sub->add_option("-m,--model", o->model_path, "GGUF model file")->required();
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
  sub->add_option("--api-key", o->api_key, "Require 'Authorization: Bearer KEY' on every endpoint but /health");
  sub->add_option("--alias", o->alias, "Model id shown in responses (default: the file name)");
  sub->add_option("--chat-template", o->chat_template,
                  "Chat template: a built-in name (chatml, llama2, llama3, mistral, gemma, phi3, qwen) or a Jinja file "
                  "(default: the model's tokenizer.chat_template, else chatml)");
  sub->add_option("--max-queue", o->max_queue, "Requests that may wait for a slot before 503")->capture_default_str();
  return {sub, [o] { return serve(*o); }};
}

}  // namespace minerva::cli
