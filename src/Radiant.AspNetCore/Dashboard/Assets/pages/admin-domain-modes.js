// Domain modes (section 29.3): the tenant's seven modes — enabled, default model (or auto), temperature, system prompt
// override — saved together with one partial PUT /api/admin/thinktank/domain-modes that names only the modes and fields
// the admin changed. The API's field errors are keyed modes.<mode>.<field> and shown next to that mode's field.
import { html, api, numeric, useLoad, useState, useRef, Busy, ErrorMessage, Notice, Input, Select, TextArea, Checkbox, when } from '../lib.js';
import { OtherErrors, useFocusInvalid } from './_admin-pricing-kit.js';

const MODES = [
  { id: 'general', name: 'General', description: 'Default mode for general queries' },
  { id: 'medical', name: 'Medical', description: 'Healthcare and medical topics' },
  { id: 'legal', name: 'Legal', description: 'Legal research and analysis' },
  { id: 'code', name: 'Code', description: 'Programming and development' },
  { id: 'academic', name: 'Academic', description: 'Research and education' },
  { id: 'creative', name: 'Creative', description: 'Writing and content creation' },
  { id: 'scientific', name: 'Scientific', description: 'Scientific research' },
];
const FIELDS = ['enabled', 'defaultmodel', 'temperature', 'systempromptoverride'];

const toForm = list => Object.fromEntries(list.map(m => [m.mode, {
  enabled: m.enabled,
  defaultModel: m.defaultModel,
  temperature: String(m.temperature),
  systemPromptOverride: m.systemPromptOverride ?? '',
}]));

/** The changed fields of the changed modes; a temperature that is empty or does not parse is sent for the API to judge. */
function changes(form, saved) {
  const modes = {};
  for (const mode of saved) {
    const f = form[mode.mode];
    const update = {};
    if (f.enabled !== mode.enabled) update.enabled = f.enabled;
    if (f.defaultModel !== mode.defaultModel) update.defaultModel = f.defaultModel;
    const temperature = numeric(f.temperature);
    if (temperature !== mode.temperature) update.temperature = temperature;
    const prompt = f.systemPromptOverride.trim() === '' ? null : f.systemPromptOverride;
    if (prompt !== (mode.systemPromptOverride ?? null)) update.systemPromptOverride = prompt;
    if (Object.keys(update).length) modes[mode.mode] = update;
  }
  return modes;
}

function ModeSection({ mode, saved, value, models, error, onChange }) {
  const set = key => v => onChange({ ...value, [key]: v });
  const prefix = `modes.${mode.id}`;
  const options = [{ value: 'auto', label: 'Auto (the router chooses)' }, ...models.map(m => ({ value: m.definition.id, label: m.definition.displayName }))];
  // A default model disabled since it was chosen stays selectable, so the form shows the truth and can send it back.
  if (!options.some(o => o.value === value.defaultModel)) options.push({ value: value.defaultModel, label: `${value.defaultModel} (not enabled)` });
  const own = error?.field?.(prefix) ?? [];
  const headingId = `mode-${mode.id}`;
  return html`<section class="panel" aria-labelledby=${headingId}>
    <h2 id=${headingId}>${mode.name}</h2>
    <p class="muted">${mode.description}. ${saved.updatedAt ? `Last changed ${when(saved.updatedAt)}.` : 'Default settings.'}</p>
    ${own.length ? html`<p class="field-error" role="alert">${own.join(' ')}</p>` : null}
    <${Checkbox} label="Enabled (users may pick this mode)" name=${`${prefix}.enabled`} checked=${value.enabled} onValue=${set('enabled')} error=${error} />
    <div class="grid-2">
      <${Select} label="Default model" name=${`${prefix}.defaultModel`} value=${value.defaultModel} options=${options}
        onValue=${set('defaultModel')} error=${error} />
      <${Input} label="Temperature" name=${`${prefix}.temperature`} inputmode="decimal" autocomplete="off" value=${value.temperature}
        onValue=${set('temperature')} error=${error} hint="0 to 2, at most 2 decimals: lower is more focused, higher more varied." />
    </div>
    <${TextArea} label="System prompt override" name=${`${prefix}.systemPromptOverride`} rows=${3} value=${value.systemPromptOverride}
      onValue=${set('systemPromptOverride')} error=${error} hint="Optional: replaces the conversation's system prompt in this mode. Empty: none." />
  </section>`;
}

function ModesForm({ saved, models, onSaved }) {
  const [form, setForm] = useState(() => toForm(saved));
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState('');
  const pending = changes(form, saved);
  const changed = Object.keys(pending).length;
  const ref = useRef(null);
  useFocusInvalid(ref, error);
  // The modes the API found fault with, named at the top: the fields themselves may be far down the page.
  const faulty = error?.errors ? MODES.filter(m => Object.keys(error.errors).some(k => k.toLowerCase().startsWith(`modes.${m.id}`))) : [];

  const submit = async event => {
    event.preventDefault();
    setNotice('');
    setError(null);
    if (!changed) {
      setNotice('Nothing changed.');
      return;
    }
    setSaving(true);
    try {
      const result = await api('/api/admin/thinktank/domain-modes', { method: 'PUT', body: { modes: pending } });
      const names = MODES.filter(m => m.id in pending).map(m => m.name).join(', ');
      setForm(toForm(result));
      onSaved(result);
      setNotice(`Saved ${names}.`);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  const shown = key => {
    const [root, mode, field] = key.split('.');
    return root === 'modes' && MODES.some(m => m.id === mode) && (field === undefined || FIELDS.includes(field));
  };
  return html`<form ref=${ref} onSubmit=${submit} aria-label="Domain modes" novalidate>
    <${Notice}>${notice}<//>
    <${ErrorMessage} error=${error} />
    ${faulty.length ? html`<p class="field-error">Nothing was saved. Check the fields marked in: ${faulty.map(m => m.name).join(', ')}.</p>` : null}
    <${OtherErrors} error=${error} shown=${shown} />
    ${MODES.map(mode => html`<${ModeSection} key=${mode.id} mode=${mode} saved=${saved.find(s => s.mode === mode.id)} value=${form[mode.id]}
      models=${models} error=${error} onChange=${value => setForm(f => ({ ...f, [mode.id]: value }))} />`)}
    <div class="toolbar">
      <button type="submit" disabled=${saving}>${saving ? 'Saving…' : 'Save changes'}</button>
      <button type="button" class="secondary" disabled=${saving || !changed} onClick=${() => { setForm(toForm(saved)); setError(null); }}>Discard changes</button>
      <span class="muted">${changed ? `${changed} ${changed === 1 ? 'mode' : 'modes'} changed, not saved yet.` : 'No unsaved changes.'}</span>
    </div>
  </form>`;
}

export default function DomainModes() {
  const modes = useLoad(signal => api('/api/admin/thinktank/domain-modes', { signal }), []);
  const models = useLoad(signal => api('/api/admin/models', { params: { enabled: true }, signal }), []);
  const loading = (modes.loading && !modes.data) || (models.loading && !models.data);
  return html`
    <p class="muted">Specialised modes for different kinds of questions. A change applies to the next message sent in that mode.</p>
    <${ErrorMessage} error=${modes.error ?? models.error} />
    ${loading ? html`<${Busy} label="Loading the domain modes…" />` : null}
    ${modes.data && models.data ? html`<${ModesForm} saved=${modes.data} models=${models.data} onSaved=${modes.setData} />` : null}`;
}
