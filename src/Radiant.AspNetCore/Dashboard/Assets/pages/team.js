// Team usage (section 26): the plans the user belongs to, the current period's pool and each member's share,
// past periods, pending invitations; a user without a plan can start one.
import { html, api, useLoad, useState, Table, Cards, Busy, ErrorMessage, Notice, Input, Select, Checkbox, number, when, numeric } from '../lib.js';

const planTypes = [{ value: 'family', label: 'Family' }, { value: 'team', label: 'Team' }, { value: 'enterprise', label: 'Enterprise' }];

function NewPlan({ onCreated }) {
  const [form, setForm] = useState({ name: '', type: 'family', maxMembers: '5', totalTokensMonthly: '1000000', sharedPool: true });
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const set = key => value => setForm(f => ({ ...f, [key]: value }));
  const submit = async event => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const plan = await api('/api/teams', {
        method: 'POST',
        body: { name: form.name, type: form.type, maxMembers: numeric(form.maxMembers), totalTokensMonthly: numeric(form.totalTokensMonthly), sharedPool: form.sharedPool },
      });
      onCreated(plan);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  return html`<form class="panel" onSubmit=${submit} aria-label="New plan" novalidate>
    <h2>Start a plan</h2>
    <${ErrorMessage} error=${error} />
    <${Input} label="Name" name="name" value=${form.name} onValue=${set('name')} error=${error} required />
    <${Select} label="Type" name="type" value=${form.type} onValue=${set('type')} options=${planTypes} error=${error} />
    <${Input} label="Members at most" name="maxMembers" inputmode="numeric" value=${form.maxMembers} onValue=${set('maxMembers')} error=${error} />
    <${Input} label="Tokens per month" name="totalTokensMonthly" inputmode="numeric" value=${form.totalTokensMonthly} onValue=${set('totalTokensMonthly')} error=${error} />
    <${Checkbox} label="Members share one pool" name="sharedPool" checked=${form.sharedPool} onValue=${set('sharedPool')} error=${error} />
    <button type="submit" disabled=${saving}>${saving ? 'Creating…' : 'Create plan'}</button>
  </form>`;
}

function PlanUsage({ plan, onAnswered }) {
  const stats = useLoad(signal => api(`/api/teams/${plan.id}/stats`, { signal }), [plan.id]);
  const periods = useLoad(signal => api(`/api/teams/${plan.id}/periods`, { params: { limit: 12 }, signal }), [plan.id]);
  // The list holds the plans the user is invited to as well; their usage is the members' alone (404 until accepted).
  if (stats.error?.status === 404) return html`<${Invitation} plan=${plan} onAnswered=${onAnswered} />`;
  if (stats.error) return html`<${ErrorMessage} error=${stats.error} />`;
  if (!stats.data) return html`<${Busy} label="Loading usage…" />`;
  const s = stats.data;
  const used = s.totalTokensMonthly > 0 ? Math.min(100, (100 * s.tokensUsed) / s.totalTokensMonthly) : 0;
  return html`<section aria-labelledby=${`plan-${plan.id}`}>
    <h2 id=${`plan-${plan.id}`}>${s.planName} <span class="badge">${plan.type}</span></h2>
    <p class="muted">Period ${when(s.currentPeriodStart)} – ${when(s.currentPeriodEnd)}</p>
    <${Cards} label=${`${s.planName} this period`} items=${[
      { label: 'Monthly pool', value: number(s.totalTokensMonthly), hint: s.sharedPool ? 'shared by all members' : 'per-member allocations' },
      { label: 'Used', value: number(s.tokensUsed), hint: `${used.toFixed(1)}% of the pool` },
      { label: 'Remaining', value: number(s.tokensRemaining) },
    ]} />
    <label for=${`meter-${plan.id}`}>Pool used</label>
    <meter id=${`meter-${plan.id}`} min="0" max="100" low="75" high="90" optimum="0" value=${used}>${used.toFixed(1)}%</meter>
    <${Table} caption="Members this period" rowKey=${m => m.userId} rows=${s.members} columns=${[
      { key: 'displayName', label: 'Member', render: m => m.displayName || m.email || m.userId },
      { key: 'role', label: 'Role' },
      { key: 'tokensUsed', label: 'Tokens used', numeric: true, render: m => number(m.tokensUsed) },
      { key: 'allocation', label: 'Allocation', numeric: true, render: m => (m.allocation === null ? 'pool' : number(m.allocation)) },
      { key: 'shareOfPoolPercent', label: 'Share of pool', numeric: true, render: m => `${Number(m.shareOfPoolPercent).toFixed(1)}%` },
    ]} />
    ${periods.data ? html`<${Table} caption="Past periods" rowKey=${p => p.periodStart} rows=${periods.data.items} empty="No finished period yet."
      columns=${[
        { key: 'periodStart', label: 'From', render: p => when(p.periodStart) },
        { key: 'periodEnd', label: 'To', render: p => when(p.periodEnd) },
        { key: 'tokensUsed', label: 'Tokens used', numeric: true, render: p => number(p.tokensUsed) },
        { key: 'totalTokensMonthly', label: 'Pool', numeric: true, render: p => number(p.totalTokensMonthly) },
      ]} />` : html`<${ErrorMessage} error=${periods.error} />`}
  </section>`;
}

function Invitation({ plan, onAnswered }) {
  const [error, setError] = useState(null);
  const answer = async verb => {
    try {
      await api(`/api/teams/${plan.id}/invitations/${verb}`, { method: 'POST' });
      onAnswered(`${verb === 'accept' ? 'Joined' : 'Declined'} ${plan.name}.`);
    } catch (e) {
      setError(e);
    }
  };
  return html`<div class="panel">
    <p>You are invited to <strong>${plan.name}</strong>.</p>
    <${ErrorMessage} error=${error} />
    <div class="toolbar">
      <button type="button" onClick=${() => answer('accept')}>Accept</button>
      <button type="button" class="secondary" onClick=${() => answer('decline')}>Decline</button>
    </div>
  </div>`;
}

export default function Team() {
  const plans = useLoad(signal => api('/api/teams', { params: { limit: 50 }, signal }));
  const [notice, setNotice] = useState('');
  if (plans.error) return html`<${ErrorMessage} error=${plans.error} />`;
  if (!plans.data) return html`<${Busy} label="Loading your plans…" />`;
  const items = plans.data.items;
  const done = message => { setNotice(message); plans.reload(); };
  return html`
    <${Notice}>${notice}<//>
    ${items.length === 0 ? html`<p>You are not in a family or team plan.</p>` : null}
    ${items.map(plan => html`<${PlanUsage} key=${plan.id} plan=${plan} onAnswered=${done} />`)}
    ${items.length === 0 ? html`<${NewPlan} onCreated=${plan => done(`Created ${plan.name}.`)} />` : null}`;
}
