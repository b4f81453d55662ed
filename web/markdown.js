// A small Markdown renderer that builds DOM nodes directly. Model output is untrusted: text only
// ever reaches the page through textContent / createTextNode, never innerHTML, so markup in an
// answer is shown as text and cannot run. Covers what chat answers use: fenced code, headings,
// lists, quotes, rules, paragraphs, inline code, bold, italic and http(s) links. An unclosed
// fence (common mid-stream) renders as code up to the end of the text.
'use strict';

const MinervaMarkdown = (() => {
  const FENCE = /^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
  const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
  const QUOTE = /^\s{0,3}>\s?/;
  const BULLET = /^\s{0,3}[-*+]\s+/;
  const NUMBERED = /^\s{0,3}(\d{1,9})[.)]\s+/;

  // One alternative per inline form; the first capture group that matched says which.
  const INLINE = new RegExp(
    [
      '(`+)([\\s\\S]*?[^`])\\1(?!`)', // 1,2: code span
      '\\*\\*(?=\\S)([\\s\\S]*?\\S)\\*\\*', // 3: bold
      '__(?=\\S)([\\s\\S]*?\\S)__', // 4: bold
      '\\*(?=[^\\s*])([^*]*?[^\\s*])\\*', // 5: italic
      '\\[([^\\]\\n]+)\\]\\((https?://[^\\s)]+)\\)', // 6,7: link
      '(https?://[^\\s<>()\\[\\]]*[^\\s<>()\\[\\].,;:!?\'"])', // 8: bare URL
    ].join('|'),
    'g',
  );

  function el(tag, className) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  // Only absolute http(s) URLs become links; anything else (javascript:, data:) stays text.
  function safeUrl(url) {
    try {
      const u = new URL(url);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch {
      return null;
    }
  }

  function link(parent, text, url) {
    const href = safeUrl(url);
    if (!href) {
      parent.appendChild(document.createTextNode(text));
      return;
    }
    const a = el('a');
    a.href = href;
    a.rel = 'noopener noreferrer nofollow';
    a.target = '_blank';
    a.textContent = text;
    parent.appendChild(a);
  }

  function inline(parent, text) {
    let last = 0;
    INLINE.lastIndex = 0;
    for (let m = INLINE.exec(text); m; m = INLINE.exec(text)) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      const end = m.index + m[0].length;
      if (m[1] !== undefined) {
        const code = el('code');
        code.textContent = m[2].replace(/^ (.*) $/s, '$1');
        parent.appendChild(code);
      } else if (m[3] !== undefined || m[4] !== undefined) {
        const strong = el('strong');
        inline(strong, m[3] ?? m[4]);
        parent.appendChild(strong);
      } else if (m[5] !== undefined) {
        const em = el('em');
        inline(em, m[5]);
        parent.appendChild(em);
      } else if (m[6] !== undefined) {
        link(parent, m[6], m[7]);
      } else {
        link(parent, m[8], m[8]);
      }
      last = end;
      INLINE.lastIndex = end; // nested inline() calls moved it
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function codeBlock(lang, code) {
    const wrap = el('div', 'code-block');
    const bar = el('div', 'code-bar');
    const label = el('span', 'code-lang');
    label.textContent = lang || 'code';
    const copy = el('button', 'copy');
    copy.type = 'button';
    copy.textContent = 'Copy';
    copy.setAttribute('aria-label', `Copy ${lang || 'code'} block`);
    copy.addEventListener('click', () => {
      navigator.clipboard?.writeText(code).then(
        () => { copy.textContent = 'Copied'; },
        () => { copy.textContent = 'Copy failed'; },
      );
    });
    bar.append(label, copy);
    const pre = el('pre');
    const c = el('code');
    if (/^[\w+-]+$/.test(lang)) c.className = `language-${lang}`;
    c.textContent = code;
    pre.appendChild(c);
    wrap.append(bar, pre);
    return wrap;
  }

  function isBlockStart(line) {
    return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) ||
      BULLET.test(line) || NUMBERED.test(line);
  }

  function blocks(parent, lines) {
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if (line.trim() === '') {
        i += 1;
      } else if ((m = FENCE.exec(line))) {
        const fence = m[1];
        const body = [];
        i += 1;
        while (i < lines.length && !(lines[i].trim().startsWith(fence[0].repeat(fence.length)) &&
                                     lines[i].trim().replace(/[`~]/g, '') === '')) {
          body.push(lines[i]);
          i += 1;
        }
        i += 1; // the closing fence, if any
        parent.appendChild(codeBlock(m[2], body.join('\n')));
      } else if ((m = HEADING.exec(line))) {
        // Answers sit under the page's own headings: h1 in an answer becomes h3.
        const h = el(`h${Math.min(6, m[1].length + 2)}`);
        inline(h, m[2]);
        parent.appendChild(h);
        i += 1;
      } else if (RULE.test(line)) {
        parent.appendChild(el('hr'));
        i += 1;
      } else if (QUOTE.test(line)) {
        const inner = [];
        while (i < lines.length && QUOTE.test(lines[i])) inner.push(lines[i++].replace(QUOTE, ''));
        const q = el('blockquote');
        blocks(q, inner);
        parent.appendChild(q);
      } else if (BULLET.test(line) || NUMBERED.test(line)) {
        const ordered = !BULLET.test(line);
        const pattern = ordered ? NUMBERED : BULLET;
        const list = el(ordered ? 'ol' : 'ul');
        if (ordered) {
          const start = Number(NUMBERED.exec(line)[1]);
          if (start !== 1) list.start = start;
        }
        while (i < lines.length && pattern.test(lines[i])) {
          let item = lines[i++].replace(pattern, '');
          // Indented lines continue the item.
          while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !pattern.test(lines[i])) item += `\n${lines[i++].trim()}`;
          const li = el('li');
          inline(li, item);
          list.appendChild(li);
        }
        parent.appendChild(list);
      } else {
        const para = [];
        while (i < lines.length && lines[i].trim() !== '' && !isBlockStart(lines[i])) para.push(lines[i++]);
        const p = el('p');
        inline(p, para.join('\n'));
        parent.appendChild(p);
      }
    }
  }

  // Replaces container's children with the rendering of text.
  function render(container, text) {
    const frag = document.createDocumentFragment();
    blocks(frag, String(text).replace(/\r\n?/g, '\n').split('\n'));
    container.replaceChildren(frag);
  }

  return { render };
})();
