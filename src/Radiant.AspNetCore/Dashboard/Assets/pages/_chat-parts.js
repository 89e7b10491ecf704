// Parts the chat and model preference pages share: model groups and prices, the router's rules and exclusions in
// words, the "no model fits" answer (422) with its exclusions, and field errors no field on the page shows.
import { html, ApiError, Table } from '../lib.js';

/** The seven domain modes (fixed by the API's DomainMode enum), in its order. */
export const domainModes = [
  { value: 'general', label: 'General' },
  { value: 'medical', label: 'Medical' },
  { value: 'legal', label: 'Legal' },
  { value: 'code', label: 'Code' },
  { value: 'academic', label: 'Academic' },
  { value: 'creative', label: 'Creative' },
  { value: 'scientific', label: 'Scientific' },
];

const ruleLabels = {
  requested: 'you picked it',
  user_default: 'your default model',
  user_mode_override: 'your model for this domain mode',
  mode_default: "the domain mode's default",
  best_fit: 'best fit',
  cheapest_fit: 'cheapest fit',
  fallback: 'fallback after a failure',
};

/** How the model of a message was chosen (ModelChoiceRule), in words. */
export function ruleLabel(rule) {
  return ruleLabels[rule] ?? rule;
}

const exclusionLabels = {
  unknown_model: 'not in the catalogue',
  disabled: 'not enabled',
  not_priced: 'no price',
  no_reply: 'writes no reply',
  missing_capability: 'lacks a capability',
  context_window_too_small: 'context window too small',
  over_cost_limit: 'over your cost limit',
  unhealthy: 'failing lately',
};

/** Why the router left a model out (RoutingExclusionReason), in words. */
export function exclusionLabel(reason) {
  return exclusionLabels[reason] ?? reason;
}

// The router's quality tiers first (RoutingRules.QualityTier), then any other category by name.
const categoryOrder = ['flagship', 'balanced', 'economy', 'specialized'];

function categoryTitle(category) {
  const text = category || 'other';
  return text.charAt(0).toUpperCase() + text.slice(1).replace(/[_-]/g, ' ');
}

/**
 * The models by category, in the list's order within each: [{ category, label, models }]. `skip(model)` leaves
 * models out (the favourites, shown in a group of their own).
 */
export function groupByCategory(models, skip = () => false) {
  const groups = new Map();
  for (const model of models) {
    if (skip(model)) continue;
    const key = (model.category || 'other').toLowerCase();
    if (!groups.has(key)) groups.set(key, { category: key, label: categoryTitle(key), models: [] });
    groups.get(key).models.push(model);
  }
  const rank = key => {
    const index = categoryOrder.indexOf(key);
    return index < 0 ? categoryOrder.length : index;
  };
  return [...groups.values()].sort((a, b) => rank(a.category) - rank(b.category) || a.category.localeCompare(b.category));
}

const perMillion = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 });

/** A price per 1M tokens, exact (the API's prices have up to six decimals: $1.232 must not read $1.23). */
export function pricePer1M(value) {
  return value === null || value === undefined ? '—' : perMillion.format(Number(value));
}

/** What the user pays for a model, per 1M tokens: "$3.50 in / $14.00 out per 1M". */
export function priceText(model) {
  return `${pricePer1M(model.userInputPricePer1M)} in / ${pricePer1M(model.userOutputPricePer1M)} out per 1M`;
}

/** A context window in words: 128K, 2M. */
export function contextText(tokens) {
  if (!tokens) return '';
  return tokens >= 1_000_000 ? `${+(tokens / 1_000_000).toFixed(1)}M` : `${Math.round(tokens / 1000)}K`;
}

/** A dollar amount from the API as the text of an input (no exponent, no trailing zeros). */
export function dollarsText(value) {
  if (value === null || value === undefined) return '';
  return Number(value).toFixed(6).replace(/\.?0+$/, '');
}

/** The models the router left out, with its reasons, behind a disclosure. */
export function Exclusions({ exclusions, nameOf, open = false }) {
  if (!exclusions?.length) return null;
  const counts = new Map();
  for (const x of exclusions) counts.set(x.reason, (counts.get(x.reason) ?? 0) + 1);
  const summary = [...counts].map(([reason, n]) => `${n} ${exclusionLabel(reason)}`).join(', ');
  return html`<details open=${open}>
    <summary>${exclusions.length === 1 ? '1 model left out' : `${exclusions.length} models left out`}: ${summary}</summary>
    <${Table} caption="Models the router left out" rows=${exclusions} rowKey=${x => x.modelId} columns=${[
      { key: 'modelId', label: 'Model', render: x => nameOf(x.modelId) },
      { key: 'message', label: 'Why' },
    ]} />
  </details>`;
}

/** True for the API's answer when no model fits a message (422 with the router's reason and exclusions). */
export function isNoModelFits(error) {
  return error instanceof ApiError && error.status === 422 && Array.isArray(error.problem?.exclusions);
}

/**
 * No model fits the message: the router's reason (the problem's detail), what to change, and every model with why it
 * was left out. `alert` announces it at once (after a send); otherwise it is a polite status (the estimate as you type).
 */
export function NoModelFits({ error, nameOf, alert = false }) {
  const problem = error.problem;
  const detail = problem.detail ?? '';
  // The router's detail usually starts by saying no model fits: then the title would only repeat it.
  const title = detail.toLowerCase().startsWith('no model fits') ? '' : error.title || 'No model fits the message.';
  return html`<div class="no-model-fits" data-reason=${problem.reason ?? ''}>
    <div class="error-banner" role=${alert ? 'alert' : 'status'}>
      ${title ? html`<strong>${title}</strong> ` : null}${detail}
      ${problem.reason === 'over_cost_limit' ? html` Raise or clear your cost limit to send it.` : null}
    </div>
    <${Exclusions} exclusions=${problem.exclusions} nameOf=${nameOf} />
  </div>`;
}

/** The field errors of an ApiError that none of the page's fields (`shown`, JSON paths) displays, as a list. */
export function OtherFieldErrors({ error, shown }) {
  if (!(error instanceof ApiError)) return null;
  const names = new Set(shown.map(name => name.toLowerCase()));
  const rest = Object.entries(error.errors).filter(([key]) => !names.has(key.toLowerCase()));
  if (!rest.length) return null;
  return html`<ul class="field-error">${rest.map(([key, messages]) => html`<li key=${key}>${messages.join(' ')}</li>`)}</ul>`;
}
