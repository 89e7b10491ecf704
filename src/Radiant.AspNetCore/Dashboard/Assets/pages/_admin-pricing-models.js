// Pricing, tab "Individual models": every model's provider cost, markup and user price for this tenant now, with its
// override — the one that applies now and one still pending (a price rise waits for the tenant's grace period) — and
// an editor to set or clear it (PUT/DELETE /api/admin/pricing/models/{modelId}/override).
import { html, api, numeric, useLoad, useState, useMemo, useRef, useEffect, Table, Busy, ErrorMessage, Notice, Input, money, when } from '../lib.js';
import { isDecimal, percentToFraction, fractionToPercent, percentText, localToIso, isoToLocal, Time, OtherErrors, useFocusInvalid } from './_admin-pricing-kit.js';

const overrideFields = ['markup', 'inputpriceper1m', 'outputpriceper1m', 'effectivefrom', 'effectiveto'];

const defaultMarkup = (model, config) => (model.providerId === 'self_hosted' ? config.selfHostedDefaultMarkup : config.externalDefaultMarkup);

/** What an override sets, e.g. "markup 60 %, input $3.00". */
function describe(o) {
  return [
    o.markup !== null ? `markup ${percentText(o.markup)}` : '',
    o.inputPricePer1M !== null ? `input ${money(o.inputPricePer1M)}` : '',
    o.outputPricePer1M !== null ? `output ${money(o.outputPricePer1M)}` : '',
  ].filter(Boolean).join(', ');
}

function OverrideStatus({ model }) {
  const current = model.override;
  const pending = model.pendingOverride;
  if (!current && !pending) return html`<span class="muted">Default</span>`;
  return html`
    ${current ? html`<div><span class="badge">Custom</span> ${describe(current)}${current.effectiveTo
      ? html`; ends <${Time} value=${current.effectiveTo} />` : null}</div>` : null}
    ${pending ? html`<div><span class="badge">Pending</span> ${describe(pending)}; takes effect <${Time} value=${pending.effectiveFrom} />${pending.effectiveTo
      ? html`, ends <${Time} value=${pending.effectiveTo} />` : null}</div>` : null}`;
}

/** The user price a typed override would give (an estimate; the server computes the real one). */
function preview(base, markup) {
  if (base === null || markup === null) return null;
  return Math.round(base * (1 + markup) * 1e6) / 1e6;
}

function OverrideForm({ model, config, onDone, onCancel }) {
  const start = model.pendingOverride ?? model.override;
  const text = value => (value === null || value === undefined ? '' : String(value));
  const [form, setForm] = useState({
    markup: start?.markup != null ? fractionToPercent(start.markup) : '',
    inputPricePer1M: text(start?.inputPricePer1M),
    outputPricePer1M: text(start?.outputPricePer1M),
    effectiveFrom: '',
    effectiveTo: isoToLocal(start?.effectiveTo),
  });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState('');
  const set = key => value => setForm(f => ({ ...f, [key]: value }));
  const ref = useRef(null);
  // The editor opens above the table: the focus goes to its first field (which scrolls it into view).
  useEffect(() => { ref.current?.querySelector('input')?.focus(); }, []);
  useFocusInvalid(ref, error);
  const fallbackMarkup = defaultMarkup(model, config);
  // With no override price the provider's cost applies: known here only when the current override does not replace it.
  const providerInput = model.override?.inputPricePer1M != null ? null : model.baseInputPricePer1M;
  const providerOutput = model.override?.outputPricePer1M != null ? null : model.baseOutputPricePer1M;

  const markup = form.markup.trim() === '' ? fallbackMarkup : isDecimal(form.markup) ? percentToFraction(form.markup) : null;
  const input = form.inputPricePer1M.trim() === '' ? providerInput : isDecimal(form.inputPricePer1M) ? Number(form.inputPricePer1M) : null;
  const output = form.outputPricePer1M.trim() === '' ? providerOutput : isDecimal(form.outputPricePer1M) ? Number(form.outputPricePer1M) : null;
  const userInput = preview(input, markup);
  const userOutput = preview(output, markup);
  const rises = (userInput ?? 0) > model.userInputPricePer1M || (userOutput ?? 0) > model.userOutputPricePer1M;

  const save = async event => {
    event.preventDefault();
    setBusy('save');
    setError(null);
    // Empty means "not overridden" (null); anything else is sent as typed for the server to judge.
    const body = {
      markup: percentToFraction(form.markup),
      inputPricePer1M: numeric(form.inputPricePer1M),
      outputPricePer1M: numeric(form.outputPricePer1M),
      effectiveFrom: localToIso(form.effectiveFrom),
      effectiveTo: localToIso(form.effectiveTo),
    };
    try {
      const saved = await api(`/api/admin/pricing/models/${encodeURIComponent(model.modelId)}/override`, { method: 'PUT', body });
      onDone(saved, saved.pendingOverride
        ? `The override of ${saved.displayName} is pending: it takes effect ${when(saved.pendingOverride.effectiveFrom)}.`
        : `The override of ${saved.displayName} applies now.`);
    } catch (e) {
      setError(e);
      setBusy('');
    }
  };

  const clear = async () => {
    setBusy('clear');
    setError(null);
    try {
      const cleared = await api(`/api/admin/pricing/models/${encodeURIComponent(model.modelId)}/override`, { method: 'DELETE' });
      onDone(cleared, clearedMessage(cleared));
    } catch (e) {
      setError(e);
      setBusy('');
    }
  };

  const title = `Override for ${model.displayName}`;
  return html`<form class="panel" ref=${ref} onSubmit=${save} aria-label=${title} novalidate>
    <h2>${title} <span class="muted">(${model.modelId})</span></h2>
    <p>Now: provider cost ${money(model.baseInputPricePer1M)} / ${money(model.baseOutputPricePer1M)} per 1M input / output tokens,
      markup ${percentText(model.effectiveMarkup)}, users pay ${money(model.userInputPricePer1M)} / ${money(model.userOutputPricePer1M)}.</p>
    <div><${OverrideStatus} model=${model} /></div>
    <${ErrorMessage} error=${error} />
    <${OtherErrors} error=${error} shown=${key => overrideFields.includes(key)} />
    <div class="grid-2">
      <div>
        <${Input} label="Markup override (%)" name="markup" inputmode="decimal" autocomplete="off" value=${form.markup} onValue=${set('markup')} error=${error}
          hint=${`A percentage (sent as a fraction). Empty: the tenant's default, ${percentText(fallbackMarkup)}.`} />
        <${Input} label="Input price override ($ per 1M tokens)" name="inputPricePer1M" inputmode="decimal" autocomplete="off" value=${form.inputPricePer1M}
          onValue=${set('inputPricePer1M')} error=${error} hint="Replaces the provider's input cost. Empty: the provider's." />
        <${Input} label="Output price override ($ per 1M tokens)" name="outputPricePer1M" inputmode="decimal" autocomplete="off" value=${form.outputPricePer1M}
          onValue=${set('outputPricePer1M')} error=${error} hint="Replaces the provider's output cost. Empty: the provider's." />
      </div>
      <div>
        <${Input} label="Takes effect" name="effectiveFrom" type="datetime-local" value=${form.effectiveFrom} onValue=${set('effectiveFrom')} error=${error}
          hint=${`Empty: now. A price rise takes effect after the grace period (${config.priceIncreaseGracePeriodHours} h) at the earliest.`} />
        <${Input} label="Ends" name="effectiveTo" type="datetime-local" value=${form.effectiveTo} onValue=${set('effectiveTo')} error=${error}
          hint="Empty: open-ended." />
        <div class="panel" role="group" aria-label="Preview">
          <h3>Preview</h3>
          <p>Users would pay ${userInput === null ? '—' : money(userInput)} / ${userOutput === null ? '—' : money(userOutput)} per 1M input / output tokens.</p>
          ${rises ? html`<p class="hint">That is a price rise: it waits for the grace period and shows as pending until then.</p>` : null}
        </div>
      </div>
    </div>
    <div class="toolbar">
      <button type="submit" disabled=${!!busy}>${busy === 'save' ? 'Saving…' : 'Save override'}</button>
      ${model.override || model.pendingOverride
        ? html`<button type="button" class="danger" disabled=${!!busy} onClick=${clear}>${busy === 'clear' ? 'Clearing…' : 'Clear override'}</button>`
        : null}
      <button type="button" class="secondary" disabled=${!!busy} onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

/** What a DELETE did: removed at once, or (when that raises the price) the override now ends after the grace period. */
function clearedMessage(model) {
  return model.override?.effectiveTo && !model.pendingOverride
    ? `${model.displayName} returns to the default price on ${when(model.override.effectiveTo)}: a price rise waits for the grace period.`
    : `The override of ${model.displayName} is cleared: it has the default price.`;
}

export default function ModelsTab() {
  const models = useLoad(signal => api('/api/admin/pricing/models', { signal }), []);
  const config = useLoad(signal => api('/api/admin/pricing/config', { signal }), []);
  const [editing, setEditing] = useState(null);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState(null);
  const [filter, setFilter] = useState('');
  const [clearing, setClearing] = useState('');
  // When the editor closes, the focus goes back to the model's Edit button.
  const returnTo = useRef(null);
  useEffect(() => {
    if (editing || !returnTo.current) return;
    document.querySelector(`button[data-model="${CSS.escape(returnTo.current)}"]`)?.focus();
    returnTo.current = null;
  });
  const close = () => { returnTo.current = editing; setEditing(null); };

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return (models.data ?? []).filter(m => !needle || [m.modelId, m.displayName, m.providerId, m.category].some(t => t.toLowerCase().includes(needle)));
  }, [models.data, filter]);

  const replace = updated => models.setData(list => list.map(m => (m.modelId === updated.modelId ? updated : m)));
  const done = (updated, message) => {
    replace(updated);
    close();
    setError(null);
    setNotice(message);
  };
  const clear = async model => {
    setClearing(model.modelId);
    setError(null);
    setNotice('');
    try {
      const cleared = await api(`/api/admin/pricing/models/${encodeURIComponent(model.modelId)}/override`, { method: 'DELETE' });
      replace(cleared);
      setNotice(clearedMessage(cleared));
      // The Clear button goes with the override: the focus moves to the model's Edit button.
      returnTo.current = model.modelId;
    } catch (e) {
      setError(e);
    } finally {
      setClearing('');
    }
  };

  const loading = (models.loading && !models.data) || (config.loading && !config.data);
  const editingModel = editing && models.data?.find(m => m.modelId === editing);
  return html`
    <${Notice}>${notice}<//>
    <${ErrorMessage} error=${error ?? models.error ?? config.error} />
    ${loading ? html`<${Busy} label="Loading model prices…" />` : null}
    ${editingModel && config.data
      ? html`<${OverrideForm} key=${editingModel.modelId} model=${editingModel} config=${config.data} onDone=${done} onCancel=${close} />`
      : null}
    ${models.data && config.data ? html`
      <div class="toolbar">
        <${Input} label="Filter models" name="filter" type="search" value=${filter} onValue=${setFilter} hint="By name, id, provider or category." />
      </div>
      <${Table} caption=${`Model prices per 1M tokens (${rows.length} of ${models.data.length} models)`} rows=${rows} rowKey=${m => m.modelId}
        empty="No model matches the filter." columns=${[
          { key: 'model', label: 'Model', render: m => html`<strong>${m.displayName}</strong><br /><span class="muted">${m.modelId}</span>
            <br /><span class="badge">${m.isNovel ? 'Novel' : 'Standard'}</span> <span class="muted">${m.category}</span>` },
          { key: 'providerId', label: 'Provider' },
          { key: 'cost', label: 'Provider cost (input / output)', numeric: true, render: m => html`${money(m.baseInputPricePer1M)} / ${money(m.baseOutputPricePer1M)}` },
          { key: 'markup', label: 'Markup', numeric: true, render: m => percentText(m.effectiveMarkup) },
          { key: 'price', label: 'User price (input / output)', numeric: true, render: m => html`<strong>${money(m.userInputPricePer1M)} / ${money(m.userOutputPricePer1M)}</strong>` },
          { key: 'override', label: 'Override', render: m => html`<${OverrideStatus} model=${m} />` },
          { key: 'actions', label: 'Actions', render: m => html`<div class="toolbar">
            <button type="button" class="secondary" data-model=${m.modelId} aria-label=${`Edit the price of ${m.displayName}`} onClick=${() => { setNotice(''); setEditing(m.modelId); }}>Edit</button>
            ${m.override || m.pendingOverride ? html`<button type="button" class="danger" disabled=${clearing === m.modelId}
              aria-label=${`Clear the override of ${m.displayName}`} onClick=${() => clear(m)}>${clearing === m.modelId ? 'Clearing…' : 'Clear'}</button>` : null}
          </div>` },
        ]} />` : null}`;
}
