// The local inbox: every message the local server delivers, live over Server-Sent Events.
// Every value is put in the page as text (textContent), never as markup; an email's HTML is
// shown only in a sandboxed iframe served with its own Content-Security-Policy.
'use strict';

const list = document.getElementById('messages');
const empty = document.getElementById('empty');
const live = document.getElementById('live');
const filter = {
  to: document.getElementById('f-to'),
  channel: document.getElementById('f-channel'),
  family: document.getElementById('f-family'),
};
// The newest message of each session, and each session's last known state.
const newest = new Map();
const states = new Map();

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// The body with its code highlighted (as text nodes and a <mark>).
function withCode(m) {
  if (!m.code) return [document.createTextNode(m.body)];
  return [
    document.createTextNode(m.code.before),
    el('mark', { class: 'code', text: m.code.code }),
    document.createTextNode(m.code.after),
  ];
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el('textarea', { 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  button.textContent = 'Copied';
  setTimeout(() => { button.textContent = 'Copy code'; }, 1200);
}

function stateOf(m) {
  if (newest.get(m.session) !== m.id) return 'replaced';
  return states.get(m.session) || 'pending';
}

function showState(item) {
  const badge = item.querySelector('.state');
  if (!badge) return;
  const state = stateOf(item.message);
  badge.textContent = state;
  badge.className = `state state-${state}`;
  item.dataset.state = state;
}

function tabs(m) {
  const pane = el('div', { class: 'pane' });
  const frame = () => el('iframe', {
    sandbox: '',
    referrerpolicy: 'no-referrer',
    loading: 'lazy',
    title: `HTML of the email to ${m.to}`,
    src: `/_local/outbox/${m.id}/html`,
  });
  const text = () => el('pre', { class: 'text' }, ...withCode(m));
  const bar = el('div', { class: 'tabs', role: 'tablist' });
  const show = (which) => {
    for (const b of bar.children) b.setAttribute('aria-selected', String(b.dataset.tab === which));
    pane.replaceChildren(which === 'html' ? frame() : text());
  };
  for (const [tab, label] of [['html', 'HTML'], ['text', 'Text']]) {
    if (tab === 'html' && !m.html) continue;
    const b = el('button', { type: 'button', role: 'tab', text: label, 'data-tab': tab });
    b.addEventListener('click', () => show(tab));
    bar.append(b);
  }
  show(m.html ? 'html' : 'text');
  return [bar, pane];
}

function render(m) {
  // A message posted to the outbox belongs to no session: it is dated as it arrives.
  const time = new Date(m.sent_at ?? Date.now());
  const head = el('div', { class: 'head' },
    m.channel === 'sms' ? el('span', { class: 'from', text: m.sender_id || 'default sender' }) : null,
    el('span', { text: m.channel === 'sms' ? '→' : 'To' }),
    el('span', { class: 'to', text: m.to }),
    el('time', { datetime: time.toISOString(), text: time.toLocaleTimeString() }));
  const content = m.channel === 'sms'
    ? [el('div', { class: 'bubble' }, ...withCode(m))]
    : [el('div', { class: 'subject', text: m.subject || '(no subject)' }),
      m.code ? el('div', { class: 'code-line' }, 'Code ', el('mark', { class: 'code', text: m.code.code })) : null,
      ...tabs(m)];
  const meta = el('div', { class: 'meta' },
    el('span', { class: 'tag family', text: m.family }),
    m.client ? el('span', { class: 'tag client', text: `client ${m.client}` }) : null,
    m.encoding ? el('span', { class: 'tag sms', text: `${m.encoding} · ${m.segments} segment${m.segments === 1 ? '' : 's'}` }) : null,
    m.test ? el('span', { class: 'tag test', text: 'test recipient: not delivered' }) : null,
    m.session ? el('span', { class: 'state' }) : null);
  if (m.code) {
    const button = el('button', { type: 'button', class: 'copy', text: 'Copy code' });
    button.addEventListener('click', () => copy(m.code.code, button));
    meta.append(button);
  }
  const item = el('li', { class: `msg ${m.channel}`, 'data-id': String(m.id) }, head, ...content.filter(Boolean), meta);
  item.message = m;
  return item;
}

function matches(m) {
  const to = filter.to.value.trim().toLowerCase();
  return (!to || m.to.toLowerCase().includes(to))
    && (!filter.channel.value || m.channel === filter.channel.value)
    && (!filter.family.value || m.family === filter.family.value);
}

function refilter() {
  for (const item of list.children) item.hidden = !matches(item.message);
  empty.hidden = list.children.length > 0;
}

function add(m) {
  const before = m.session ? newest.get(m.session) : undefined;
  if (m.session) newest.set(m.session, m.id);
  const item = render(m);
  item.hidden = !matches(m);
  list.prepend(item);
  if (before !== undefined) {
    const older = list.querySelector(`li[data-id="${before}"]`);
    if (older) showState(older);
  }
  showState(item);
  empty.hidden = true;
}

function setState(session, state) {
  states.set(session, state);
  for (const item of list.children) {
    if (item.message.session === session) showState(item);
  }
}

function clearAll() {
  list.replaceChildren();
  newest.clear();
  states.clear();
  empty.hidden = false;
}

for (const input of Object.values(filter)) input.addEventListener('input', refilter);
document.getElementById('clear').addEventListener('click', () => {
  fetch('/_local/outbox', { method: 'DELETE' });
});

const events = new EventSource('/_local/outbox/events');
events.addEventListener('open', () => { live.textContent = 'live'; live.className = 'live on'; });
events.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.className = 'live'; });
// A reconnected stream starts with the whole outbox again.
events.addEventListener('reset', clearAll);
events.addEventListener('delivered', (e) => add(JSON.parse(e.data)));
events.addEventListener('state', (e) => {
  const s = JSON.parse(e.data);
  setState(s.session, s.state);
});
