// Model preferences (sections 31.2 and 31.5): how the model of a message is picked, the default model, the cost
// limit and cost optimisation, which models are listed, a model per domain mode, and the favourites. The PUT is
// partial: only the fields changed here are sent, so a favourite toggled meanwhile on the chat page is kept.
import { html, api, useLoad, useState, ApiError, Busy, ErrorMessage, Notice, Input, Select, Checkbox, money, when, numeric } from '../lib.js';
import { domainModes, groupByCategory, priceText, dollarsText, OtherFieldErrors } from './_chat-parts.js';

const selectionModes = [
  { value: 'auto', label: 'Auto: the router picks for each message' },
  { value: 'manual', label: 'Manual: my default model unless I pick another' },
  { value: 'favorites', label: 'Favourites: I pick among my favourites' },
];

/** The form's state from the API's preferences (the cost limit as text, as the user edits it). */
function formOf(preferences) {
  return {
    selectionMode: preferences.selectionMode,
    defaultModelId: preferences.defaultModelId ?? '',
    favoriteModels: [...preferences.favoriteModels],
    showStandardModels: preferences.showStandardModels,
    showNovelModels: preferences.showNovelModels,
    showSelfHostedModels: preferences.showSelfHostedModels,
    showCostPerMessage: preferences.showCostPerMessage,
    maxCostPerMessage: dollarsText(preferences.maxCostPerMessage),
    preferCostOptimization: preferences.preferCostOptimization,
    domainModeModelOverrides: { ...preferences.domainModeModelOverrides },
  };
}

/** The fields that differ from what was loaded, as the API takes them. */
function changes(form, initial) {
  const body = {};
  for (const key of Object.keys(form)) {
    if (JSON.stringify(form[key]) === JSON.stringify(initial[key])) continue;
    if (key === 'defaultModelId') body[key] = form[key] || null;
    else if (key === 'maxCostPerMessage') body[key] = numeric(form[key]);
    else if (key === 'domainModeModelOverrides') {
      body[key] = Object.fromEntries(Object.entries(form[key]).filter(([, model]) => model));
    } else body[key] = form[key];
  }
  return body;
}

/** Select options: none, then the models by category (and an id the list lacks, so a current choice stays visible). */
function modelOptions(models, noneLabel, current) {
  const options = [{ value: '', label: noneLabel }];
  if (current && !models.some(m => m.id === current)) options.push({ value: current, label: `${current} (not listed)` });
  for (const group of groupByCategory(models)) {
    options.push({ group: group.label, options: group.models.map(m => ({ value: m.id, label: `${m.displayName} · ${priceText(m)}` })) });
  }
  return options;
}

function Favourites({ form, setForm, models, error }) {
  const [adding, setAdding] = useState('');
  const nameOf = id => models.find(m => m.id === id)?.displayName ?? id;
  const others = models.filter(m => !form.favoriteModels.includes(m.id));
  const remove = id => setForm(f => ({ ...f, favoriteModels: f.favoriteModels.filter(x => x !== id) }));
  const add = () => {
    if (!adding) return;
    setForm(f => ({ ...f, favoriteModels: [...f.favoriteModels, adding] }));
    setAdding('');
  };
  const listErrors = error instanceof ApiError ? error.field('favoriteModels') : [];
  return html`<div class="panel">
    ${listErrors.length ? html`<p class="field-error">${listErrors.join(' ')}</p>` : null}
    ${form.favoriteModels.length === 0 ? html`<p class="muted">No favourites yet.</p>` : html`<ul class="favourites">
      ${form.favoriteModels.map((id, index) => {
        const messages = error instanceof ApiError ? error.field(`favoriteModels[${index}]`) : [];
        return html`<li key=${id} data-model-id=${id}>
          ${nameOf(id)}${' '}
          <button type="button" class="secondary" onClick=${() => remove(id)} aria-label=${`Remove ${nameOf(id)} from favourites`}>Remove</button>
          ${messages.length ? html`<p class="field-error">${messages.join(' ')}</p>` : null}
        </li>`;
      })}
    </ul>`}
    <div class="toolbar">
      <${Select} label="Add a favourite" name="addFavorite" value=${adding} onValue=${setAdding} options=${modelOptions(others, 'Choose a model…')} />
      <button type="button" class="secondary" onClick=${add} disabled=${!adding}>Add</button>
    </div>
  </div>`;
}

function PreferencesForm({ preferences, models, onSaved }) {
  const [initial, setInitial] = useState(() => formOf(preferences));
  const [form, setForm] = useState(initial);
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState('');
  const set = key => value => setForm(f => ({ ...f, [key]: value }));
  const setOverride = mode => value => setForm(f => ({ ...f, domainModeModelOverrides: { ...f.domainModeModelOverrides, [mode]: value } }));

  const submit = async event => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    setNotice('');
    try {
      const saved = await api('/api/thinktank/preferences/models', { method: 'PUT', body: changes(form, initial) });
      const next = formOf(saved);
      setInitial(next);
      setForm(next);
      setNotice('Saved your model preferences.');
      onSaved(saved);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  const shown = ['selectionMode', 'defaultModelId', 'maxCostPerMessage', 'preferCostOptimization', 'showCostPerMessage',
    'showStandardModels', 'showNovelModels', 'showSelfHostedModels', 'favoriteModels',
    ...form.favoriteModels.map((_, i) => `favoriteModels[${i}]`),
    ...domainModes.map(m => `domainModeModelOverrides.${m.value}`)];

  return html`<form onSubmit=${submit} aria-label="Model preferences" novalidate>
    <${Notice}>${notice}<//>
    <${ErrorMessage} error=${error} />
    <${OtherFieldErrors} error=${error} shown=${shown} />
    <div class="grid-2">
      <div>
        <h2>Choosing the model</h2>
        <${Select} label="Selection mode" name="selectionMode" value=${form.selectionMode} options=${selectionModes}
          onValue=${set('selectionMode')} error=${error} />
        <${Select} label="Default model" name="defaultModelId" value=${form.defaultModelId}
          options=${modelOptions(models, 'None', form.defaultModelId)} onValue=${set('defaultModelId')} error=${error}
          hint="Used in manual and favourites mode when a message names no model." />
        <h2>Cost</h2>
        <${Input} label="Cost limit per message (USD)" name="maxCostPerMessage" inputmode="decimal" value=${form.maxCostPerMessage}
          onValue=${set('maxCostPerMessage')} error=${error}
          hint="Up to 6 decimals, e.g. 0.05. Empty for no limit: the router leaves out models that could cost more." />
        <${Checkbox} label="Prefer cheaper models when the router picks" name="preferCostOptimization"
          checked=${form.preferCostOptimization} onValue=${set('preferCostOptimization')} error=${error} />
        <${Checkbox} label="Show the cost of each message" name="showCostPerMessage"
          checked=${form.showCostPerMessage} onValue=${set('showCostPerMessage')} error=${error} />
        <h2>Models to list</h2>
        <${Checkbox} label="Standard models" name="showStandardModels" checked=${form.showStandardModels} onValue=${set('showStandardModels')} error=${error} />
        <${Checkbox} label="Novel (experimental) models" name="showNovelModels" checked=${form.showNovelModels} onValue=${set('showNovelModels')} error=${error} />
        <${Checkbox} label="Self-hosted models" name="showSelfHostedModels" checked=${form.showSelfHostedModels} onValue=${set('showSelfHostedModels')} error=${error} />
      </div>
      <div>
        <h2>Model per domain mode</h2>
        <p class="hint">Your own model for a mode comes before the mode's default.</p>
        ${domainModes.map(mode => html`<${Select} key=${mode.value} label=${mode.label} name=${`domainModeModelOverrides.${mode.value}`}
          value=${form.domainModeModelOverrides[mode.value] ?? ''} options=${modelOptions(models, "The mode's default", form.domainModeModelOverrides[mode.value])}
          onValue=${setOverride(mode.value)} error=${error} />`)}
        <h2>Favourites</h2>
        <${Favourites} form=${form} setForm=${setForm} models=${models} error=${error} />
      </div>
    </div>
    <div class="toolbar">
      <button type="submit" disabled=${saving}>${saving ? 'Saving…' : 'Save preferences'}</button>
      <button type="button" class="secondary" disabled=${saving} onClick=${() => { setForm(initial); setError(null); }}>Undo changes</button>
    </div>
  </form>`;
}

export default function Preferences() {
  const state = useLoad(async signal => {
    const [preferences, models] = await Promise.all([
      api('/api/thinktank/preferences/models', { signal }),
      api('/api/thinktank/models', { signal }),
    ]);
    return { preferences, models };
  });
  if (state.loading && !state.data) return html`<${Busy} label="Loading your preferences…" />`;
  if (!state.data) return html`<${ErrorMessage} error=${state.error} />`;
  const { preferences, models } = state.data;
  const nameOf = id => models.find(m => m.id === id)?.displayName ?? id;
  return html`
    <${PreferencesForm} preferences=${preferences} models=${models}
      onSaved=${saved => state.setData(d => ({ ...d, preferences: saved }))} />
    <h2>Recently used</h2>
    ${preferences.recentModels.length
      ? html`<p>${preferences.recentModels.map(nameOf).join(', ')}</p>`
      : html`<p class="muted">No model used yet.</p>`}
    <p class="muted">${preferences.updatedAt ? `Last changed ${when(preferences.updatedAt)}.` : 'You have the default preferences.'}
      ${preferences.maxCostPerMessage !== null ? ` Current cost limit: ${money(preferences.maxCostPerMessage)} per message.` : ''}</p>`;
}
