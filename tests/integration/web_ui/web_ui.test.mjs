// The chat page in Debian's headless Chromium (driven by playwright-core) against a real
// `minerva serve` with the demo model and an API key (run by CTest; see
// tests/integration/CMakeLists.txt). Screenshots go to MINERVA_ARTIFACT_DIR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';

const binary = process.env.MINERVA_BINARY;
const shared = process.env.MINERVA_SHARED || process.env.MINERVA_SHARED_DEFAULT;
const model = `${shared}/models/stories260K.gguf`;
const artifacts = process.env.MINERVA_ARTIFACT_DIR ?? '.';
const apiKey = 'web-ui-key';
const ctx = 4096;
let server;
let serverLog = '';
let base;
let browser;

before(async () => {
  // One slot: a Stop that left the slot busy would make the next request wait.
  server = spawn(binary, ['serve', '-m', model, '--port', '0', '--parallel', '1', '-t', '1', '-c', String(ctx), '--api-key', apiKey], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${serverLog}`)), 30000);
    server.stderr.on('data', (d) => {
      serverLog += d.toString();
      const m = serverLog.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m && serverLog.includes('loaded')) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}: ${serverLog}`)));
  });
  base = `http://127.0.0.1:${port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // Root in a container, and a machine whose only network is loopback.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  if (!server || server.exitCode !== null) return;
  // A clean shutdown, and nothing from the sanitizers in the sanitizer build.
  const code = await new Promise((resolve) => {
    server.on('exit', (c, signal) => resolve(c ?? signal));
    server.kill('SIGTERM');
  });
  assert.equal(code, 0, serverLog.slice(-4000));
  assert.doesNotMatch(serverLog, /Sanitizer|runtime error/);
});

// A page with the key already saved, the model list loaded, and every chat request recorded.
async function openChat({ width = 1100, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  await context.addInitScript((key) => localStorage.setItem('minerva.apiKey', key), apiKey);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const requests = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/v1/chat/completions')) requests.push(JSON.parse(r.postData()));
  });
  await page.goto(base);
  await page.locator('#model option').first().waitFor({ state: 'attached' });
  return { context, page, requests, errors };
}

async function setField(page, selector, value) {
  await page.fill(selector, String(value));
}

async function ask(page, text) {
  await page.fill('#prompt', text);
  await page.press('#prompt', 'Enter');
}

const lastAnswer = (page) => page.locator('.msg.assistant').last();

async function waitForAnswer(page) {
  await lastAnswer(page).locator('.stats').waitFor({ timeout: 15000 });
  return lastAnswer(page);
}

async function metric(name) {
  const res = await fetch(`${base}metrics`, { headers: { Authorization: `Bearer ${apiKey}` } });
  const m = (await res.text()).match(new RegExp(`^${name} ([0-9.]+)$`, 'm'));
  assert.ok(m, `no ${name} in /metrics`);
  return Number(m[1]);
}

test('GET / serves the page without the key; the page asks for the key, keeps it, and lists the models', async () => {
  const res = await fetch(base);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(res.headers.get('content-security-policy'), /script-src 'self'/);
  const js = await fetch(`${base}ui/app.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  const again = await fetch(`${base}ui/app.js`, { headers: { 'If-None-Match': js.headers.get('etag') } });
  assert.equal(again.status, 304, 'an unchanged file is revalidated with its ETag');
  assert.equal((await fetch(`${base}v1/models`)).status, 401, 'the API itself still needs the key');
  const listed = await (await fetch(`${base}v1/models`, { headers: { Authorization: `Bearer ${apiKey}` } })).json();

  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base);
  assert.equal(await page.title(), 'Minerva chat');
  await page.getByText('missing API key').waitFor();
  await page.getByLabel('API key').fill(apiKey);
  await page.getByLabel('API key').press('Tab');
  await page.locator('#model option').first().waitFor({ state: 'attached' });
  assert.equal(await page.locator('#model').inputValue(), listed.data[0].id);
  assert.match(await page.locator('#model-info').textContent(), /state: (ready|loaded)/);
  await page.reload();
  assert.equal(await page.getByLabel('API key').inputValue(), apiKey, 'the key is kept in local storage');
  await page.locator('#model option').first().waitFor({ state: 'attached' });
  assert.deepEqual(errors, []);
  await context.close();
});

test('an answer streams in token by token, then shows tokens/s and time to first token; turns build a history', async (t) => {
  const { context, page, requests, errors } = await openChat();
  await setField(page, '#max-tokens', 600);
  await setField(page, '#temperature', 0);
  await setField(page, '#seed', 42);
  // Shift+Enter is a new line, not a send.
  await page.fill('#prompt', 'Tell me');
  await page.press('#prompt', 'Shift+Enter');
  await page.type('#prompt', 'a story');
  assert.equal(await page.locator('#prompt').inputValue(), 'Tell me\na story');
  assert.equal(requests.length, 0);
  // Count how often the answer's text changes while it is streaming.
  await page.evaluate(() => {
    window.streamUpdates = 0;
    window.updatesAfterDone = 0;
    new MutationObserver(() => {
      const msg = [...document.querySelectorAll('.msg.assistant')].pop();
      if (!msg) return;
      if (msg.classList.contains('streaming')) window.streamUpdates += 1;
    }).observe(document.getElementById('transcript'), { childList: true, subtree: true, characterData: true });
  });
  await page.press('#prompt', 'Enter');
  const answer = await waitForAnswer(page);
  const updates = await page.evaluate(() => window.streamUpdates);
  assert.ok(updates >= 5, `the answer was drawn ${updates} times while streaming`);
  const stats = await answer.locator('.stats').textContent();
  t.diagnostic(`${updates} updates while streaming; ${stats}`);
  assert.match(stats, /^\d+ tokens( \(max tokens reached\))? · [0-9.]+ tokens\/s · first token after \d+ ms · backend: native$/);
  const firstText = (await answer.locator('.body').textContent()).trim();
  assert.ok(firstText.length > 20, firstText);
  await page.screenshot({ path: path.join(artifacts, 'web_ui_answer.png'), fullPage: true });

  await setField(page, '#max-tokens', 50);
  await ask(page, 'And then?');
  await waitForAnswer(page);
  assert.equal(requests.length, 2);
  const turns = requests[1].messages;
  assert.deepEqual(turns.map((m) => m.role), ['user', 'assistant', 'user']);
  assert.equal(turns[0].content, 'Tell me\na story');
  assert.equal(turns[1].content.trim().replace(/\s+/g, ' '), firstText.replace(/\s+/g, ' '));
  assert.equal(requests[1].stream, true);
  assert.equal(requests[1].max_tokens, 50);
  assert.equal(requests[1].temperature, 0);
  assert.equal(requests[1].seed, 42);
  assert.equal('backend' in requests[1], false, 'auto sends no backend field');
  assert.deepEqual(errors, []);
  await context.close();
});

test('Stop cancels the stream mid-answer and the server frees the slot', async (t) => {
  const { context, page, errors } = await openChat();
  const generatedBefore = await metric('minerva_generated_tokens_total');
  // Greedy from this prompt runs to the token limit (no end of text), which takes seconds here.
  const maxTokens = ctx - 96;
  await setField(page, '#max-tokens', maxTokens);
  await setField(page, '#temperature', 0);
  await setField(page, '#seed', 1);
  await ask(page, 'Once upon a time');
  await page.waitForFunction(() => document.querySelector('.msg.assistant .body')?.textContent.length > 20);
  assert.equal(await page.locator('#stop').isEnabled(), true);
  await page.click('#stop');
  await page.locator('#status', { hasText: 'Stopped.' }).waitFor();
  assert.match(await lastAnswer(page).locator('.stats').textContent(), /^stopped · \d+ tokens/);
  assert.equal(await page.locator('#stop').isEnabled(), false);
  // The server notices the closed connection within a decoding step.
  let busy = 1;
  let i = 0;
  for (; i < 50 && busy !== 0; i += 1) {
    busy = await metric('minerva_slots_busy');
    if (busy !== 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(busy, 0, 'the slot is free again');
  const generated = (await metric('minerva_generated_tokens_total')) - generatedBefore;
  assert.ok(generated < maxTokens, `the server stopped early (${generated} of ${maxTokens} tokens)`);
  t.diagnostic(`stopped after ${generated} of ${maxTokens} tokens; slot free after ${i} polls`);
  // With one slot, a slot left busy would hold this request back.
  await setField(page, '#max-tokens', 8);
  await ask(page, 'Again');
  assert.match(await (await waitForAnswer(page)).locator('.stats').textContent(), /^\d+ tokens/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('Escape in the message box stops the answer', async () => {
  const { context, page, errors } = await openChat();
  await setField(page, '#max-tokens', ctx - 96);
  await setField(page, '#temperature', 0);
  await ask(page, 'Once upon a time');
  await page.waitForFunction(() => document.querySelector('.msg.assistant .body')?.textContent.length > 20);
  await page.press('#prompt', 'Escape');
  await page.locator('#status', { hasText: 'Stopped.' }).waitFor();
  assert.match(await lastAnswer(page).locator('.stats').textContent(), /^stopped · /);
  assert.deepEqual(errors, []);
  await context.close();
});

test('New chat during an answer cancels it and starts an empty conversation', async () => {
  const { context, page, requests, errors } = await openChat();
  await setField(page, '#max-tokens', ctx - 96);
  await setField(page, '#temperature', 0);
  await ask(page, 'Once upon a time');
  await page.waitForFunction(() => document.querySelector('.msg.assistant .body')?.textContent.length > 20);
  await page.click('#new-chat');
  assert.equal(await page.locator('.msg').count(), 0);
  assert.equal(await page.locator('#status').textContent(), 'New chat.');
  await setField(page, '#max-tokens', 8);
  await ask(page, 'Hi');
  await waitForAnswer(page);
  assert.equal(await page.locator('.msg').count(), 2, 'nothing of the cancelled answer comes back');
  assert.deepEqual(requests[1].messages, [{ role: 'user', content: 'Hi' }]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a stream that ends without finishing is reported', async () => {
  const context = await browser.newContext();
  await context.addInitScript((key) => localStorage.setItem('minerva.apiKey', key), apiKey);
  const chunk = { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Half an answer' } }] };
  await context.route('**/v1/chat/completions', (route) =>
    route.fulfill({ status: 200, contentType: 'text/event-stream', body: `data: ${JSON.stringify(chunk)}\r\n\r\n` }));
  const page = await context.newPage();
  await page.goto(base);
  await ask(page, 'Hi');
  await waitForAnswer(page);
  assert.equal(await lastAnswer(page).locator('.body').textContent(), 'Half an answer');
  assert.match(await page.locator('.msg.error').textContent(), /connection closed before the answer was complete/);
  await context.close();
});

test('the model picker shows format, backend and state, and the chosen model and backend go into the request', async () => {
  // This server serves one model; a second entry is added to its real list (with the fields a
  // routing server reports) to check the picker and that the choice reaches the request.
  const context = await browser.newContext();
  await context.addInitScript((key) => localStorage.setItem('minerva.apiKey', key), apiKey);
  await context.route('**/v1/models', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.data.push({ id: 'second-model', object: 'model', format: 'gguf', backend: 'llama_cpp', state: 'unloaded' });
    await route.fulfill({ response: res, json: body });
  });
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/v1/chat/completions')) requests.push(JSON.parse(r.postData()));
  });
  await page.goto(base);
  await page.locator('#model option').nth(1).waitFor({ state: 'attached' });
  const labels = await page.locator('#model option').allTextContents();
  assert.equal(labels.length, 2);
  assert.match(labels[0], /^stories260K/);
  assert.equal(labels[1], 'second-model (gguf, llama_cpp, unloaded)');
  await page.selectOption('#model', 'second-model');
  assert.equal(await page.locator('#model-info').textContent(), 'format: gguf · backend: llama_cpp · state: unloaded');
  await page.selectOption('#backend', 'native');
  await setField(page, '#max-tokens', 8);
  await ask(page, 'Hello');
  // A server that serves one model answers for any id; one that routes would say it has no such model.
  await page.locator('.msg.assistant .stats, .msg.error').first().waitFor();
  assert.equal(requests[0].model, 'second-model');
  assert.equal(requests[0].backend, 'native');

  // A backend this server does not have: its 503 is shown, and the turn is given back.
  await page.selectOption('#model', { index: 0 });
  await page.selectOption('#backend', 'llama_cpp');
  const shownErrors = await page.locator('.msg.error').count();
  await ask(page, 'Hello again');
  const error = page.locator('.msg.error').nth(shownErrors);
  await error.waitFor();
  assert.match(await error.textContent(), /llama.*\(HTTP 503/);
  assert.equal(requests[1].backend, 'llama_cpp');
  assert.equal(await page.locator('#prompt').inputValue(), 'Hello again');
  await page.screenshot({ path: path.join(artifacts, 'web_ui_error.png') });
  await context.close();
});

test('a bad request shows the server error message', async () => {
  const { context, page, errors } = await openChat();
  await setField(page, '#max-tokens', -5);
  await ask(page, 'Hi');
  const error = page.locator('.msg.error');
  await error.waitFor();
  const text = await error.textContent();
  assert.match(text, /'max_tokens' must be >= 0/);
  assert.match(text, /HTTP 400, invalid_request_error, param: max_tokens/);
  assert.equal(await error.getAttribute('role'), 'alert');
  assert.match(await page.locator('#status').textContent(), /^Error: 'max_tokens' must be >= 0/);
  assert.equal(await page.locator('.msg.assistant').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('markup in model output is shown as text; Markdown and code blocks are rendered', async () => {
  // The tiny demo model cannot be made to write HTML, so this answer is fed to the page as an
  // SSE stream in the server's own format, split mid-tag across events.
  const context = await browser.newContext();
  await context.addInitScript((key) => localStorage.setItem('minerva.apiKey', key), apiKey);
  const pieces = ['Look: <img src=x onerr', 'or="window.pwned=1"> and <script>window.pwned=2</script>\n\n',
    '**bold** and `<b>code</b>` and [bad](javascript:alert(1)) and [good](https://example.com/)\n\n',
    '```html\n<iframe src="javascript:window.pwned=3"></iframe>\n```\n'];
  const sse = [{ choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
    ...pieces.map((content) => ({ choices: [{ index: 0, delta: { content } }] })),
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }]
    .map((c) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', ...c })}\n\n`).join('') + 'data: [DONE]\n\n';
  await context.route('**/v1/chat/completions', (route) =>
    route.fulfill({ status: 200, contentType: 'text/event-stream', body: sse }));
  const page = await context.newPage();
  await page.goto(base);
  await ask(page, '<b>not bold</b>');
  const body = (await waitForAnswer(page)).locator('.body');
  const pageCounts = await page.evaluate(() => ({
    img: document.querySelectorAll('img').length,
    script: document.querySelectorAll('body script').length,
    iframe: document.querySelectorAll('iframe').length,
    userBold: document.querySelectorAll('.msg.user b').length,
    pwned: window.pwned ?? null,
  }));
  assert.deepEqual(pageCounts, { img: 0, script: 0, iframe: 0, userBold: 0, pwned: null });
  assert.equal(await page.locator('.msg.user .body').textContent(), '<b>not bold</b>');
  const text = await body.textContent();
  assert.ok(text.includes('Look: <img src=x onerror="window.pwned=1"> and <script>window.pwned=2</script>'), text);
  assert.equal(await body.locator('strong').textContent(), 'bold');
  assert.equal(await body.locator('p code').textContent(), '<b>code</b>');
  assert.equal(await body.locator('a').count(), 1, 'only the https link is a link');
  assert.equal(await body.locator('a').getAttribute('href'), 'https://example.com/');
  assert.equal(await body.locator('.code-block code.language-html').textContent(),
    '<iframe src="javascript:window.pwned=3"></iframe>');
  await page.screenshot({ path: path.join(artifacts, 'web_ui_markdown.png') });
  await context.close();
});

test('usable on a narrow window and by keyboard; every control has a label', async () => {
  const { context, page, errors } = await openChat({ width: 380, height: 720 });
  assert.equal(await page.locator('#settings').getAttribute('open'), null, 'settings start folded');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
  assert.ok(await page.locator('#prompt').isVisible());
  assert.equal(await page.evaluate(() => document.activeElement.id), 'prompt', 'the message box has focus');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'send');
  const unlabeled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')].filter((e) => e.labels.length === 0).map((e) => e.id));
  assert.deepEqual(unlabeled, []);
  assert.equal(await page.locator('#transcript').getAttribute('aria-live'), 'polite');
  await page.click('#settings summary');
  await setField(page, '#max-tokens', 16);
  await page.click('#settings summary');
  await ask(page, 'Hi');
  await waitForAnswer(page);
  await page.screenshot({ path: path.join(artifacts, 'web_ui_narrow.png') });
  assert.deepEqual(errors, []);
  await context.close();
});
