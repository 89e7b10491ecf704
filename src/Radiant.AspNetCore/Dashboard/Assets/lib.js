// The dashboard's shared parts: the API client (problem details become ApiError with field errors), form fields that
// show the API's errors next to them, tables, cards, tabs, progress and money formatting. Every page imports from here.
import { h, render, Fragment } from './vendor/preact.mjs';
import { useState, useEffect, useRef, useCallback, useMemo, useId } from './vendor/preact-hooks.mjs';
import htm from './vendor/htm.mjs';

export const html = htm.bind(h);
export { render, Fragment, useState, useEffect, useRef, useCallback, useMemo, useId };

const body = document.body;

/** Who is signed in and where the API is (set by the server on <body>). */
export const session = Object.freeze({
  api: body.dataset.api ?? '',
  user: body.dataset.user ?? '',
  admin: body.dataset.admin === 'true',
});

/** A refused call: the HTTP status, the problem's title and detail, and its field errors keyed by JSON path. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The request failed (${status}).`);
    this.status = status;
    this.title = problem?.title ?? '';
    this.problem = problem ?? {};
    this.errors = problem?.errors ?? {};
  }

  /** The messages for one field, by its exact key (case-insensitive), e.g. `modes[0].temperature`. */
  field(name) {
    const lower = name.toLowerCase();
    return Object.entries(this.errors)
      .filter(([key]) => key.toLowerCase() === lower)
      .flatMap(([, messages]) => messages);
  }
}

function query(params) {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The URL of an API route, e.g. url('/api/admin/thinktank/users/export', { search: 'a' }). */
export function url(path, params) {
  return `${session.api}${path}${query(params)}`;
}

/**
 * Calls the API and returns its JSON (null for 204). Throws ApiError for any non-2xx answer.
 * api('/api/personas'), api('/api/personas', { method: 'POST', body: {...} }), api(path, { params: { limit: 20 } }).
 */
export async function api(path, { method = 'GET', body: payload, params, signal } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url(path, params), {
    method, headers, signal, credentials: 'same-origin',
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') ?? '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    throw new ApiError(response.status, typeof data === 'object' ? data : { title: response.statusText, detail: data });
  }
  return data;
}

/**
 * POSTs and reads a server-sent event stream: onEvent(name, data) for each event. A refusal before the stream starts
 * throws ApiError like api() does.
 */
export async function stream(path, payload, onEvent, { params, signal } = {}) {
  const response = await fetch(url(path, params), {
    method: 'POST', signal, credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream, application/problem+json' },
    body: JSON.stringify(payload),
  });
  if (!response.ok) {
    const type = response.headers.get('Content-Type') ?? '';
    const data = type.includes('json') ? await response.json() : { title: response.statusText, detail: await response.text() };
    throw new ApiError(response.status, data);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

/** Loads data for a component: { data, error, loading, reload, setData }. Re-runs when deps change; aborts stale loads. */
export function useLoad(loader, deps = []) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState(s => ({ ...s, loading: true, error: null }));
    loader(controller.signal).then(
      data => { if (!controller.signal.aborted) setState({ data, error: null, loading: false }); },
      error => { if (!controller.signal.aborted) setState(s => ({ ...s, error, loading: false })); });
    return () => controller.abort();
  }, [...deps, version]);
  const reload = useCallback(() => setVersion(v => v + 1), []);
  const setData = useCallback(update => setState(s => ({ ...s, data: typeof update === 'function' ? update(s.data) : update })), []);
  return { ...state, reload, setData };
}

/** Progress for work under way: an indeterminate progress bar announced to screen readers. */
export function Busy({ label = 'Loading…' }) {
  return html`<div class="busy" role="status"><progress aria-label=${label}></progress> <span>${label}</span></div>`;
}

/** An error that is not about one field (or an ApiError's summary), announced when it appears. */
export function ErrorMessage({ error }) {
  if (!error) return null;
  const title = error instanceof ApiError ? error.title : '';
  const detail = error.message && error.message !== title ? error.message : '';
  return html`<div class="error-banner" role="alert">${title ? html`<strong>${title}</strong> ` : null}${detail}</div>`;
}

/** A success or information message, announced politely. */
export function Notice({ children }) {
  return children ? html`<p class="notice" role="status">${children}</p>` : null;
}

function FieldShell({ id, label, hint, messages, children, className = 'field' }) {
  return html`<div class=${className}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
    ${messages.length ? html`<p class="field-error" id=${`${id}-error`}>${messages.join(' ')}</p>` : null}
  </div>`;
}

function describedBy(id, hint, messages) {
  return [hint ? `${id}-hint` : '', messages.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
}

/**
 * A labelled input with the API's errors for `name` (a JSON path, e.g. "markup" or "modes[2].temperature") shown
 * under it. `error` is the ApiError of the last submit (or null). Other props go to the <input>.
 */
export function Input({ label, name, error, hint, value, onValue, type = 'text', ...rest }) {
  const id = useId();
  const messages = error instanceof ApiError ? error.field(name) : [];
  return html`<${FieldShell} id=${id} label=${label} hint=${hint} messages=${messages}>
    <input id=${id} name=${name} type=${type} value=${value ?? ''} aria-invalid=${messages.length ? 'true' : undefined}
      aria-describedby=${describedBy(id, hint, messages)} onInput=${e => onValue?.(e.currentTarget.value)} ...${rest} />
  <//>`;
}

/** A labelled <textarea> with its field errors. */
export function TextArea({ label, name, error, hint, value, onValue, rows = 4, ...rest }) {
  const id = useId();
  const messages = error instanceof ApiError ? error.field(name) : [];
  return html`<${FieldShell} id=${id} label=${label} hint=${hint} messages=${messages}>
    <textarea id=${id} name=${name} rows=${rows} value=${value ?? ''} aria-invalid=${messages.length ? 'true' : undefined}
      aria-describedby=${describedBy(id, hint, messages)} onInput=${e => onValue?.(e.currentTarget.value)} ...${rest}></textarea>
  <//>`;
}

/** A labelled <select>; options are [{ value, label }] or [{ group, options: [...] }]. */
export function Select({ label, name, error, hint, value, onValue, options, ...rest }) {
  const id = useId();
  const messages = error instanceof ApiError ? error.field(name) : [];
  const option = o => html`<option value=${o.value} selected=${String(o.value) === String(value ?? '')}>${o.label}</option>`;
  return html`<${FieldShell} id=${id} label=${label} hint=${hint} messages=${messages}>
    <select id=${id} name=${name} aria-invalid=${messages.length ? 'true' : undefined}
      aria-describedby=${describedBy(id, hint, messages)} onChange=${e => onValue?.(e.currentTarget.value)} ...${rest}>
      ${options.map(o => o.group ? html`<optgroup label=${o.group}>${o.options.map(option)}</optgroup>` : option(o))}
    </select>
  <//>`;
}

/** A labelled checkbox with its field errors. */
export function Checkbox({ label, name, error, checked, onValue, ...rest }) {
  const id = useId();
  const messages = error instanceof ApiError ? error.field(name) : [];
  return html`<div class="field field-check">
    <input id=${id} name=${name} type="checkbox" checked=${!!checked} aria-invalid=${messages.length ? 'true' : undefined}
      aria-describedby=${messages.length ? `${id}-error` : undefined} onChange=${e => onValue?.(e.currentTarget.checked)} ...${rest} />
    <label for=${id}>${label}</label>
    ${messages.length ? html`<p class="field-error" id=${`${id}-error`}>${messages.join(' ')}</p>` : null}
  </div>`;
}

/**
 * A native table: columns are [{ key, label, render?(row), numeric? }]. `caption` names it for assistive technology;
 * `empty` is shown when there are no rows; `rowKey(row)` keys the rows.
 */
export function Table({ caption, columns, rows, empty = 'Nothing to show.', rowKey = row => row.id }) {
  return html`<div class="table-wrap">
    <table>
      <caption>${caption}</caption>
      <thead><tr>${columns.map(c => html`<th scope="col" class=${c.numeric ? 'num' : ''}>${c.label}</th>`)}</tr></thead>
      <tbody>
        ${rows.length === 0
          ? html`<tr><td colspan=${columns.length} class="empty">${empty}</td></tr>`
          : rows.map(row => html`<tr key=${rowKey(row)}>${columns.map(c =>
              html`<td class=${c.numeric ? 'num' : ''}>${c.render ? c.render(row) : row[c.key]}</td>`)}</tr>`)}
      </tbody>
    </table>
  </div>`;
}

/** Summary cards: items are [{ label, value, hint? }]. */
export function Cards({ items, label }) {
  return html`<ul class="cards" aria-label=${label}>
    ${items.map(item => html`<li class="card"><span class="card-label">${item.label}</span>
      <span class="card-value">${item.value}</span>${item.hint ? html`<span class="card-hint">${item.hint}</span>` : null}</li>`)}
  </ul>`;
}

/** WAI-ARIA tabs (arrow keys, Home, End): tabs are [{ id, label, render() }]. */
export function Tabs({ tabs, label }) {
  const [selected, setSelected] = useState(tabs[0].id);
  const refs = useRef({});
  const base = useId();
  const move = (event, index) => {
    const keys = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in keys)) return;
    event.preventDefault();
    const next = tabs[(keys[event.key] + tabs.length) % tabs.length];
    setSelected(next.id);
    refs.current[next.id]?.focus();
  };
  const current = tabs.find(t => t.id === selected) ?? tabs[0];
  return html`<div class="tabs">
    <div role="tablist" aria-label=${label}>
      ${tabs.map((tab, index) => html`<button type="button" role="tab" id=${`${base}-tab-${tab.id}`}
        aria-selected=${tab.id === current.id ? 'true' : 'false'} aria-controls=${`${base}-panel`}
        tabindex=${tab.id === current.id ? 0 : -1} ref=${el => { refs.current[tab.id] = el; }}
        onClick=${() => setSelected(tab.id)} onKeyDown=${e => move(e, index)}>${tab.label}</button>`)}
    </div>
    <div role="tabpanel" id=${`${base}-panel`} aria-labelledby=${`${base}-tab-${current.id}`} tabindex="0">${current.render()}</div>
  </div>`;
}

/** Keyset paging over a list route: keeps the cursors of the pages before, so Previous works. */
export function usePager() {
  const [cursors, setCursors] = useState([null]);
  const cursor = cursors[cursors.length - 1];
  return {
    cursor,
    page: cursors.length,
    next: nextCursor => setCursors(c => [...c, nextCursor]),
    previous: () => setCursors(c => (c.length > 1 ? c.slice(0, -1) : c)),
    reset: () => setCursors([null]),
  };
}

/** Previous / Next buttons for usePager; `nextCursor` is the page's cursor for the following page (null at the end). */
export function Pager({ pager, nextCursor, label = 'Pages' }) {
  return html`<nav class="pager" aria-label=${label}>
    <button type="button" onClick=${pager.previous} disabled=${pager.page === 1}>Previous</button>
    <span>Page ${pager.page}</span>
    <button type="button" onClick=${() => pager.next(nextCursor)} disabled=${!nextCursor}>Next</button>
  </nav>`;
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usdFine = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 });
const count = new Intl.NumberFormat('en-US');
const percentFormat = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

/** Dollars: cents for amounts of a dollar or more, up to six decimals below (a message costs fractions of a cent). */
export function money(value) {
  if (value === null || value === undefined || value === '') return '—';
  const n = Number(value);
  return Math.abs(n) >= 1 || n === 0 ? usd.format(n) : usdFine.format(n);
}

/** A whole number with thousands separators. */
export function number(value) {
  return value === null || value === undefined ? '—' : count.format(Number(value));
}

/** A fraction as a percentage (markups are fractions: 0.25 → 25%). */
export function percent(value) {
  return value === null || value === undefined ? '—' : percentFormat.format(Number(value));
}

/** An ISO instant in the reader's locale and time zone. */
export function when(value) {
  return value ? new Date(value).toLocaleString() : '—';
}

/** Renders a page component into #page. */
export function mount(Page) {
  const root = document.getElementById('page');
  root.textContent = '';
  render(html`<${Page} />`, root);
}

/**
 * What a number field sends: nothing when empty, the number when it parses, otherwise the text as typed, so the API's
 * 400 names the field (a typo is never turned into a default).
 */
export function numeric(text) {
  const trimmed = String(text ?? '').trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}
