// The filter form: status, line or device, model verdict, model version, date range. Every control has a
// label; a change applies at once (and goes back to the first page).
import { html } from 'htm/preact';

export function Filters({ filters, facets, onChange, formRef }) {
  const set = (key) => (e) => onChange({ ...filters, [key]: e.currentTarget.value });
  // The line field applies on Enter itself: with its suggestions open, the browser may take Enter to
  // close them and not report a change until the field is left.
  const applyThing = (e) => {
    if (e.currentTarget.value !== filters.thing) onChange({ ...filters, thing: e.currentTarget.value });
  };
  return html`
    <form class="filters" ref=${formRef} aria-label="Filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Status
        <select name="status" value=${filters.status} onChange=${set('status')}>
          <option value="pending">Pending</option>
          <option value="done">Done</option>
          <option value="all">All</option>
        </select>
      </label>
      <label>Line or device
        <input
          name="thing"
          list="things"
          value=${filters.thing}
          placeholder="e.g. line-1"
          onChange=${applyThing}
          onKeyDown=${(e) => e.key === 'Enter' && applyThing(e)}
        />
        <datalist id="things">${facets.things.map((t) => html`<option value=${t} />`)}</datalist>
      </label>
      <label>Model verdict
        <select name="verdict" value=${filters.verdict} onChange=${set('verdict')}>
          <option value="">Any</option>
          <option value="unclear">Unclear</option>
          <option value="defect">Defect</option>
          <option value="ok">Ok</option>
        </select>
      </label>
      <label>Model version
        <select name="modelVersion" value=${filters.modelVersion} onChange=${set('modelVersion')}>
          <option value="">Any</option>
          ${facets.modelVersions.map((v) => html`<option value=${v}>${v}</option>`)}
        </select>
      </label>
      <label>From
        <input name="from" type="date" value=${filters.from} onChange=${set('from')} />
      </label>
      <label>To (before)
        <input name="to" type="date" value=${filters.to} onChange=${set('to')} />
      </label>
    </form>
  `;
}
