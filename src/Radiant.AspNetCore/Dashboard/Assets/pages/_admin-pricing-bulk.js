// Pricing, tab "Bulk operations": sets the default markup of all external or all self-hosted models at once
// (POST /api/admin/pricing/bulk-update). The API has no dry run, so the preview is worked out here from the model list
// by the rule the server applies (models whose own override sets a markup keep it); the result is the server's count.
import { html, api, useLoad, useState, useRef, Busy, ErrorMessage, Notice, Input, Select } from '../lib.js';
import { isDecimal, percentToFraction, fractionToPercent, percentText, fieldError, OtherErrors, useFocusInvalid } from './_admin-pricing-kit.js';

const types = [
  { value: 'external', label: 'External providers’ models', config: 'externalDefaultMarkup' },
  { value: 'self_hosted', label: 'Self-hosted models', config: 'selfHostedDefaultMarkup' },
];

const isSelfHosted = model => model.providerId === 'self_hosted';

function plan(models, type, markup) {
  const target = models.filter(m => isSelfHosted(m) === (type === 'self_hosted'));
  const keep = target.filter(m => m.override?.markup != null);
  const change = target.filter(m => m.override?.markup == null && Number(m.effectiveMarkup) !== markup);
  return { target, keep, change };
}

function BulkForm({ config, models, onApplied }) {
  const [type, setType] = useState('external');
  const [markup, setMarkup] = useState(() => fractionToPercent(config.externalDefaultMarkup));
  const [preview, setPreview] = useState(null);
  const [error, setError] = useState(null);
  const [running, setRunning] = useState(false);
  const [notice, setNotice] = useState('');
  const kind = types.find(t => t.value === type);
  const form = useRef(null);
  useFocusInvalid(form, error);

  const choose = value => {
    setType(value);
    setMarkup(fractionToPercent(config[types.find(t => t.value === value).config]));
    setPreview(null);
    setError(null);
  };

  const review = event => {
    event.preventDefault();
    setNotice('');
    if (!isDecimal(markup)) {
      setPreview(null);
      setError(fieldError('markup', 'Enter the new markup as a percentage, e.g. 45.'));
      return;
    }
    setError(null);
    const fraction = percentToFraction(markup);
    setPreview({ type, markup: fraction, ...plan(models, type, fraction) });
  };

  const apply = async () => {
    setRunning(true);
    setError(null);
    try {
      const result = await api('/api/admin/pricing/bulk-update', { method: 'POST', body: { type: preview.type, markup: preview.markup } });
      const label = types.find(t => t.value === result.type).label;
      setNotice(`Done: the default markup of ${label.toLowerCase()} is now ${percentText(result.markup)}; ${result.affectedModels} ${result.affectedModels === 1 ? 'model' : 'models'} changed price.`);
      setPreview(null);
      onApplied();
    } catch (e) {
      setError(e);
    } finally {
      setRunning(false);
    }
  };

  return html`
    <${Notice}>${notice}<//>
    <form class="panel" ref=${form} onSubmit=${review} aria-label="Bulk markup update" novalidate>
      <h2>Set the default markup of a group of models</h2>
      <${ErrorMessage} error=${error} />
      <${OtherErrors} error=${error} shown=${key => key === 'markup' || key === 'type'} />
      <div class="grid-2">
        <${Select} label="Models" name="type" value=${type} onValue=${choose} error=${error} disabled=${running}
          options=${types.map(t => ({ value: t.value, label: `${t.label} (${models.filter(m => isSelfHosted(m) === (t.value === 'self_hosted')).length})` }))} />
        <${Input} label="New default markup (%)" name="markup" inputmode="decimal" autocomplete="off" value=${markup} error=${error} disabled=${running}
          onValue=${v => { setMarkup(v); setPreview(null); }}
          hint=${`A percentage (sent as a fraction). Now ${percentText(config[kind.config])}.`} />
      </div>
      <div class="toolbar">
        <button type="submit" class="secondary" disabled=${running}>Preview</button>
      </div>
    </form>
    ${preview ? html`<section class="panel" aria-labelledby="bulk-preview">
      <h2 id="bulk-preview">Confirm the bulk update</h2>
      <p>The default markup of ${types.find(t => t.value === preview.type).label.toLowerCase()} goes from ${
        percentText(config[types.find(t => t.value === preview.type).config])} to ${percentText(preview.markup)}, at once.</p>
      <p><strong>${preview.change.length} of ${preview.target.length} models</strong> change price${preview.change.length
        ? html`: ${preview.change.map(m => m.displayName).join(', ')}.` : '.'}</p>
      ${preview.keep.length ? html`<p>${preview.keep.length} keep their own markup override: ${preview.keep.map(m => m.displayName).join(', ')}.</p>` : null}
      ${running ? html`<${Busy} label="Applying the new markup…" />` : null}
      <div class="toolbar">
        <button type="button" disabled=${running} onClick=${apply}>${running ? 'Applying…' : `Apply to ${preview.change.length} ${preview.change.length === 1 ? 'model' : 'models'}`}</button>
        <button type="button" class="secondary" disabled=${running} onClick=${() => setPreview(null)}>Cancel</button>
      </div>
    </section>` : null}`;
}

export default function BulkTab() {
  const config = useLoad(signal => api('/api/admin/pricing/config', { signal }), []);
  const models = useLoad(signal => api('/api/admin/pricing/models', { signal }), []);
  const applied = () => { config.reload(); models.reload(); };
  return html`
    <${ErrorMessage} error=${config.error ?? models.error} />
    ${(config.loading && !config.data) || (models.loading && !models.data) ? html`<${Busy} label="Loading…" />` : null}
    ${config.data && models.data ? html`<${BulkForm} config=${config.data} models=${models.data} onApplied=${applied} />` : null}`;
}
