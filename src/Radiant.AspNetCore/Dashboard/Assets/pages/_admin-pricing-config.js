// Pricing, tab "Global markups": the tenant's pricing configuration (GET/PUT /api/admin/pricing/config). The PUT is
// partial, so only the fields the admin changed are sent: a save never overwrites what another admin changed meanwhile.
import { html, api, numeric, useLoad, useState, useRef, Busy, ErrorMessage, Notice, Input, Select, Checkbox } from '../lib.js';
import { percentToFraction, fractionToPercent, percentText, OtherErrors, useFocusInvalid } from './_admin-pricing-kit.js';

const frequencies = [
  { value: 'hourly', label: 'Hourly' },
  { value: 'daily', label: 'Daily' },
  { value: 'weekly', label: 'Weekly' },
];

/** Each field: how the form shows the API's value and how the typed text goes back (markups as percentages). */
const fields = {
  externalDefaultMarkup: { show: fractionToPercent, send: percentToFraction },
  selfHostedDefaultMarkup: { show: fractionToPercent, send: percentToFraction },
  minimumChargePerRequest: { show: String, send: numeric },
  priceIncreaseGracePeriodHours: { show: String, send: numeric },
  autoUpdateFromProviders: { show: v => v, send: v => v },
  autoUpdateFrequency: { show: v => v, send: v => v },
  notifyOnPriceChange: { show: v => v, send: v => v },
  notifyThresholdPercent: { show: String, send: numeric },
};

const toForm = config => Object.fromEntries(Object.entries(fields).map(([key, f]) => [key, f.show(config[key])]));

/** The changed fields only; an emptied field or one that does not parse differs too, so the API says what is wrong. */
function changes(form, config) {
  const body = {};
  for (const [key, f] of Object.entries(fields)) {
    const value = f.send(form[key]);
    if (value !== config[key]) body[key] = value;
  }
  return body;
}

function ConfigForm({ config, onSaved }) {
  const [form, setForm] = useState(() => toForm(config));
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState('');
  const set = key => value => setForm(f => ({ ...f, [key]: value }));
  const ref = useRef(null);
  useFocusInvalid(ref, error);

  const submit = async event => {
    event.preventDefault();
    setError(null);
    setNotice('');
    const body = changes(form, config);
    if (Object.keys(body).length === 0) {
      setNotice('Nothing changed.');
      return;
    }
    setSaving(true);
    try {
      const saved = await api('/api/admin/pricing/config', { method: 'PUT', body });
      setForm(toForm(saved));
      onSaved(saved);
      setNotice(`Pricing configuration saved. Default markups: external ${percentText(saved.externalDefaultMarkup)}, self-hosted ${percentText(saved.selfHostedDefaultMarkup)}.`);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  return html`<form ref=${ref} onSubmit=${submit} aria-label="Pricing configuration" novalidate>
    <${Notice}>${notice}<//>
    <${ErrorMessage} error=${error} />
    <${OtherErrors} error=${error} shown=${key => key in lowerFields} />
    <div class="grid-2">
      <section class="panel" aria-labelledby="pricing-markups">
        <h2 id="pricing-markups">Default markups</h2>
        <${Input} label="External default markup (%)" name="externalDefaultMarkup" inputmode="decimal" autocomplete="off"
          hint="A percentage: 40 means users pay the provider's cost + 40 % (stored as the fraction 0.40). For OpenAI, Anthropic, Google, xAI, Mistral and the other external providers' models."
          value=${form.externalDefaultMarkup} onValue=${set('externalDefaultMarkup')} error=${error} />
        <${Input} label="Self-hosted default markup (%)" name="selfHostedDefaultMarkup" inputmode="decimal" autocomplete="off"
          hint="A percentage (stored as a fraction) for models the platform runs itself; it covers the compute."
          value=${form.selfHostedDefaultMarkup} onValue=${set('selfHostedDefaultMarkup')} error=${error} />
        <p class="hint">A model with its own markup override keeps it (tab "Individual models").</p>
      </section>
      <section class="panel" aria-labelledby="pricing-rules">
        <h2 id="pricing-rules">Pricing rules</h2>
        <${Input} label="Minimum charge per request ($)" name="minimumChargePerRequest" inputmode="decimal" autocomplete="off"
          hint="Dollars: the least any request is charged."
          value=${form.minimumChargePerRequest} onValue=${set('minimumChargePerRequest')} error=${error} />
        <${Input} label="Price increase grace period (hours)" name="priceIncreaseGracePeriodHours" inputmode="numeric" autocomplete="off"
          hint="0 to 168 hours before a price rise reaches users; reductions apply at once."
          value=${form.priceIncreaseGracePeriodHours} onValue=${set('priceIncreaseGracePeriodHours')} error=${error} />
        <${Checkbox} label="Follow provider price changes" name="autoUpdateFromProviders"
          checked=${form.autoUpdateFromProviders} onValue=${set('autoUpdateFromProviders')} error=${error} />
        <${Select} label="Provider price sync" name="autoUpdateFrequency" options=${frequencies}
          value=${form.autoUpdateFrequency} onValue=${set('autoUpdateFrequency')} error=${error} />
        <${Checkbox} label="Notify on provider price changes" name="notifyOnPriceChange"
          checked=${form.notifyOnPriceChange} onValue=${set('notifyOnPriceChange')} error=${error} />
        <${Input} label="Notify threshold (%)" name="notifyThresholdPercent" inputmode="decimal" autocomplete="off"
          hint="A change of a provider price above this percentage (0 to 100) raises a notification."
          value=${form.notifyThresholdPercent} onValue=${set('notifyThresholdPercent')} error=${error} />
      </section>
    </div>
    <div class="toolbar">
      <button type="submit" disabled=${saving}>${saving ? 'Saving…' : 'Save configuration'}</button>
      <button type="button" class="secondary" disabled=${saving} onClick=${() => { setForm(toForm(config)); setError(null); setNotice(''); }}>Discard changes</button>
    </div>
  </form>`;
}

const lowerFields = Object.fromEntries(Object.keys(fields).map(k => [k.toLowerCase(), true]));

export default function ConfigTab() {
  const config = useLoad(signal => api('/api/admin/pricing/config', { signal }), []);
  return html`
    <${ErrorMessage} error=${config.error} />
    ${config.loading && !config.data ? html`<${Busy} label="Loading the pricing configuration…" />` : null}
    ${config.data ? html`<${ConfigForm} config=${config.data} onSaved=${config.setData} />` : null}`;
}
