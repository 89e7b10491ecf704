// Model pricing (section 31.4): the tenant's global markups and pricing rules, each model's price and override, bulk
// markup updates and the price history, as four tabs. Each tab loads its data when it opens, so a change made on one
// tab shows on the next one opened.
import { html, Tabs } from '../lib.js';
import ConfigTab from './_admin-pricing-config.js';
import ModelsTab from './_admin-pricing-models.js';
import BulkTab from './_admin-pricing-bulk.js';
import HistoryTab from './_admin-pricing-history.js';

export default function Pricing() {
  return html`
    <p class="muted">What this tenant's users pay: the provider's cost per 1M tokens plus a markup. Markups are shown and
      typed as percentages (40 %); the API stores them as fractions (0.40).</p>
    <${Tabs} label="Pricing" tabs=${[
      { id: 'config', label: 'Global markups', render: () => html`<${ConfigTab} />` },
      { id: 'models', label: 'Individual models', render: () => html`<${ModelsTab} />` },
      { id: 'bulk', label: 'Bulk operations', render: () => html`<${BulkTab} />` },
      { id: 'history', label: 'History', render: () => html`<${HistoryTab} />` },
    ]} />`;
}
