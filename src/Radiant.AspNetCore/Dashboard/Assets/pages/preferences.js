// Placeholder: this page is being written.
import { html } from '../lib.js';

export default function Page() {
  return html`<p>This page is not written yet.</p>`;
}
