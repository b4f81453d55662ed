// The chat page: talks to the server's own OpenAI-compatible API (relative URLs, so it also
// works behind a reverse proxy under a sub-path). Answers stream over SSE read from fetch();
// Stop aborts the request, which makes the server cancel the generation and free its slot.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    model: $('model'), modelInfo: $('model-info'), refresh: $('refresh-models'), backend: $('backend'),
    system: $('system'), temperature: $('temperature'), topP: $('top-p'), maxTokens: $('max-tokens'),
    seed: $('seed'), apiKey: $('api-key'), transcript: $('transcript'), status: $('status'),
    composer: $('composer'), prompt: $('prompt'), send: $('send'), stop: $('stop'), newChat: $('new-chat'),
    settings: $('settings'),
  };
  const KEY_STORAGE = 'minerva.apiKey';

  const history = []; // {role, content} turns that the next request sends
  let controller = null; // AbortController of the request in flight
  let conversation = 0; // bumped by New chat, so a request from the old one leaves the new alone

  function headers(json) {
    const h = {};
    if (json) h['Content-Type'] = 'application/json';
    const key = ui.apiKey.value.trim();
    if (key) h.Authorization = `Bearer ${key}`;
    return h;
  }

  function setStatus(text) {
    ui.status.textContent = text;
  }

  // An OpenAI error object (or anything else the server sent) as one readable line.
  function describeError(status, body) {
    const e = body && typeof body === 'object' ? body.error : null;
    if (e && typeof e === 'object') {
      const parts = [status ? `HTTP ${status}` : null, e.type, e.param ? `param: ${e.param}` : null, e.code]
        .filter(Boolean).join(', ');
      return `${e.message || 'error'}${parts ? ` (${parts})` : ''}`;
    }
    if (typeof body === 'string' && body.trim()) return `HTTP ${status}: ${body.trim().slice(0, 500)}`;
    return `HTTP ${status}`;
  }

  async function errorFromResponse(res) {
    const text = await res.text();
    try {
      return describeError(res.status, JSON.parse(text));
    } catch {
      return describeError(res.status, text);
    }
  }

  // ---- models ----------------------------------------------------------------------------

  // format/backend/state come from servers that route between engines; older ones only say ready.
  function modelFacts(m) {
    const facts = [];
    if (m.format) facts.push(`format: ${m.format}`);
    if (m.backend) facts.push(`backend: ${m.backend}`);
    if (m.state) facts.push(`state: ${m.state}`);
    else if (m.ready === true) facts.push('state: ready');
    else if (m.ready === false) facts.push('state: loading');
    return facts;
  }

  function showModelInfo() {
    const opt = ui.model.selectedOptions[0];
    ui.modelInfo.textContent = opt ? opt.dataset.facts : '';
  }

  async function loadModels() {
    const previous = ui.model.value;
    ui.modelInfo.textContent = 'Loading the model list…';
    try {
      const res = await fetch('v1/models', { headers: headers(false) });
      if (!res.ok) throw new Error(await errorFromResponse(res));
      const body = await res.json();
      const models = Array.isArray(body.data) ? body.data : [];
      ui.model.replaceChildren();
      for (const m of models) {
        if (!m || typeof m.id !== 'string') continue;
        const opt = document.createElement('option');
        const facts = modelFacts(m);
        opt.value = m.id;
        opt.textContent = facts.length ? `${m.id} (${facts.map((f) => f.split(': ')[1]).join(', ')})` : m.id;
        opt.dataset.facts = facts.join(' · ');
        ui.model.appendChild(opt);
      }
      if ([...ui.model.options].some((o) => o.value === previous)) ui.model.value = previous;
      if (!ui.model.options.length) ui.modelInfo.textContent = 'The server lists no models.';
      else showModelInfo();
    } catch (err) {
      ui.modelInfo.textContent = `Could not load the model list: ${err.message}`;
    }
  }

  // ---- transcript ------------------------------------------------------------------------

  function addMessage(role, text) {
    const msg = document.createElement('article');
    msg.className = `msg ${role}`;
    const who = document.createElement('h3');
    who.className = 'who';
    who.textContent = role === 'user' ? 'You' : role === 'assistant' ? 'Assistant' : 'Error';
    const body = document.createElement('div');
    body.className = 'body';
    msg.append(who, body);
    if (role === 'assistant') MinervaMarkdown.render(body, text);
    else body.textContent = text; // what the user typed is shown exactly as typed
    ui.transcript.appendChild(msg);
    msg.scrollIntoView({ block: 'end' });
    return msg;
  }

  function addError(text) {
    const msg = addMessage('error', text);
    msg.setAttribute('role', 'alert');
    return msg;
  }

  function addStats(msg, text) {
    const p = document.createElement('p');
    p.className = 'stats';
    p.textContent = text;
    msg.appendChild(p);
  }

  // ---- request -----------------------------------------------------------------------------

  function numberField(input) {
    const v = input.value.trim();
    return v === '' ? undefined : Number(v);
  }

  function buildRequest() {
    const messages = [];
    const system = ui.system.value.trim();
    if (system) messages.push({ role: 'system', content: system });
    messages.push(...history);
    const req = { messages, stream: true, stream_options: { include_usage: true } };
    if (ui.model.value) req.model = ui.model.value;
    // Servers that predate backend routing reject nothing, but leave the field out when it adds nothing.
    if (ui.backend.value !== 'auto') req.backend = ui.backend.value;
    const fields = [['temperature', ui.temperature], ['top_p', ui.topP], ['max_tokens', ui.maxTokens], ['seed', ui.seed]];
    for (const [name, input] of fields) {
      const v = numberField(input);
      if (v !== undefined) req[name] = v; // invalid values go to the server, whose 400 says why
    }
    return req;
  }

  // Yields the data of each server-sent event in a fetch() body, as it arrives.
  async function* sseEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let carry = ''; // a trailing CR may be the first half of a CRLF
    for (;;) {
      const { value, done } = await reader.read();
      let text = carry + decoder.decode(value ?? new Uint8Array(), { stream: !done });
      carry = !done && text.endsWith('\r') ? '\r' : '';
      if (carry) text = text.slice(0, -1);
      buffer += text.replace(/\r\n?/g, '\n');
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
        if (data.length) yield data.join('\n');
      }
      if (done) return;
    }
  }

  function setBusy(busy) {
    ui.send.disabled = busy;
    ui.stop.disabled = !busy;
    ui.transcript.setAttribute('aria-busy', String(busy));
  }

  async function send(text) {
    const userMsg = addMessage('user', text);
    history.push({ role: 'user', content: text });
    const request = buildRequest();
    const answer = addMessage('assistant', '');
    answer.classList.add('streaming');
    const body = answer.querySelector('.body');
    let content = '';
    let chunks = 0;
    let usage = null;
    let servedBy = null;
    let failure = null;
    let stopped = false;
    let finish = null; // finish_reason, or 'done' after [DONE]
    const conv = conversation;
    const t0 = performance.now();
    let tFirst = null;

    controller = new AbortController();
    setBusy(true);
    setStatus('Waiting for the first token…');
    try {
      const res = await fetch('v1/chat/completions', {
        method: 'POST', headers: headers(true), body: JSON.stringify(request), signal: controller.signal,
      });
      if (res.status === 401) {
        ui.settings.open = true;
        throw new Error(`${await errorFromResponse(res)}. Enter the server's key in Settings → API key.`);
      }
      if (!res.ok) throw new Error(await errorFromResponse(res));
      servedBy = res.headers.get('X-Minerva-Backend');
      setStatus('Generating…');
      for await (const data of sseEvents(res.body)) {
        if (conv !== conversation) break;
        if (data === '[DONE]') {
          finish ??= 'done';
          break;
        }
        let chunk;
        try {
          chunk = JSON.parse(data);
        } catch {
          throw new Error(`the server sent an event that is not JSON: ${data.slice(0, 200)}`);
        }
        if (chunk.error) throw new Error(describeError(0, chunk));
        if (chunk.usage) usage = chunk.usage;
        if (typeof chunk.backend === 'string') servedBy = chunk.backend;
        if (chunk.choices?.[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
        const piece = chunk.choices?.[0]?.delta?.content;
        if (typeof piece === 'string' && piece) {
          if (tFirst === null) tFirst = performance.now();
          chunks += 1;
          content += piece;
          MinervaMarkdown.render(body, content);
        }
      }
    } catch (err) {
      if (err.name === 'AbortError') stopped = true;
      else failure = err.message || String(err);
    } finally {
      controller = null;
      setBusy(false);
      answer.classList.remove('streaming');
    }
    const tEnd = performance.now();
    if (conv !== conversation) return; // New chat was pressed meanwhile
    if (failure === null && !stopped && finish === null) {
      failure = 'the connection closed before the answer was complete';
    }

    if (!content && (failure !== null || stopped)) {
      // Nothing came back: take the turn out so the user can fix the settings and resend it.
      history.pop();
      answer.remove();
      userMsg.classList.add('failed');
      if (failure !== null) addError(failure);
      if (!ui.prompt.value) ui.prompt.value = text;
      setStatus(failure !== null ? `Error: ${failure}` : 'Stopped before the first token.');
      return;
    }
    history.push({ role: 'assistant', content });
    const tokens = usage?.completion_tokens ?? chunks;
    const parts = [];
    if (stopped) parts.push('stopped');
    parts.push(`${tokens} token${tokens === 1 ? '' : 's'}${finish === 'length' ? ' (max tokens reached)' : ''}`);
    if (tFirst !== null) {
      // Speed over the tokens after the first, whose wait is the time to first token.
      const genSeconds = (tEnd - tFirst) / 1000;
      if (tokens > 1 && genSeconds > 0) parts.push(`${((tokens - 1) / genSeconds).toFixed(1)} tokens/s`);
      parts.push(`first token after ${Math.round(tFirst - t0)} ms`);
    }
    if (servedBy) parts.push(`backend: ${servedBy}`);
    addStats(answer, parts.join(' · '));
    if (failure !== null) addError(failure);
    setStatus(stopped ? 'Stopped.' : failure !== null ? `Error: ${failure}` : 'Done.');
  }

  function submit() {
    const text = ui.prompt.value;
    if (!text.trim() || controller) return;
    ui.prompt.value = '';
    send(text);
  }

  // ---- wiring ------------------------------------------------------------------------------

  ui.apiKey.value = localStorage.getItem(KEY_STORAGE) ?? '';
  ui.apiKey.addEventListener('input', () => {
    const key = ui.apiKey.value.trim();
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  });
  ui.apiKey.addEventListener('change', loadModels);
  ui.refresh.addEventListener('click', loadModels);
  ui.model.addEventListener('change', showModelInfo);
  ui.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  ui.prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && controller) {
      controller.abort();
    }
  });
  ui.stop.addEventListener('click', () => {
    controller?.abort();
    ui.prompt.focus();
  });
  ui.newChat.addEventListener('click', () => {
    conversation += 1;
    controller?.abort();
    history.length = 0;
    ui.transcript.replaceChildren();
    setStatus('New chat.');
    ui.prompt.focus();
  });
  // Narrow windows start with the settings folded away so the conversation has the room.
  if (window.matchMedia('(max-width: 700px)').matches) ui.settings.open = false;

  loadModels();
  ui.prompt.focus();
})();
