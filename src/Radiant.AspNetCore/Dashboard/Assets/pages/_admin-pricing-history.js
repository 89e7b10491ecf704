// Pricing, tab "History": the tenant's price changes, newest first, optionally for one model
// (GET /api/admin/pricing/history, keyset-paged).
import { html, api, useLoad, useState, useMemo, usePager, Pager, Table, Busy, ErrorMessage, Select, money } from '../lib.js';
import { percentText, Time, Change } from './_admin-pricing-kit.js';

// No-break spaces keep each badge on one line in its narrow column.
const sources = { admin: 'Admin\u00a0change', bulk_update: 'Bulk\u00a0update', auto_sync: 'Provider\u00a0sync' };

export default function HistoryTab() {
  const pager = usePager();
  const [modelId, setModelId] = useState('');
  const models = useLoad(signal => api('/api/admin/pricing/models', { signal }), []);
  const history = useLoad(
    signal => api('/api/admin/pricing/history', { params: { modelId, cursor: pager.cursor, limit: 25 }, signal }),
    [modelId, pager.cursor]);
  const names = useMemo(() => new Map((models.data ?? []).map(m => [m.modelId, m.displayName])), [models.data]);
  const now = Date.now();

  const filter = value => {
    pager.reset();
    setModelId(value);
  };

  return html`
    <${ErrorMessage} error=${history.error ?? models.error} />
    <div class="toolbar">
      <${Select} label="Model" name="modelId" value=${modelId} onValue=${filter}
        options=${[{ value: '', label: 'All models' }, ...(models.data ?? []).map(m => ({ value: m.modelId, label: m.displayName }))]} />
    </div>
    ${history.loading ? html`<${Busy} label="Loading the price history…" />` : null}
    ${history.data ? html`
      <${Table} caption="Price changes, newest first" rows=${history.data.items} empty="No price changes yet." columns=${[
        { key: 'createdAt', label: 'Changed', render: e => html`<${Time} value=${e.createdAt} />` },
        { key: 'modelId', label: 'Model', render: e => html`${names.get(e.modelId) ?? e.modelId}<br /><span class="muted">${e.modelId}</span>` },
        { key: 'source', label: 'Source', render: e => html`<span class="badge">${sources[e.source] ?? e.source}</span>` },
        { key: 'markup', label: 'Markup', numeric: true, render: e => html`<${Change} before=${e.previousMarkup} after=${e.newMarkup} format=${percentText} />` },
        { key: 'input', label: 'Provider cost, input', numeric: true, render: e => html`<${Change} before=${e.previousInputPricePer1M} after=${e.newInputPricePer1M} format=${money} />` },
        { key: 'output', label: 'Provider cost, output', numeric: true, render: e => html`<${Change} before=${e.previousOutputPricePer1M} after=${e.newOutputPricePer1M} format=${money} />` },
        { key: 'effectiveFrom', label: 'Takes effect', render: e => html`<${Time} value=${e.effectiveFrom} />${new Date(e.effectiveFrom).getTime() > now
          ? html` <span class="badge">pending</span>` : null}` },
        { key: 'changedBy', label: 'Changed by', render: e => (e.changedBy
          ? html`<span class="muted">admin </span><code title=${e.changedBy}>${e.changedBy.slice(0, 8)}</code>` : 'System') },
      ]} />
      <${Pager} pager=${pager} nextCursor=${history.data.nextCursor} label="Price history pages" />` : null}`;
}
