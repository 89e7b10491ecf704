// Personas (section 25): the user's personas and the tenant's public ones; create, edit, delete.
import { html, api, useLoad, useState, usePager, Pager, Table, Busy, ErrorMessage, Notice, Input, TextArea, Checkbox, when } from '../lib.js';

const blank = { name: '', displayName: '', systemPrompt: '', traits: '', isPublic: false };

function PersonaForm({ persona, onSaved, onCancel }) {
  const [form, setForm] = useState(persona
    ? { name: persona.name, displayName: persona.displayName ?? '', systemPrompt: persona.systemPrompt, traits: persona.traits.join(', '), isPublic: persona.isPublic }
    : blank);
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const set = key => value => setForm(f => ({ ...f, [key]: value }));

  const submit = async event => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    const body = {
      name: form.name,
      displayName: form.displayName === '' ? null : form.displayName,
      systemPrompt: form.systemPrompt,
      traits: form.traits.split(',').map(t => t.trim()).filter(Boolean),
      isPublic: form.isPublic,
    };
    try {
      const saved = persona
        ? await api(`/api/personas/${persona.id}`, { method: 'PUT', body })
        : await api('/api/personas', { method: 'POST', body });
      onSaved(saved);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  return html`<form class="panel" onSubmit=${submit} aria-label=${persona ? `Edit ${persona.name}` : 'New persona'} novalidate>
    <h2>${persona ? `Edit ${persona.name}` : 'New persona'}</h2>
    <${ErrorMessage} error=${error} />
    <${Input} label="Name" name="name" value=${form.name} onValue=${set('name')} error=${error} required />
    <${Input} label="Display name" name="displayName" value=${form.displayName} onValue=${set('displayName')} error=${error} />
    <${TextArea} label="System prompt" name="systemPrompt" value=${form.systemPrompt} onValue=${set('systemPrompt')} error=${error} required />
    <${Input} label="Traits" name="traits" hint="Comma-separated, e.g. calm, concise" value=${form.traits} onValue=${set('traits')} error=${error} />
    <${Checkbox} label="Visible to everyone in the tenant" name="isPublic" checked=${form.isPublic} onValue=${set('isPublic')} error=${error} />
    <div class="toolbar">
      <button type="submit" disabled=${saving}>${saving ? 'Saving…' : 'Save'}</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

export default function Personas() {
  const pager = usePager();
  const list = useLoad(signal => api('/api/personas', { params: { cursor: pager.cursor, limit: 20 }, signal }), [pager.cursor]);
  const [editing, setEditing] = useState(null); // null, 'new' or a persona
  const [notice, setNotice] = useState('');
  const [error, setError] = useState(null);

  const saved = persona => {
    setEditing(null);
    setNotice(`Saved ${persona.name}.`);
    list.reload();
  };
  const remove = async persona => {
    if (!confirm(`Delete ${persona.name}?`)) return;
    try {
      await api(`/api/personas/${persona.id}`, { method: 'DELETE' });
      setNotice(`Deleted ${persona.name}.`);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };

  return html`
    <${Notice}>${notice}<//>
    <${ErrorMessage} error=${error ?? list.error} />
    ${editing
      ? html`<${PersonaForm} persona=${editing === 'new' ? null : editing} onSaved=${saved} onCancel=${() => setEditing(null)} />`
      : html`<div class="toolbar"><button type="button" onClick=${() => setEditing('new')}>New persona</button></div>`}
    ${list.loading && !list.data ? html`<${Busy} label="Loading personas…" />` : null}
    ${list.data ? html`
      <${Table} caption="Personas" rows=${list.data.items} empty="No personas yet." columns=${[
        { key: 'name', label: 'Name', render: p => html`<strong>${p.displayName || p.name}</strong>${p.displayName ? html` <span class="muted">(${p.name})</span>` : null}` },
        { key: 'traits', label: 'Traits', render: p => p.traits.join(', ') || '—' },
        { key: 'isPublic', label: 'Visibility', render: p => (p.isPublic ? 'Public' : 'Private') },
        { key: 'usageCount', label: 'Uses', numeric: true },
        { key: 'updatedAt', label: 'Updated', render: p => when(p.updatedAt) },
        { key: 'actions', label: 'Actions', render: p => html`<div class="toolbar">
            <button type="button" class="secondary" onClick=${() => setEditing(p)} aria-label=${`Edit ${p.name}`}>Edit</button>
            <button type="button" class="danger" onClick=${() => remove(p)} aria-label=${`Delete ${p.name}`}>Delete</button></div>` },
      ]} />
      <${Pager} pager=${pager} nextCursor=${list.data.nextCursor} label="Persona pages" />` : null}`;
}
