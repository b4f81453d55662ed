// Constrained generation against real `minerva serve` processes (run by CTest; see
// tests/integration/CMakeLists.txt), checked by an independent validator: ajv (JSON Schema 2020-12)
// with ajv-formats, so a `date` must be a real calendar date and a `uuid` a real UUID. The
// synthetic random-weight models emit random tokens: the hardest test of the constraint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import OpenAI from 'openai';
import { corpus } from './corpus.mjs';

const binary = process.env.MINERVA_BINARY;
const shared = process.env.MINERVA_SHARED;
const SEEDS = 5;
const PARALLEL = 8;

const models = {
  llama: `${shared}/models/synth/llama-q8_0.gguf`,
  mistral: `${shared}/models/synth/mistral-q8_0.gguf`,
  stories: `${shared}/models/stories260K.gguf`,
};
const servers = {};
const procs = [];

function startServer(model, extra = []) {
  const proc = spawn(binary, ['serve', '-m', model, '--port', '0', '--parallel', String(PARALLEL), '-t', '1', '-c', String(PARALLEL * 2048), ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(proc);
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${log}`)), 30000);
    proc.stderr.on('data', async (d) => {
      const fresh = !log.match(/listening on/);
      log += d.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (!m || !fresh) return;
      const url = `http://127.0.0.1:${m[1]}`;
      for (;;) {  // ready once /health says so (the model loads after the port is bound)
        const r = await fetch(`${url}/health`).catch(() => null);
        if (r?.status === 200) break;
        if (r && r.status !== 503) return reject(new Error(`health ${r.status}: ${log}`));
        await new Promise((ok) => setTimeout(ok, 50));
      }
      clearTimeout(timer);
      resolve({ proc, url });
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
}

before(async () => {
  const started = await Promise.all([
    startServer(models.llama),
    startServer(models.mistral),
    // A template that renders `tools`, to check they reach the prompt.
    startServer(models.stories, ['--chat-template', `${shared}/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja`]),
  ]);
  [servers.llama, servers.mistral, servers.stories] = started;
});

after(() => {
  for (const p of procs) p.kill('SIGTERM');
});

async function post(server, path, body) {
  const r = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

// Non-streamed or streamed; chat or completions. Returns { text, finish }.
async function generate(server, { chat, stream, ...fields }) {
  const body = chat ? { messages: [{ role: 'user', content: 'Fill in the form as JSON.' }], ...fields } : { prompt: 'JSON:', ...fields };
  const path = chat ? '/v1/chat/completions' : '/v1/completions';
  if (!stream) {
    const r = await post(server, path, body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const c = r.body.choices[0];
    return { text: chat ? c.message.content : c.text, finish: c.finish_reason };
  }
  const r = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
  const raw = await r.text();
  assert.equal(r.status, 200, raw);
  let text = '';
  let finish = null;
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const chunk = JSON.parse(line.slice(6));
    const c = chunk.choices[0];
    if (!c) continue;
    text += (chat ? c.delta.content : c.text) ?? '';
    if (c.finish_reason) finish = c.finish_reason;
  }
  return { text, finish };
}

// Runs fn over items with at most `limit` in flight.
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);

assert.ok(corpus.length >= 40, `corpus has ${corpus.length} schemas`);

for (const modelName of ['llama', 'mistral', 'stories']) {
  test(`json_schema corpus on ${modelName}: every output validates (${corpus.length} schemas x ${SEEDS} seeds)`, async () => {
    const jobs = [];
    for (const [name, schema] of corpus) {
      for (let seed = 0; seed < SEEDS; seed++) jobs.push({ name, schema, seed });
    }
    const failures = [];
    await pool(jobs, PARALLEL, async ({ name, schema, seed }) => {
      // Both request forms, chat and completions, streamed and not.
      const response_format = seed % 2 === 0
        ? { type: 'json_schema', json_schema: { name: name.replace(/[^a-zA-Z0-9_-]/g, '_'), schema, strict: true } }
        : { type: 'json_schema', schema };
      const { text, finish } = await generate(servers[modelName], {
        chat: seed !== 1, stream: seed >= 3, response_format, temperature: 1.0, seed: 1000 + seed, max_tokens: 1500,
      });
      let doc;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        failures.push(`${name} seed ${seed}: not JSON (${finish}): ${e.message}: ${JSON.stringify(text)}`);
        return;
      }
      if (finish !== 'stop') failures.push(`${name} seed ${seed}: finish_reason ${finish}`);
      const validate = ajv.compile(schema);
      if (!validate(doc)) failures.push(`${name} seed ${seed}: ${ajv.errorsText(validate.errors)}: ${text}`);
    });
    assert.deepEqual(failures, []);
  });
}

// A JSON prefix is valid when some ending makes it parse: close an open string or escape,
// finish a literal, number, key or value, then close the open brackets.
function isValidJsonPrefix(s) {
  const stack = [];
  let inString = false;
  let escape = false;
  for (const ch of s) {
    if (inString) {
      if (escape) escape = false;
      else if (ch === '\\') escape = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') stack.push(ch);
    else if (ch === '}' || ch === ']') stack.pop();
  }
  const closers = stack.reverse().map((c) => (c === '{' ? '}' : ']')).join('');
  const firsts = inString ? ['"', 'n"', '0"', '00"', '000"', '0000"'] : [''];
  const seconds = ['', '0', ':0', '"":0', '0:0', 'rue', 'ue', 'e', 'alse', 'lse', 'se', 'ull', 'll', 'l', '"'];
  for (const a of firsts) {
    for (const b of seconds) {
      try {
        JSON.parse(s + a + b + closers);
        return true;
      } catch {}
    }
  }
  return false;
}

test('json_object on a random model: a complete object, or a valid prefix cut by max_tokens', async () => {
  const seeds = Array.from({ length: 12 }, (_, i) => i);
  const results = await pool(seeds, PARALLEL, (seed) =>
    generate(servers.llama, { chat: true, stream: seed % 2 === 1, response_format: { type: 'json_object' }, temperature: 1.0, seed, max_tokens: 24 }));
  let lengths = 0;
  for (const { text, finish } of results) {
    assert.ok(['stop', 'length'].includes(finish), finish);
    if (finish === 'stop') {
      const doc = JSON.parse(text);
      assert.equal(typeof doc, 'object');
      assert.ok(doc !== null && !Array.isArray(doc));
    } else {
      lengths++;
      assert.ok(isValidJsonPrefix(text), `not a JSON prefix: ${JSON.stringify(text)}`);
    }
  }
  assert.ok(lengths > 0, 'expected some outputs to be cut by max_tokens');
});

test('grammar (GBNF) on chat and completions, streamed and not', async () => {
  const grammar = 'root ::= answer " because " reason\nanswer ::= "yes" | "no"\nreason ::= [a-z]{1,12}\n';
  for (const chat of [true, false]) {
    for (const stream of [false, true]) {
      const { text, finish } = await generate(servers.mistral, { chat, stream, grammar, temperature: 1.0, seed: 7, max_tokens: 100 });
      assert.match(text, /^(yes|no) because [a-z]{1,12}$/);
      assert.equal(finish, 'stop');
    }
  }
});

test('bad grammars and schemas are 400s that point at the problem', async () => {
  const cases = [
    [{ grammar: 'root ::= "a"\nitem ::= [a-' }, 'grammar', /line 2, column 10: unterminated character class/],
    [{ grammar: 'root ::= "a" missing' }, 'grammar', /line 1, column 14: undefined rule 'missing'/],
    [{ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { not: {} } } } } } },
      'response_format.json_schema.schema', /'not' at '\/response_format\/json_schema\/schema\/properties\/a\/not'/],
    [{ response_format: { type: 'json_schema', schema: { type: 'array', uniqueItems: true } } }, 'response_format.schema', /'uniqueItems' at '\/response_format\/schema\/uniqueItems'/],
    [{ response_format: { type: 'json_schema', schema: { type: 'string', format: 'hostname' } } }, 'response_format.schema', /format 'hostname' at '\/response_format\/schema\/format'/],
    [{ response_format: { type: 'json_schema', json_schema: { name: 'x' } } }, 'response_format.json_schema', /needs a schema/],
    [{ response_format: { type: 'xml' } }, 'response_format.type', /not supported/],
    [{ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { q: { type: 'string', pattern: '(?=x)' } } } } }] },
      'tools[0].function.parameters', /\/tools\/0\/function\/parameters\/properties\/q\/pattern/],
    [{ tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'g' } } }, 'tool_choice', /'g'/],
  ];
  for (const [fields, param, message] of cases) {
    const r = await post(servers.llama, '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], max_tokens: 4, ...fields });
    assert.equal(r.status, 400, JSON.stringify(fields));
    assert.equal(r.body.error.param, param, JSON.stringify(r.body));
    assert.match(r.body.error.message, message);
  }
});

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string', minLength: 1, maxLength: 20 }, unit: { enum: ['celsius', 'fahrenheit'] } }, required: ['city', 'unit'], additionalProperties: false },
    },
  },
  {
    type: 'function',
    function: {
      name: 'book_meeting',
      description: 'Book a meeting',
      parameters: {
        type: 'object',
        properties: { day: { type: 'string', format: 'date' }, attendees: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'string', format: 'email' } }, minutes: { type: 'integer', minimum: 15, maximum: 120 } },
        required: ['day', 'attendees', 'minutes'],
      },
    },
  },
];
const validators = Object.fromEntries(tools.map((t) => [t.function.name, ajv.compile(t.function.parameters)]));

function checkCall(call) {
  assert.equal(call.type, 'function');
  assert.match(call.id, /^call_/);
  const validate = validators[call.function.name];
  assert.ok(validate, `unknown function ${call.function.name}`);
  const args = JSON.parse(call.function.arguments);
  assert.ok(validate(args), `${call.function.name}: ${ajv.errorsText(validate.errors)}: ${call.function.arguments}`);
}

test('tools: calls parse under the OpenAI Node client and match the declared schemas', async () => {
  for (const name of ['llama', 'stories']) {
    const client = new OpenAI({ baseURL: `${servers[name].url}/v1`, apiKey: 'x', maxRetries: 0 });
    const seeds = [1, 2, 3, 4];
    await pool(seeds, 4, async (seed) => {
      const tool_choice = seed === 4 ? { type: 'function', function: { name: 'book_meeting' } } : 'required';
      const r = await client.chat.completions.create({
        model: 'm', messages: [{ role: 'user', content: 'What is the weather in Paris?' }], tools, tool_choice, temperature: 1.0, seed, max_tokens: 600,
      });
      const c = r.choices[0];
      assert.equal(c.finish_reason, 'tool_calls');
      assert.equal(c.message.content, null);
      assert.equal(c.message.tool_calls.length, 1);
      checkCall(c.message.tool_calls[0]);
      if (seed === 4) assert.equal(c.message.tool_calls[0].function.name, 'book_meeting');
    });
    // Streamed: argument deltas reassemble into the same shape.
    for (const seed of [5, 6]) {
      const stream = await client.chat.completions.create({
        model: 'm', messages: [{ role: 'user', content: 'Book it' }], tools, tool_choice: 'required', temperature: 1.0, seed, max_tokens: 600, stream: true,
      });
      const call = { function: { arguments: '' } };
      let finish = null;
      let deltas = 0;
      for await (const chunk of stream) {
        const c = chunk.choices[0];
        if (!c) continue;
        for (const tc of c.delta.tool_calls ?? []) {
          assert.equal(tc.index, 0);
          if (tc.id) call.id = tc.id;
          if (tc.type) call.type = tc.type;
          if (tc.function?.name) call.function.name = tc.function.name;
          if (tc.function?.arguments) {
            call.function.arguments += tc.function.arguments;
            deltas++;
          }
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
      assert.equal(finish, 'tool_calls');
      assert.ok(deltas >= 1);
      checkCall(call);
    }
  }
});

test('tools: auto gives text or a valid call; none gives text; tools reach the chat template', async () => {
  const client = new OpenAI({ baseURL: `${servers.llama.url}/v1`, apiKey: 'x', maxRetries: 0 });
  for (let seed = 0; seed < 6; seed++) {
    const r = await client.chat.completions.create({
      model: 'm', messages: [{ role: 'user', content: 'hi' }], tools, tool_choice: 'auto', temperature: 1.0, seed, max_tokens: 300,
    });
    const c = r.choices[0];
    if (c.message.tool_calls) {
      assert.equal(c.finish_reason, 'tool_calls');
      checkCall(c.message.tool_calls[0]);
    } else {
      assert.equal(typeof c.message.content, 'string');
      assert.ok(!c.message.content.trimStart().startsWith('{'));
    }
  }
  const none = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools, tool_choice: 'none', max_tokens: 8 });
  assert.equal(none.choices[0].message.tool_calls, undefined);
  const rendered = await post(servers.stories, '/apply-template', { messages: [{ role: 'user', content: 'hi' }], tools });
  assert.equal(rendered.status, 200);
  assert.match(rendered.body.prompt, /get_weather/);
  assert.match(rendered.body.prompt, /book_meeting/);
});
