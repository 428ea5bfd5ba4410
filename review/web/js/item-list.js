// The list of items, newest first, one page; the selected one is marked for assistive technology too.
import { html } from 'htm/preact';

function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function ItemList({ list, selected, onSelect, page }) {
  if (list.items.length === 0) {
    return html`<p class="empty">Nothing to review with these filters.</p>`;
  }
  const first = list.offset + 1;
  const last = list.offset + list.items.length;
  return html`
    <nav aria-label="Items">
      <ol class="items">
        ${list.items.map(
          (item, i) => html`
            <li key=${item.messageId}>
              <button
                type="button"
                class=${`item${i === selected ? ' current' : ''}`}
                aria-current=${i === selected ? 'true' : undefined}
                onClick=${() => onSelect(i)}
              >
                <span class=${`badge verdict-${item.modelVerdict}`}>${item.modelVerdict}</span>
                <span class="file">${item.image.file}</span>
                <span class="meta">${item.thingName} · ${when(item.capturedAt)}</span>
                ${!item.image.present && html`<span class="badge missing">image missing</span>`}
                ${item.decision && html`<span class=${`badge decided-${item.decision.verdict}`}>${item.decision.verdict} by ${item.decision.reviewer.name}</span>`}
              </button>
            </li>
          `,
        )}
      </ol>
      <div class="pager">
        <button type="button" onClick=${page.previous} disabled=${list.offset === 0}>Previous page</button>
        <span>${first}–${last} of ${list.total}</span>
        <button type="button" onClick=${page.next} disabled=${last >= list.total}>Next page</button>
      </div>
    </nav>
  `;
}
