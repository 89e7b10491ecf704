// Analytics (section 28): the tenant's usage over a range — summary cards with growth against the previous period,
// usage over time and the model distribution as charts (with the same figures as tables), and per-model performance.
// One read of /api/admin/analytics/dashboard per range, so every figure on the page comes from the same snapshot.
import { html, api, useLoad, useState, useMemo, Busy, ErrorMessage, Select, Input, Cards, Table, money, number, percent } from '../lib.js';
import { ChartCanvas, palette } from './_admin-analytics-charts.js';

const ranges = [
  { value: '24h', label: 'Last 24 hours', previous: 'the previous 24 hours' },
  { value: '7d', label: 'Last 7 days', previous: 'the previous 7 days' },
  { value: '30d', label: 'Last 30 days', previous: 'the previous 30 days' },
  { value: '90d', label: 'Last 90 days', previous: 'the previous 90 days' },
  { value: 'custom', label: 'Custom dates', previous: 'the previous period of the same length' },
];

const metrics = [
  { value: 'requests', label: 'Requests' },
  { value: 'tokens', label: 'Tokens' },
  { value: 'cost', label: 'Cost' },
];

const DAY = 86_400_000;
const hourLabel = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
// Day buckets are UTC days: label them as such, or a reader west of Greenwich sees every day one early.
const dayLabel = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

const bucketLabel = (start, bucket) => (bucket === 'hour' ? hourLabel : dayLabel).format(new Date(start));
const isoDate = instant => new Date(instant).toISOString().slice(0, 10);
const nextDay = date => isoDate(Date.parse(date) + DAY);

/** Milliseconds, one decimal under 10 ms. */
function ms(value) {
  if (value === null || value === undefined) return '—';
  return `${value < 10 ? decimal.format(value) : number(Math.round(value))} ms`;
}

/**
 * Growth against the previous period in words (the arrow and colour only repeat them). `lowerIsBetter` for latency:
 * its rise is shown in the danger colour.
 */
function Growth({ value, previous, lowerIsBetter = false }) {
  if (value === null || value === undefined) return html`<span>No figures for ${previous}</span>`;
  if (value === 0) return html`<span>No change on ${previous}</span>`;
  const rising = value > 0;
  const good = rising !== lowerIsBetter;
  return html`<span class=${good ? 'up' : 'down'}><span aria-hidden="true">${rising ? '▲' : '▼'} </span>${
    percent(Math.abs(value))} ${rising ? 'more' : 'less'} than ${previous}</span>`;
}

function summaryCards(totals, previous) {
  const { current: c, growth: g } = totals;
  const item = (label, value, growth, lowerIsBetter) =>
    ({ label, value, hint: html`<${Growth} value=${growth} previous=${previous} lowerIsBetter=${lowerIsBetter} />` });
  return [
    item('Requests', number(c.requests), g.requests),
    item('Input tokens', number(c.inputTokens), g.inputTokens),
    item('Output tokens', number(c.outputTokens), g.outputTokens),
    item('Cost', money(c.cost), g.cost),
    item('Average latency', ms(c.averageLatencyMs), g.averageLatencyMs, true),
    item('p95 latency', ms(c.p95LatencyMs), g.p95LatencyMs, true),
    item('Success rate', percent(c.successRate), g.successRate),
    item('Active users', number(c.activeUsers), g.activeUsers),
  ];
}

const metricValues = {
  requests: points => [{ label: 'Requests', data: points.map(p => p.requests), backgroundColor: palette[0] }],
  tokens: points => [
    { label: 'Input tokens', data: points.map(p => p.inputTokens), backgroundColor: palette[0], stack: 'tokens' },
    { label: 'Output tokens', data: points.map(p => p.outputTokens), backgroundColor: palette[1], stack: 'tokens' },
  ],
  cost: points => [{ label: 'Cost (USD)', data: points.map(p => Number(p.cost)), backgroundColor: palette[2] }],
};

function usageConfig(series, metric) {
  const format = metric === 'cost' ? money : number;
  return {
    type: 'bar',
    data: {
      labels: series.points.map(p => bucketLabel(p.start, series.range.bucket)),
      // Up to 168 buckets share the width: no gaps between them, or an hour's bar is a hairline.
      datasets: metricValues[metric](series.points).map(d => ({ ...d, categoryPercentage: 1, barPercentage: 0.9 })),
    },
    options: {
      scales: {
        x: { stacked: metric === 'tokens', ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
        y: { stacked: metric === 'tokens', beginAtZero: true, ticks: { precision: metric === 'cost' ? undefined : 0, callback: v => format(v) } },
      },
      plugins: {
        legend: { display: metric === 'tokens' },
        tooltip: { callbacks: { label: item => `${item.dataset.label}: ${format(item.raw)}` } },
      },
    },
  };
}

/** The usage chart's accessible name: what it plots and its total and busiest bucket. */
function usageSummary(series, metric) {
  const value = metric === 'requests' ? p => p.requests : metric === 'tokens' ? p => p.inputTokens + p.outputTokens : p => Number(p.cost);
  const format = metric === 'cost' ? money : number;
  const unit = series.range.bucket === 'hour' ? 'hour' : 'day (UTC)';
  const name = metrics.find(m => m.value === metric).label;
  const total = series.points.reduce((sum, p) => sum + value(p), 0);
  if (total === 0) return `${name} per ${unit}: none in this range.`;
  const busiest = series.points.reduce((best, p) => (value(p) > value(best) ? p : best));
  return `${name} per ${unit}: ${format(total)} in total; the busiest ${series.range.bucket} was ${
    bucketLabel(busiest.start, series.range.bucket)} with ${format(value(busiest))}.`;
}

function distributionConfig(models) {
  return {
    type: 'doughnut',
    data: {
      labels: models.map(m => m.modelId),
      datasets: [{ label: 'Requests', data: models.map(m => m.requests), backgroundColor: models.map((_, i) => palette[i % palette.length]), borderColor: '#ffffff', borderWidth: 2 }],
    },
    options: {
      plugins: {
        legend: { position: 'right' },
        tooltip: { callbacks: { label: item => `${item.label}: ${number(item.raw)} requests (${percent(models[item.dataIndex].requestShare)})` } },
      },
    },
  };
}

function UsageOverTime({ series }) {
  const [metric, setMetric] = useState('requests');
  const config = useMemo(() => usageConfig(series, metric), [series, metric]);
  const unit = series.range.bucket === 'hour' ? 'hour' : 'day (UTC)';
  const busy = series.points.filter(p => p.requests > 0 || Number(p.cost) > 0);
  return html`<section class="panel" aria-labelledby="usage-heading">
    <h2 id="usage-heading">Usage over time</h2>
    <div class="toolbar">
      <${Select} label="Show" name="metric" value=${metric} onValue=${setMetric} options=${metrics} />
    </div>
    <${ChartCanvas} label=${usageSummary(series, metric)} config=${config} />
    <details>
      <summary>Usage per ${unit} as a table</summary>
      <${Table} caption=${`Usage per ${unit} (periods without usage left out)`} rows=${busy} rowKey=${p => p.start}
        empty="No usage in this range." columns=${[
          { key: 'start', label: 'From', render: p => bucketLabel(p.start, series.range.bucket) },
          { key: 'requests', label: 'Requests', numeric: true, render: p => number(p.requests) },
          { key: 'tokens', label: 'Tokens (in / out)', numeric: true, render: p => `${number(p.inputTokens)} / ${number(p.outputTokens)}` },
          { key: 'cost', label: 'Cost', numeric: true, render: p => money(p.cost) },
        ]} />
    </details>
  </section>`;
}

function ModelDistribution({ distribution }) {
  const models = distribution.models;
  const config = useMemo(() => distributionConfig(models), [models]);
  const summary = `Share of requests by model: ${models.map(m => `${m.modelId} ${percent(m.requestShare)}`).join(', ')}.`;
  return html`<section class="panel" aria-labelledby="distribution-heading">
    <h2 id="distribution-heading">Model distribution</h2>
    ${models.length ? html`<${ChartCanvas} label=${summary} config=${config} />` : null}
    <${Table} caption="Requests and cost per model" rows=${models} rowKey=${m => `${m.providerId}/${m.modelId}`}
      empty="No model was used in this range." columns=${[
        { key: 'modelId', label: 'Model' },
        { key: 'requests', label: 'Requests', numeric: true, render: m => `${number(m.requests)} (${percent(m.requestShare)})` },
        { key: 'cost', label: 'Cost', numeric: true, render: m => `${money(m.cost)} (${percent(m.costShare)})` },
      ]} />
  </section>`;
}

/** The range from the page's address (?range=7d, or ?range=custom&from=&to=), so a reload or a shared link keeps it. */
function initialQuery() {
  const search = new URLSearchParams(location.search);
  const range = search.get('range');
  if (range === 'custom') return { range, from: search.get('from') ?? '', to: search.get('to') ?? '' };
  return { range: ranges.some(r => r.value === range) ? range : '7d' };
}

export default function Analytics() {
  const [query, setQuery] = useState(initialQuery);
  const [choice, setChoice] = useState(query.range);
  const [dates, setDates] = useState({ from: query.from ?? '', to: query.to ? isoDate(Date.parse(query.to) - DAY) : '' });
  const dashboard = useLoad(signal => api('/api/admin/analytics/dashboard', { params: query, signal }), [query.range, query.from, query.to]);

  const apply = next => {
    setQuery(next);
    history.replaceState(null, '', `${location.pathname}?${new URLSearchParams(Object.entries(next).filter(([, v]) => v))}`);
  };
  const choose = value => {
    setChoice(value);
    if (value !== 'custom') apply({ range: value });
    else if (!dates.from && dashboard.data) {
      // Start from the dates on screen, so "custom" is a small edit of what the reader sees.
      const shown = dashboard.data.totals.range;
      setDates({ from: isoDate(shown.from), to: isoDate(Date.parse(shown.to) - 1) });
    }
  };
  // The "to" date is inclusive for the reader; the API's end is exclusive, so ask up to the next midnight (UTC).
  const submitDates = event => {
    event.preventDefault();
    apply({ range: 'custom', from: dates.from, to: dates.to ? nextDay(dates.to) : '' });
  };

  const data = dashboard.data;
  const shown = data?.totals.range;
  const previous = ranges.find(r => r.value === (shown?.range ?? query.range))?.previous ?? ranges[4].previous;
  const error = dashboard.error;
  const instant = value => (shown?.bucket === 'day' ? dayLabel.format(new Date(value)) : hourLabel.format(new Date(value)));

  return html`
    <div class="toolbar">
      <${Select} label="Range" name="range" value=${choice} onValue=${choose} options=${ranges} error=${error} />
    </div>
    ${choice === 'custom' ? html`<form class="toolbar" onSubmit=${submitDates} aria-label="Custom dates" novalidate>
      <${Input} label="From" name="from" type="date" value=${dates.from} onValue=${from => setDates(d => ({ ...d, from }))} error=${error} />
      <${Input} label="To (inclusive)" name="to" type="date" value=${dates.to} onValue=${to => setDates(d => ({ ...d, to }))} error=${error} />
      <button type="submit" disabled=${dashboard.loading}>${dashboard.loading ? 'Loading…' : 'Show'}</button>
    </form>` : null}
    <${ErrorMessage} error=${error} />
    ${dashboard.loading ? html`<${Busy} label="Loading figures…" />` : null}
    ${data ? html`
      <p class="muted" id="range-summary">${shown.bucket === 'day'
        ? `${instant(shown.from)} to ${instant(Date.parse(shown.to) - 1)} (UTC days), by day`
        : `${instant(shown.from)} until ${instant(shown.to)}, by hour`}; growth compares with ${previous} (from ${instant(shown.previousFrom)}).</p>
      <h2 class="visually-hidden">Summary</h2>
      <${Cards} label="Summary" items=${summaryCards(data.totals, previous)} />
      <div class="grid-2">
        <${UsageOverTime} series=${data.series} />
        <${ModelDistribution} distribution=${data.distribution} />
      </div>
      <h2>Model performance</h2>
      <${Table} caption="Performance per model" rows=${data.performance.models} rowKey=${m => `${m.providerId}/${m.modelId}`}
        empty="No model was called in this range." columns=${[
          { key: 'modelId', label: 'Model' },
          { key: 'providerId', label: 'Provider' },
          { key: 'requests', label: 'Requests', numeric: true, render: m => number(m.requests) },
          { key: 'averageLatencyMs', label: 'Average latency', numeric: true, render: m => ms(m.averageLatencyMs) },
          { key: 'p95LatencyMs', label: 'p95 latency', numeric: true, render: m => ms(m.p95LatencyMs) },
          { key: 'averageTimeToFirstTokenMs', label: 'Time to first token', numeric: true, render: m => ms(m.averageTimeToFirstTokenMs) },
          { key: 'successRate', label: 'Success rate', numeric: true, render: m => percent(m.successRate) },
          { key: 'cost', label: 'Cost', numeric: true, render: m => money(m.cost) },
        ]} />` : null}`;
}
