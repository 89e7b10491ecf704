// Chart.js for the analytics page: waiting for the vendored library (the shell loads it with defer on chart pages),
// one component that owns a chart's lifetime, and colours that keep 3:1 contrast on the white page (WCAG 1.4.11).
import { html, useEffect, useRef, useState, ErrorMessage } from '../lib.js';

/** Series colours, each at least 4.5:1 against white, distinct in hue and lightness. */
export const palette = ['#0b57a4', '#b35000', '#1d6b34', '#6f42c1', '#a4161a', '#00707a', '#4a5361', '#8a5a00'];

let library;

/**
 * Resolves with window.Chart. The deferred classic script normally runs before any module, but a slow or failed load
 * must not turn into "Chart is not defined": wait for the window's load event and check again.
 */
export function chartLibrary() {
  library ??= new Promise((resolve, reject) => {
    const ready = () => {
      const Chart = window.Chart;
      if (!Chart) {
        reject(new Error('The chart library could not be loaded: the figures are in the tables.'));
        return;
      }
      // The page's text colours and font, so axis labels read like the rest of the page.
      Chart.defaults.color = '#4a5361';
      Chart.defaults.borderColor = '#c9d0da';
      Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
      resolve(Chart);
    };
    if (window.Chart || document.readyState === 'complete') ready();
    else window.addEventListener('load', ready, { once: true });
  });
  return library;
}

/**
 * A canvas drawn by Chart.js from `config` (re-drawn when the config object changes; memoise it). The previous chart is
 * destroyed first: Chart.js refuses a canvas that is still in use. `label` is the chart's accessible name, a summary of
 * what it shows; the figures themselves must also be on the page as text (a table).
 */
export function ChartCanvas({ label, config }) {
  const canvas = useRef(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let chart;
    let cancelled = false;
    chartLibrary().then(
      Chart => {
        if (cancelled || !canvas.current) return;
        Chart.getChart(canvas.current)?.destroy();
        // No animation: a chart is read, not watched, and tests and screenshots need it still when drawn.
        chart = new Chart(canvas.current, { ...config, options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options } });
      },
      e => { if (!cancelled) setError(e); });
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [config]);
  return error
    ? html`<${ErrorMessage} error=${error} />`
    : html`<div class="chart"><canvas ref=${canvas} role="img" aria-label=${label}></canvas></div>`;
}
