// Model registry (sections 27, 29.1): the catalogue as this tenant sees it, with its two per-tenant switches — enabled
// for the tenant, offered in Think Tank — each saved as soon as it is flipped (PUT /api/admin/models/{id}/enabled and
// .../thinktank). A switch shows the server's answer: it moves only once the change is saved.
import { html, api, useLoad, useState, useMemo, Table, Busy, ErrorMessage, Notice, Input, Select, money, number } from '../lib.js';
import { Switch } from './_admin-pricing-kit.js';

const shows = [
  { value: '', label: 'All models' },
  { value: 'true', label: 'Enabled models' },
  { value: 'false', label: 'Disabled models' },
];

const switches = {
  enabled: { route: 'enabled', field: 'isEnabled', label: 'Enabled', on: 'is enabled for this tenant', off: 'is disabled for this tenant' },
  thinktank: { route: 'thinktank', field: 'thinkTankEnabled', label: 'Think Tank', on: 'is offered in Think Tank', off: 'is withdrawn from Think Tank' },
};

export default function ModelRegistry() {
  const [show, setShow] = useState('');
  const [filter, setFilter] = useState('');
  const models = useLoad(signal => api('/api/admin/models', { params: { enabled: show }, signal }), [show]);
  const [saving, setSaving] = useState({});
  const [notice, setNotice] = useState('');
  const [error, setError] = useState(null);

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return (models.data ?? []).filter(m => !needle
      || [m.definition.id, m.definition.displayName, m.definition.providerId, m.definition.category].some(t => t.toLowerCase().includes(needle)));
  }, [models.data, filter]);

  const toggle = async (model, kind, value) => {
    const s = switches[kind];
    const id = model.definition.id;
    const key = `${id}:${kind}`;
    setSaving(b => ({ ...b, [key]: true }));
    setNotice('');
    setError(null);
    try {
      const saved = await api(`/api/admin/models/${encodeURIComponent(id)}/${s.route}`, { method: 'PUT', body: { enabled: value } });
      models.setData(list => list.map(m => (m.definition.id === id ? saved : m)));
      setNotice(`Saved: ${saved.definition.displayName} ${saved[s.field] ? s.on : s.off}.`);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(b => ({ ...b, [key]: false }));
    }
  };

  const cell = kind => m => html`<${Switch} label=${`${switches[kind].label}: ${m.definition.displayName}`} checked=${m[switches[kind].field]}
    busy=${!!saving[`${m.definition.id}:${kind}`]} onToggle=${value => toggle(m, kind, value)} />`;

  return html`
    <p class="muted">The models of the catalogue for this tenant. "Enabled" makes a model usable at all; "Think Tank" offers it
      in the Think Tank model picker. Each switch is saved as soon as it is pressed.</p>
    <${Notice}>${notice}<//>
    <${ErrorMessage} error=${error ?? models.error} />
    <div class="toolbar">
      <${Select} label="Show" name="enabled" value=${show} options=${shows} onValue=${setShow} />
      <${Input} label="Filter models" name="filter" type="search" value=${filter} onValue=${setFilter} hint="By name, id, provider or category." />
    </div>
    ${models.loading && !models.data ? html`<${Busy} label="Loading the models…" />` : null}
    ${models.data ? html`
      <${Table} caption=${`Models (${rows.length} of ${models.data.length})`} rows=${rows} rowKey=${m => m.definition.id}
        empty="No model matches." columns=${[
          { key: 'model', label: 'Model', render: m => html`<strong>${m.definition.displayName}</strong><br /><span class="muted">${m.definition.id}</span>
            ${m.definition.isNovel ? html` <span class="badge">Novel</span>` : null}` },
          { key: 'provider', label: 'Provider', render: m => m.definition.providerId },
          { key: 'category', label: 'Category', render: m => m.definition.category },
          { key: 'context', label: 'Context window', numeric: true, render: m => number(m.definition.contextWindow) },
          { key: 'price', label: 'List price per 1M (input / output)', numeric: true,
            render: m => html`${money(m.definition.inputPricePer1M)} / ${money(m.definition.outputPricePer1M)}` },
          { key: 'enabled', label: 'Enabled', render: cell('enabled') },
          { key: 'thinktank', label: 'Think Tank', render: cell('thinktank') },
        ]} />` : null}`;
}
