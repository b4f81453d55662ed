// The official OpenAI Node client against a real `minerva serve` (run by CTest; see
// tests/integration/CMakeLists.txt). Checks that clients built for OpenAI work unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import OpenAI from 'openai';

const binary = process.env.MINERVA_BINARY;
const model = `${process.env.MINERVA_SHARED}/models/stories260K.gguf`;
const apiKey = 'test-key-123';
let server;
let baseURL;

before(async () => {
  server = spawn(binary, ['serve', '-m', model, '--port', '0', '--parallel', '2', '-t', '1', '--api-key', apiKey], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${log}`)), 30000);
    server.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m && log.includes('loaded')) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
  baseURL = `http://127.0.0.1:${port}/v1`;
});

after(() => server?.kill('SIGTERM'));

const client = () => new OpenAI({ baseURL, apiKey, maxRetries: 0 });

test('models.list', async () => {
  const models = await client().models.list();
  assert.equal(models.data[0].id, 'stories260K.gguf');
});

test('chat.completions.create', async () => {
  const r = await client().chat.completions.create({
    model: 'stories260K.gguf',
    messages: [{ role: 'user', content: 'Tell me a story' }],
    max_tokens: 16,
    temperature: 0,
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('completions.create', async () => {
  const r = await client().completions.create({ model: 'x', prompt: 'Once upon a time', max_tokens: 12, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.ok(r.choices[0].text.startsWith(', there was a little girl'), r.choices[0].text);
});

test('streaming chat with usage', async () => {
  const stream = await client().chat.completions.create({
    model: 'x',
    messages: [{ role: 'user', content: 'Hi' }],
    max_tokens: 20,
    stream: true,
    stream_options: { include_usage: true },
    seed: 7,
  });
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    chunks += 1;
    if (chunk.usage) usage = chunk.usage;
    const c = chunk.choices[0];
    if (!c) continue;
    text += c.delta?.content ?? '';
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.ok(chunks >= 3, `only ${chunks} chunks`);
  assert.ok(text.length > 0);
  assert.ok(['stop', 'length'].includes(finish));
  assert.ok(usage && usage.completion_tokens > 0);
});

test('streaming completions equal non-streaming with greedy sampling', async () => {
  const params = { model: 'x', prompt: 'Tom had a dog', max_tokens: 24, temperature: 0 };
  const whole = await client().completions.create(params);
  let text = '';
  for await (const chunk of await client().completions.create({ ...params, stream: true })) {
    text += chunk.choices[0]?.text ?? '';
  }
  assert.equal(text, whole.choices[0].text);
});

test('a bad request raises BadRequestError naming the field', async () => {
  await assert.rejects(
    client().chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }),
    (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.equal(err.status, 400);
      assert.match(err.message, /temperature/);
      return true;
    },
  );
});

test('a wrong API key raises AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL, apiKey: 'nope', maxRetries: 0 });
  await assert.rejects(bad.models.list(), (err) => err instanceof OpenAI.AuthenticationError && err.status === 401);
});
