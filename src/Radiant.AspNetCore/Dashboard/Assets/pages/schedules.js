// Scheduled prompts (section 27): the user's schedules, a form to create one (once, cron or interval), pause / resume,
// run now (with progress until the run ends), delete, and each schedule's runs with output, tokens, cost and delivery.
import { html, api, useLoad, useState, useEffect, usePager, Pager, Table, Busy, ErrorMessage, Notice, Input, TextArea, Select, money, number, when, numeric } from '../lib.js';

const types = [{ value: 'cron', label: 'Cron expression' }, { value: 'interval', label: 'Every N minutes' }, { value: 'once', label: 'Once' }];
const destinations = [{ value: 'storage', label: 'Keep in run history' }, { value: 'email', label: 'Email' }, { value: 'webhook', label: 'Webhook' }];

function timing(s) {
  if (s.type === 'cron') return `cron ${s.cronExpression} (${s.timezone})`;
  if (s.type === 'interval') return `every ${s.intervalMinutes} min`;
  return `once at ${when(s.runAt)}`;
}

/** A datetime-local value as an instant with the reader's offset; text that is not a date goes as typed. */
function instant(text) {
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

function NewSchedule({ models, onCreated, onCancel }) {
  const [form, setForm] = useState({
    name: '', prompt: '', model: models[0]?.id ?? '', type: 'cron', cronExpression: '0 8 * * *', intervalMinutes: '60', runAt: '',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', maxRuns: '', outputDestination: 'storage', notificationEmail: '', webhookUrl: '',
  });
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const set = key => value => setForm(f => ({ ...f, [key]: value }));
  const submit = async event => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    const body = { name: form.name, prompt: form.prompt, model: form.model, type: form.type, timezone: form.timezone, outputDestination: form.outputDestination };
    if (form.type === 'cron') body.cronExpression = form.cronExpression;
    if (form.type === 'interval') body.intervalMinutes = numeric(form.intervalMinutes);
    if (form.type === 'once') body.runAt = instant(form.runAt);
    if (form.maxRuns.trim() !== '') body.maxRuns = numeric(form.maxRuns);
    if (form.notificationEmail.trim() !== '') body.notificationEmail = form.notificationEmail;
    if (form.outputDestination === 'webhook') body.webhookUrl = form.webhookUrl;
    try {
      onCreated(await api('/api/schedules', { method: 'POST', body }));
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  return html`<form class="panel" onSubmit=${submit} aria-label="New schedule" novalidate>
    <h2>New schedule</h2>
    <${ErrorMessage} error=${error} />
    <${Input} label="Name" name="name" value=${form.name} onValue=${set('name')} error=${error} required />
    <${TextArea} label="Prompt" name="prompt" value=${form.prompt} onValue=${set('prompt')} error=${error} required />
    <${Select} label="Model" name="model" value=${form.model} onValue=${set('model')} error=${error}
      options=${models.map(m => ({ value: m.id, label: `${m.displayName} (${m.providerName})` }))} />
    <${Select} label="When" name="type" value=${form.type} onValue=${set('type')} options=${types} error=${error} />
    ${form.type === 'cron' ? html`<${Input} label="Cron expression" name="cronExpression" hint="Five fields (minute hour day month weekday), or six with seconds first"
      value=${form.cronExpression} onValue=${set('cronExpression')} error=${error} />` : null}
    ${form.type === 'interval' ? html`<${Input} label="Minutes between runs" name="intervalMinutes" inputmode="numeric"
      value=${form.intervalMinutes} onValue=${set('intervalMinutes')} error=${error} />` : null}
    ${form.type === 'once' ? html`<${Input} label="Run at" name="runAt" type="datetime-local" value=${form.runAt} onValue=${set('runAt')} error=${error} />` : null}
    <${Input} label="Time zone" name="timezone" hint="IANA name, e.g. Europe/Paris" value=${form.timezone} onValue=${set('timezone')} error=${error} />
    <${Input} label="Stop after this many runs" name="maxRuns" inputmode="numeric" hint="Empty: no limit" value=${form.maxRuns} onValue=${set('maxRuns')} error=${error} />
    <${Select} label="Output" name="outputDestination" value=${form.outputDestination} onValue=${set('outputDestination')} options=${destinations} error=${error} />
    ${form.outputDestination === 'webhook' ? html`<${Input} label="Webhook URL" name="webhookUrl" type="url" value=${form.webhookUrl} onValue=${set('webhookUrl')} error=${error} />` : null}
    <${Input} label="Notification email" name="notificationEmail" type="email" hint="Optional: the output is emailed here too" value=${form.notificationEmail} onValue=${set('notificationEmail')} error=${error} />
    <div class="toolbar">
      <button type="submit" disabled=${saving}>${saving ? 'Creating…' : 'Create schedule'}</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

/** Polls a run queued with "Run now" until it has finished, showing progress meanwhile. */
function useRunProgress(schedule, run, onFinished) {
  useEffect(() => {
    if (!run || run.status === 'completed' || run.status === 'failed') return undefined;
    let stopped = false;
    const tick = async () => {
      try {
        const current = await api(`/api/schedules/${schedule.id}/runs/${run.id}`);
        if (stopped) return;
        if (current.status === 'completed' || current.status === 'failed') onFinished(current);
        else setTimeout(tick, 500);
      } catch (e) {
        if (!stopped) onFinished({ ...run, status: 'failed', error: e.message });
      }
    };
    const timer = setTimeout(tick, 300);
    return () => { stopped = true; clearTimeout(timer); };
  }, [schedule?.id, run?.id]);
}

function Runs({ schedule, version }) {
  const pager = usePager();
  const runs = useLoad(signal => api(`/api/schedules/${schedule.id}/runs`, { params: { cursor: pager.cursor, limit: 10 }, signal }), [schedule.id, pager.cursor, version]);
  return html`<section aria-labelledby="runs-heading">
    <h2 id="runs-heading">Runs of ${schedule.name}</h2>
    <${ErrorMessage} error=${runs.error} />
    ${runs.data ? html`
      <${Table} caption=${`Runs of ${schedule.name}, newest first`} rows=${runs.data.items} empty="No run yet." columns=${[
        { key: 'scheduledFor', label: 'Scheduled for', render: r => when(r.scheduledFor) },
        { key: 'trigger', label: 'Trigger' },
        { key: 'status', label: 'Status', render: r => html`<span class="badge">${r.status}</span>` },
        { key: 'output', label: 'Output', render: r => r.error ? html`<span class="field-error">${r.error}</span>` : (r.output ?? '—') },
        { key: 'tokensUsed', label: 'Tokens', numeric: true, render: r => number(r.tokensUsed) },
        { key: 'cost', label: 'Cost', numeric: true, render: r => money(r.cost) },
        { key: 'latencyMs', label: 'Latency', numeric: true, render: r => (r.latencyMs === null ? '—' : `${number(r.latencyMs)} ms`) },
        { key: 'deliveryStatus', label: 'Delivery', render: r => r.deliveryError ? `${r.deliveryStatus}: ${r.deliveryError}` : (r.deliveryStatus ?? '—') },
      ]} />
      <${Pager} pager=${pager} nextCursor=${runs.data.nextCursor} label="Run pages" />` : html`<${Busy} label="Loading runs…" />`}
  </section>`;
}

export default function Schedules() {
  const pager = usePager();
  const list = useLoad(signal => api('/api/schedules', { params: { cursor: pager.cursor, limit: 20 }, signal }), [pager.cursor]);
  const models = useLoad(signal => api('/api/thinktank/models', { signal }));
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState(null);
  const [running, setRunning] = useState(null); // { schedule, run }
  const [runsVersion, setRunsVersion] = useState(0);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState(null);

  useRunProgress(running?.schedule, running?.run, run => {
    setNotice(`Run of ${running.schedule.name} ${run.status}${run.error ? `: ${run.error}` : ''}.`);
    setRunning(null);
    setRunsVersion(v => v + 1);
    list.reload();
  });

  const act = async (schedule, verb) => {
    setError(null);
    try {
      if (verb === 'delete') {
        await api(`/api/schedules/${schedule.id}`, { method: 'DELETE' });
        if (selected?.id === schedule.id) setSelected(null);
        setNotice(`Deleted ${schedule.name}.`);
      } else if (verb === 'run-now') {
        const run = await api(`/api/schedules/${schedule.id}/run-now`, { method: 'POST' });
        setSelected(schedule);
        setRunning({ schedule, run });
        setNotice('');
      } else {
        await api(`/api/schedules/${schedule.id}/${verb}`, { method: 'POST' });
        setNotice(`${verb === 'pause' ? 'Paused' : 'Resumed'} ${schedule.name}.`);
      }
      list.reload();
    } catch (e) {
      setError(e);
    }
  };

  return html`
    <${Notice}>${notice}<//>
    <${ErrorMessage} error=${error ?? list.error ?? models.error} />
    ${running ? html`<${Busy} label=${`Running ${running.schedule.name}…`} />` : null}
    ${creating && models.data
      ? html`<${NewSchedule} models=${models.data} onCancel=${() => setCreating(false)}
          onCreated=${s => { setCreating(false); setNotice(`Created ${s.name}; next run ${when(s.nextRun)}.`); list.reload(); }} />`
      : html`<div class="toolbar"><button type="button" onClick=${() => setCreating(true)} disabled=${!models.data}>New schedule</button></div>`}
    ${list.data ? html`
      <${Table} caption="Your scheduled prompts" rows=${list.data.items} empty="No scheduled prompts yet." columns=${[
        { key: 'name', label: 'Name', render: s => html`<strong>${s.name}</strong><br /><span class="muted">${s.model}</span>` },
        { key: 'timing', label: 'Timing', render: timing },
        { key: 'nextRun', label: 'Next run', render: s => (s.isActive ? when(s.nextRun) : 'paused') },
        { key: 'lastStatus', label: 'Last run', render: s => (s.lastStatus ? html`<span class="badge">${s.lastStatus}</span> ${when(s.lastRun)}` : '—') },
        { key: 'totalRuns', label: 'Runs', numeric: true, render: s => number(s.totalRuns) },
        { key: 'actions', label: 'Actions', render: s => html`<div class="toolbar">
          <button type="button" class="secondary" onClick=${() => setSelected(s)} aria-label=${`Show runs of ${s.name}`}>Runs</button>
          <button type="button" class="secondary" onClick=${() => act(s, 'run-now')} disabled=${!!running} aria-label=${`Run ${s.name} now`}>Run now</button>
          <button type="button" class="secondary" onClick=${() => act(s, s.isActive ? 'pause' : 'resume')} aria-label=${`${s.isActive ? 'Pause' : 'Resume'} ${s.name}`}>${s.isActive ? 'Pause' : 'Resume'}</button>
          <button type="button" class="danger" onClick=${() => act(s, 'delete')} aria-label=${`Delete ${s.name}`}>Delete</button>
        </div>` },
      ]} />
      <${Pager} pager=${pager} nextCursor=${list.data.nextCursor} label="Schedule pages" />` : html`<${Busy} label="Loading schedules…" />`}
    ${selected ? html`<${Runs} schedule=${selected} version=${runsVersion} />` : null}`;
}
