// Side panels: counts, agreement per model version, an item's decision log, the shortcut help.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { SHORTCUTS } from './shortcuts.js';

export function Counts({ counts }) {
  return html`
    <p class="counts" aria-label="Counts">
      <span><strong data-count="pending">${counts.pending}</strong> pending</span>
      <span><strong data-count="done">${counts.done}</strong> done</span>
    </p>
  `;
}

function percent(x) {
  return x === null ? '–' : `${Math.round(x * 100)} %`;
}

export function Agreement({ versions }) {
  return html`
    <section class="agreement" aria-labelledby="agreement-title">
      <h2 id="agreement-title">Model and reviewers agree</h2>
      ${
        versions.length === 0
          ? html`<p>No decisions yet.</p>`
          : html`
            <table>
              <thead>
                <tr><th scope="col">Model</th><th scope="col">Reviewed</th><th scope="col">Agree</th><th scope="col">Unclear → ok / defect</th></tr>
              </thead>
              <tbody>
                ${versions.map(
                  (v) => html`<tr>
                    <th scope="row">${v.modelName}@${v.modelVersion}</th>
                    <td>${v.reviewed}</td>
                    <td title=${`${v.agreed} agreed, ${v.disagreed} disagreed`}>${percent(v.agreement)}</td>
                    <td>${v.table.unclear.ok} / ${v.table.unclear.defect}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
  `;
}

export function DecisionLog({ log }) {
  if (log.length === 0) return html`<p class="log-empty">Not decided yet.</p>`;
  return html`
    <ol class="log" aria-label="Decision history">
      ${log.map((e) =>
        e.kind === 'decided'
          ? html`<li>${e.decision.reviewer.name} decided <strong>${e.decision.verdict}</strong> (${e.decision.boxes.length} box(es)) at ${new Date(e.decision.decidedAt).toLocaleString()}</li>`
          : html`<li>${e.reviewer.name} undid that at ${new Date(e.at).toLocaleString()}</li>`,
      )}
    </ol>
  `;
}

export function Help({ open, onClose }) {
  const dialog = useRef(null);
  useEffect(() => {
    const d = dialog.current;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return html`
    <dialog ref=${dialog} class="help" aria-labelledby="help-title" onClose=${onClose}>
      <h2 id="help-title">Keyboard shortcuts</h2>
      <table>
        <thead><tr><th scope="col">Keys</th><th scope="col">Action</th></tr></thead>
        <tbody>
          ${SHORTCUTS.map(
            (s) =>
              html`<tr><td>${s.keys.map((k, i) => html`${i > 0 ? ' or ' : ''}<kbd>${k}</kbd>`)}</td><td>${s.help}</td></tr>`,
          )}
        </tbody>
      </table>
      <p>With the mouse, a pen or a finger: drag on the image to draw a box, drag a box to move it, drag a
        corner of the selected box to resize it.</p>
      <button type="button" onClick=${onClose}>Close</button>
    </dialog>
  `;
}
