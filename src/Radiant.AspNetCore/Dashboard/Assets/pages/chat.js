// Think Tank chat (sections 31.5 and 31.8): pick a model (Auto, favourites, or any model by category, at the user's
// prices), see what the message would cost and which model auto would choose and why, send it and watch the reply
// stream in, then its charge. The conversation so far goes with every message. The cost limit is the user's
// preference (the chat request has no field of its own for it), so the page edits that preference.
import {
  html, api, stream, useLoad, useState, useEffect, useRef, useMemo, useId, ApiError,
  Busy, ErrorMessage, Notice, Input, TextArea, Select, Cards, money, number, numeric,
} from '../lib.js';
import {
  domainModes, ruleLabel, groupByCategory, pricePer1M, contextText, dollarsText,
  Exclusions, NoModelFits, isNoModelFits, OtherFieldErrors,
} from './_chat-parts.js';

const AUTO = 'auto';

// The shell lists only the pages of features the host enabled: no Personas page, no personas to pick.
const personasEnabled = () => !!document.querySelector('nav.sidebar a[href="personas"]');

/** The model a new conversation starts with, from the user's selection mode. */
function initialModel(preferences, models) {
  const available = id => models.some(m => m.id === id);
  if (preferences.selectionMode === 'manual' && preferences.defaultModelId && available(preferences.defaultModelId)) {
    return preferences.defaultModelId;
  }
  if (preferences.selectionMode === 'favorites') {
    const first = preferences.favoriteModels.find(available);
    if (first) return first;
  }
  return AUTO;
}

/** The conversation to send: every message so far (replies that produced no text are left out), then the draft. */
function conversation(log, draft) {
  const messages = [];
  for (const entry of log) {
    if (entry.role === 'user') messages.push({ role: 'user', content: entry.content });
    else if (entry.content) messages.push({ role: 'assistant', content: entry.content });
  }
  messages.push({ role: 'user', content: draft });
  return messages;
}

function ModelRow({ model, selected, onSelect, onToggle, toggling }) {
  const id = useId();
  return html`<tr data-model-id=${model.id}>
    <td>
      <input type="radio" id=${id} name="model" value=${model.id} checked=${selected} onChange=${() => onSelect(model.id)} />
      ${' '}<label for=${id}><strong>${model.displayName}</strong>
        ${' '}<span class="muted">${model.providerName}${model.contextWindow ? ` · ${contextText(model.contextWindow)} context` : ''}</span>
        ${model.isNovel ? html` <span class="badge">Novel</span>` : null}</label>
    </td>
    <td class="num price-input">${pricePer1M(model.userInputPricePer1M)}</td>
    <td class="num price-output">${pricePer1M(model.userOutputPricePer1M)}</td>
    <td>
      <button type="button" class="secondary" aria-pressed=${model.isFavorite ? 'true' : 'false'}
        aria-label=${`Add ${model.displayName} to favourites`} disabled=${toggling}
        onClick=${() => onToggle(model)}>${model.isFavorite ? '★' : '☆'}</button>
    </td>
  </tr>`;
}

function ModelTable({ caption, models, selected, onSelect, onToggle, toggling }) {
  return html`<div class="table-wrap">
    <table>
      <caption>${caption}</caption>
      <thead><tr>
        <th scope="col">Model</th>
        <th scope="col" class="num">Input per 1M</th>
        <th scope="col" class="num">Output per 1M</th>
        <th scope="col"><span class="visually-hidden">Favourite</span></th>
      </tr></thead>
      <tbody>
        ${models.map(m => html`<${ModelRow} key=${m.id} model=${m} selected=${selected === m.id} onSelect=${onSelect}
          onToggle=${onToggle} toggling=${toggling === m.id} />`)}
      </tbody>
    </table>
  </div>`;
}

/**
 * The model selector: Auto, the favourites, then every other model by category, each a radio (arrow keys move
 * between them) with its prices and a favourite toggle. Each option's row carries data-model-id; what the user pays
 * per 1M tokens is in its .price-input and .price-output cells.
 */
function ModelSelector({ models, preferences, selected, onSelect, onToggle, toggling, error }) {
  const [search, setSearch] = useState('');
  const autoId = useId();
  const term = search.trim().toLowerCase();
  const shown = term
    ? models.filter(m => [m.displayName, m.id, m.providerName, m.category].some(t => t?.toLowerCase().includes(term)))
    : models;
  const order = preferences.favoriteModels;
  const favourites = shown.filter(m => m.isFavorite).sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const groups = groupByCategory(shown, m => m.isFavorite);
  const messages = error instanceof ApiError ? [...error.field('modelId'), ...error.field('defaultModelId')] : [];
  const usesDefault = preferences.selectionMode !== 'auto' && preferences.defaultModelId;
  const defaultName = models.find(m => m.id === preferences.defaultModelId)?.displayName ?? preferences.defaultModelId;

  return html`
    <${Input} label="Search models" name="search" type="search" value=${search} onValue=${setSearch}
      hint="By name, provider or category." autocomplete="off" />
    <fieldset class="panel model-list" aria-describedby=${messages.length ? `${autoId}-error` : undefined}>
      <legend>Model for the next message</legend>
      ${messages.length ? html`<p class="field-error" id=${`${autoId}-error`}>${messages.join(' ')}</p>` : null}
      <div class="field field-check" data-model-id=${AUTO}>
        <input type="radio" id=${autoId} name="model" value=${AUTO} checked=${selected === AUTO} onChange=${() => onSelect(AUTO)}
          aria-describedby=${`${autoId}-hint`} />
        <label for=${autoId}>Auto <span class="badge">router</span></label>
        <p class="hint" id=${`${autoId}-hint`}>${usesDefault
          ? `Your preferences use your default model, ${defaultName}, when you pick none.`
          : 'The router picks the best model that fits the message and your cost limit.'}</p>
      </div>
      ${favourites.length
        ? html`<${ModelTable} caption="Favourites" models=${favourites} selected=${selected} onSelect=${onSelect} onToggle=${onToggle} toggling=${toggling} />`
        : html`<p class="muted">${term ? 'No favourite matches.' : 'No favourites yet: press ☆ next to a model to add it here.'}</p>`}
      ${groups.map(g => html`<${ModelTable} key=${g.category} caption=${g.label} models=${g.models} selected=${selected}
        onSelect=${onSelect} onToggle=${onToggle} toggling=${toggling} />`)}
      ${shown.length === 0 ? html`<p class="muted">No model matches “${search}”.</p>` : null}
      <p class="hint">Prices are what you pay per 1M tokens of input (your prompt) and output (the reply).</p>
    </fieldset>`;
}

/** What the draft would cost and which model would answer it, and why. */
function EstimatePanel({ estimate, nameOf, showCost, hasDraft }) {
  const { data, error, loading } = estimate;
  return html`<section class="panel" aria-labelledby="estimate-heading">
    <h3 id="estimate-heading">Before you send</h3>
    ${loading ? html`<${Busy} label="Estimating…" />` : null}
    ${error
      ? (isNoModelFits(error) ? html`<${NoModelFits} error=${error} nameOf=${nameOf} />` : html`<${ErrorMessage} error=${error} />`)
      : null}
    ${data && !error ? html`<div class="estimate">
        <${Cards} label="Estimate" items=${[
          { label: 'Model', value: nameOf(data.model.modelId), hint: ruleLabel(data.model.rule) },
          { label: 'Prompt tokens', value: number(data.inputTokens), hint: `${data.tokensExact ? 'counted' : 'estimated'}; reply up to ${number(data.replyTokens)}` },
          ...(showCost ? [{ label: 'Charge', value: `${money(data.minimumCharge)} – ${money(data.maximumCharge)}`, hint: 'from no reply to the whole reply budget' }] : []),
        ]} />
        <p class="estimate-reason"><strong>Why:</strong> ${data.model.reason}</p>
        <${Exclusions} exclusions=${data.exclusions} nameOf=${nameOf} />
      </div>` : null}
    ${!data && !error && !loading ? html`<p class="muted">${hasDraft
      ? 'The estimate follows when you pause typing.'
      : 'Type a message to see the model and its cost before you send it.'}</p>` : null}
  </section>`;
}

function ChargeLine({ entry, nameOf, showCost }) {
  if (!entry.model) return null;
  const charge = entry.charge;
  return html`<p class="muted message-charge">
    ${charge && showCost ? html`<strong>Charge ${money(charge.charge)}</strong> · ` : null}${nameOf(entry.model.modelId)} (${ruleLabel(entry.model.rule)})
    ${charge ? ` · ${number(charge.inputTokens)} in / ${number(charge.outputTokens)} out tokens` : null}
  </p>`;
}

function ChatLog({ log, nameOf, showCost, streaming }) {
  if (!log.length) return html`<p class="muted">No messages yet.</p>`;
  return html`<div role="log" aria-label="Conversation" aria-live="polite" aria-busy=${streaming ? 'true' : 'false'}>
    <ul class="chat-log">
      ${log.map(entry => entry.role === 'user'
        ? html`<li key=${entry.id} class="user"><span class="visually-hidden">You: </span>${entry.content}</li>`
        : html`<li key=${entry.id} class="assistant" data-status=${entry.status}>
            <span class="visually-hidden">Assistant: </span><span class="reply-text">${entry.content}</span>
            ${entry.status === 'streaming' ? html`<span class="muted"> …</span>` : null}
            <${ChargeLine} entry=${entry} nameOf=${nameOf} showCost=${showCost} />
            ${entry.status === 'stopped' ? html`<p class="muted">Stopped. What was streamed is charged.</p>` : null}
            ${entry.error ? html`<${ErrorMessage} error=${entry.error} />` : null}
          </li>`)}
    </ul>
  </div>`;
}

/** The user's cost limit per message (their preference: the router leaves out every model that could cost more). */
function CostLimit({ preferences, onSaved }) {
  const [text, setText] = useState(dollarsText(preferences.maxCostPerMessage));
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState('');
  const submit = async event => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    setNotice('');
    try {
      const saved = await api('/api/thinktank/preferences/models', { method: 'PUT', body: { maxCostPerMessage: numeric(text) } });
      setText(dollarsText(saved.maxCostPerMessage));
      setNotice(saved.maxCostPerMessage === null ? 'No cost limit.' : `Cost limit saved: ${money(saved.maxCostPerMessage)} per message.`);
      onSaved(saved);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  return html`<form class="panel" onSubmit=${submit} aria-labelledby="limit-heading" novalidate>
    <h3 id="limit-heading">Cost limit</h3>
    <${ErrorMessage} error=${error} />
    <div class="toolbar">
      <${Input} label="Most a message may cost (USD)" name="maxCostPerMessage" inputmode="decimal" value=${text} onValue=${setText}
        error=${error} hint="Empty for no limit. Saved in your model preferences." />
      <button type="submit" disabled=${saving}>${saving ? 'Saving…' : 'Save limit'}</button>
    </div>
    <${Notice}>${notice}<//>
  </form>`;
}

export default function Chat() {
  const base = useLoad(async signal => {
    const [models, preferences] = await Promise.all([
      api('/api/thinktank/models', { signal }),
      api('/api/thinktank/preferences/models', { signal }),
    ]);
    return { models, preferences };
  });
  const personas = useLoad(signal => (personasEnabled()
    ? api('/api/personas', { params: { limit: 200 }, signal }).then(page => page.items)
    : Promise.resolve([])));
  const [personaId, setPersonaId] = useState('');
  // Focus modes only go with a persona: read them once there is one to pick.
  const hasPersonas = (personas.data?.length ?? 0) > 0;
  const focusModes = useLoad(signal => (hasPersonas ? api('/api/focus-modes', { signal }) : Promise.resolve([])), [hasPersonas]);

  const [modelId, setModelId] = useState(null);
  const [focusMode, setFocusMode] = useState('');
  const [domainMode, setDomainMode] = useState('general');
  const [draft, setDraft] = useState('');
  const [log, setLog] = useState([]);
  const [sending, setSending] = useState(null); // the AbortController of the message under way
  const [sendError, setSendError] = useState(null);
  const [notice, setNotice] = useState('');
  const [toggling, setToggling] = useState(null);
  const [focusFavourite, setFocusFavourite] = useState(null);
  const [limitVersion, setLimitVersion] = useState(0);
  const [estimate, setEstimate] = useState({ data: null, error: null, loading: false });
  const selectorRef = useRef(null);
  const nextId = useRef(1);

  const models = base.data?.models ?? [];
  const preferences = base.data?.preferences;
  const names = useMemo(() => new Map(models.map(m => [m.id, m.displayName])), [models]);
  const nameOf = id => names.get(id) ?? id;

  useEffect(() => {
    if (base.data && modelId === null) setModelId(initialModel(base.data.preferences, base.data.models));
  }, [base.data]);

  // After a favourite toggle the row moves to another table: keep keyboard focus on its button.
  useEffect(() => {
    if (!focusFavourite) return;
    selectorRef.current?.querySelector(`[data-model-id="${CSS.escape(focusFavourite)}"] button[aria-pressed]`)?.focus();
    setFocusFavourite(null);
  }, [focusFavourite, models]);

  const request = text => ({
    messages: conversation(log, text),
    modelId: modelId === AUTO || modelId === null ? null : modelId,
    personaId: personaId || null,
    focusMode: personaId && focusMode ? focusMode : null,
    domainMode: domainMode === 'general' ? null : domainMode,
  });

  // The estimate follows the draft (debounced) and everything else the request depends on.
  useEffect(() => {
    if (draft.trim() === '') {
      setEstimate({ data: null, error: null, loading: false });
      return undefined;
    }
    // While a message is under way the last estimate stays; a refused send estimates its draft again.
    if (!base.data || sending) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      setEstimate(s => ({ ...s, loading: true }));
      try {
        const data = await api('/api/thinktank/estimate', { method: 'POST', body: request(draft), signal: controller.signal });
        if (!controller.signal.aborted) setEstimate({ data, error: null, loading: false });
      } catch (e) {
        if (!controller.signal.aborted) setEstimate({ data: null, error: e, loading: false });
      }
    }, 400);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [base.data, draft, modelId, personaId, focusMode, domainMode, log, sending, limitVersion]);

  const toggleFavourite = async model => {
    setToggling(model.id);
    setSendError(null);
    try {
      const result = await api(`/api/thinktank/preferences/models/${encodeURIComponent(model.id)}/favorite`, { method: 'POST' });
      base.setData(d => ({
        models: d.models.map(m => ({ ...m, isFavorite: result.favoriteModels.includes(m.id) })),
        preferences: { ...d.preferences, favoriteModels: result.favoriteModels },
      }));
      setNotice(result.isFavorite ? `Added ${model.displayName} to favourites.` : `Removed ${model.displayName} from favourites.`);
      setFocusFavourite(model.id);
    } catch (e) {
      setSendError(e);
    } finally {
      setToggling(null);
    }
  };

  const update = (id, change) => setLog(entries => entries.map(e => (e.id === id ? { ...e, ...change(e) } : e)));

  const send = async event => {
    event.preventDefault();
    if (sending) return;
    const text = draft;
    const body = request(text);
    const controller = new AbortController();
    setSending(controller);
    setSendError(null);
    setNotice('');
    let replyId = null;
    let completed = false;
    try {
      await stream('/api/thinktank/chat', body, (name, data) => {
        if (name === 'started') {
          if (replyId === null) {
            // Accepted: the message joins the conversation and its reply starts.
            replyId = nextId.current + 1;
            const userId = nextId.current;
            nextId.current += 2;
            setLog(entries => [...entries,
              { id: userId, role: 'user', content: text },
              { id: replyId, role: 'assistant', content: '', status: 'streaming', model: data.model }]);
            setDraft('');
          } else {
            update(replyId, () => ({ model: data.model }));
          }
        } else if (name === 'delta') {
          update(replyId, e => ({ content: e.content + (data.text ?? '') }));
        } else if (name === 'completed') {
          completed = true;
          update(replyId, () => ({ status: 'done', model: data.model, charge: data.charge }));
        } else if (name === 'error') {
          completed = true;
          update(replyId, () => ({ status: 'error', error: new ApiError(data.status, data) }));
        }
      }, { params: { stream: true }, signal: controller.signal });
      if (!completed && replyId !== null) {
        update(replyId, () => ({ status: 'error', error: new Error('The reply ended before it was complete.') }));
      }
    } catch (e) {
      if (e.name === 'AbortError') {
        if (replyId !== null) update(replyId, () => ({ status: 'stopped' }));
        else setNotice('Stopped before the reply started.');
      } else if (replyId !== null) {
        update(replyId, () => ({ status: 'error', error: e }));
      } else {
        setSendError(e);
      }
    } finally {
      setSending(null);
    }
  };

  const keyDown = event => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      event.currentTarget.form.requestSubmit();
    }
  };

  if (base.loading && !base.data) return html`<${Busy} label="Loading models…" />`;
  if (!base.data) return html`<${ErrorMessage} error=${base.error} />`;

  const draftField = `messages[${conversation(log, '').length - 1}].content`;
  const fieldError = sendError ?? estimate.error;
  const shownFields = [draftField, 'modelId', 'defaultModelId', 'personaId', 'focusMode', 'domainMode'];
  const showCost = preferences.showCostPerMessage;
  const personaOptions = [{ value: '', label: 'None' }, ...(personas.data ?? []).map(p => ({ value: p.id, label: p.displayName || p.name }))];
  const focusOptions = [{ value: '', label: 'None' }, ...(focusModes.data ?? []).map(f => ({ value: f.name, label: f.displayName }))];

  return html`
    <${Notice}>${notice}<//>
    <div class="grid-2">
      <div>
        <h2>Conversation</h2>
        <${ChatLog} log=${log} nameOf=${nameOf} showCost=${showCost} streaming=${!!sending} />
        <form class="panel" onSubmit=${send} aria-label="Send a message" novalidate>
          ${sendError && isNoModelFits(sendError)
            ? html`<${NoModelFits} error=${sendError} nameOf=${nameOf} alert />`
            : html`<${ErrorMessage} error=${sendError} />`}
          <div class="toolbar">
            ${hasPersonas ? html`
              <${Select} label="Persona" name="personaId" value=${personaId} options=${personaOptions} error=${fieldError}
                onValue=${v => { setPersonaId(v); if (!v) setFocusMode(''); }} />
              <${Select} label="Focus mode" name="focusMode" value=${focusMode} options=${focusOptions} error=${fieldError}
                onValue=${setFocusMode} disabled=${!personaId} />` : null}
            <${Select} label="Domain mode" name="domainMode" value=${domainMode} options=${domainModes} error=${fieldError}
              onValue=${setDomainMode} />
          </div>
          <${TextArea} label="Message" name=${draftField} value=${draft} onValue=${setDraft} error=${fieldError}
            hint="Enter sends; Shift+Enter starts a new line." onKeyDown=${keyDown} />
          <${OtherFieldErrors} error=${fieldError} shown=${shownFields} />
          <div class="toolbar">
            <button type="submit" disabled=${!!sending}>${sending ? 'Sending…' : 'Send'}</button>
            ${sending ? html`<button type="button" class="danger" onClick=${() => sending.abort()}>Stop</button>` : null}
            <button type="button" class="secondary" disabled=${!!sending || log.length === 0}
              onClick=${() => { setLog([]); setNotice('Started a new conversation.'); }}>New conversation</button>
          </div>
        </form>
        <${EstimatePanel} estimate=${estimate} nameOf=${nameOf} showCost=${showCost} hasDraft=${draft.trim() !== ''} />
        <${CostLimit} preferences=${preferences} onSaved=${saved => {
          base.setData(d => ({ ...d, preferences: saved }));
          setSendError(null);
          setLimitVersion(v => v + 1);
        }} />
      </div>
      <div ref=${selectorRef}>
        <h2>Model</h2>
        <${ModelSelector} models=${models} preferences=${preferences} selected=${modelId ?? AUTO} onSelect=${setModelId}
          onToggle=${toggleFavourite} toggling=${toggling} error=${fieldError} />
      </div>
    </div>`;
}
