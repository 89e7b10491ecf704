// Helpers the pricing, domain-mode and registry pages share and lib.js does not have: exact decimal conversion between
// the percentages admins type and the fractions the API stores, an accessible switch, <time> elements, and a banner
// for the API's errors that no field on the form shows.
import { html, ApiError, useEffect } from '../lib.js';

const decimal = /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/;

/** True when the text is a plain decimal number (no exponent, no thousands separators). */
export function isDecimal(text) {
  return decimal.test(String(text ?? ''));
}

/**
 * A percentage as typed ("33.33") → the fraction the API takes (0.3333); like lib.js's numeric(), null when empty and
 * the text as typed when it is not a plain decimal, so the API names the field. Shifting the decimal point in the text
 * (via an exponent) instead of dividing by 100 keeps the value exact: 33.33 / 100 is 0.33329999999999993 in binary
 * floating point, which the API would refuse as having more than 4 decimals.
 */
export function percentToFraction(text) {
  const trimmed = String(text ?? '').trim();
  if (trimmed === '') return null;
  return isDecimal(trimmed) ? Number(`${trimmed}e-2`) : trimmed;
}

/** A fraction from the API (0.4) → the percentage shown in an input ("40"). */
export function fractionToPercent(value) {
  return value === null || value === undefined ? '' : String(Number(`${value}e2`));
}

/** A fraction as a percentage with up to two decimals, for reading (0.3333 → "33.33 %"). */
export function percentText(value) {
  return value === null || value === undefined ? '—' : `${fractionToPercent(value)} %`;
}

/** A value of an <input type="datetime-local"> (the reader's local time) → an ISO instant, or null when empty. */
export function localToIso(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** An ISO instant → the value an <input type="datetime-local"> shows for it in the reader's time zone. */
export function isoToLocal(value) {
  if (!value) return '';
  const d = new Date(value);
  const pad = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An instant as a <time> element (machine-readable for tests and assistive technology). */
export function Time({ value }) {
  return value ? html`<time datetime=${value}>${new Date(value).toLocaleString()}</time>` : '—';
}

/**
 * After a refused submit, moves the keyboard focus to the first field the API marked invalid inside `ref` (a form), so
 * the message next to it is read out and the admin can correct it at once.
 */
export function useFocusInvalid(ref, error) {
  useEffect(() => {
    if (error) ref.current?.querySelector('[aria-invalid="true"]')?.focus();
  }, [error]);
}

/** A local field error of the form's own (e.g. a preview that needs a number), shaped like the API's. */
export function fieldError(name, message) {
  return new ApiError(400, { title: 'Check the form.', errors: { [name]: [message] } });
}

/**
 * The messages of an ApiError whose keys no field on the form shows (`shown(key)` says which keys a field shows), as
 * an alert; the field errors themselves are shown next to their fields by lib.js.
 */
export function OtherErrors({ error, shown }) {
  if (!(error instanceof ApiError)) return null;
  const messages = Object.entries(error.errors)
    .filter(([key]) => !shown(key.toLowerCase()))
    .flatMap(([, list]) => list);
  return messages.length
    ? html`<div class="error-banner" role="alert"><ul>${messages.map(m => html`<li>${m}</li>`)}</ul></div>`
    : null;
}

/**
 * An on/off switch: a real button with role="switch" and aria-checked, named by `label`. While its change is being
 * saved (`busy`) it is aria-disabled and ignores presses; not `disabled`, which would drop the keyboard focus.
 */
export function Switch({ label, checked, busy, onToggle }) {
  return html`<button type="button" role="switch" aria-checked=${checked ? 'true' : 'false'} aria-label=${label}
    class=${checked ? '' : 'secondary'} aria-disabled=${busy ? 'true' : undefined} aria-busy=${busy ? 'true' : undefined}
    onClick=${() => { if (!busy) onToggle(!checked); }}>${busy ? 'Saving…' : checked ? 'On' : 'Off'}</button>`;
}

/** "Before to after" for a history row; one value when it did not change. */
export function Change({ before, after, format }) {
  if (before === after || (before !== null && after !== null && Number(before) === Number(after))) return format(after);
  return html`${format(before)} <span class="muted">to</span> ${format(after)}`;
}
