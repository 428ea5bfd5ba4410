// The review page: state, loading, the reviewer's actions and the keyboard. Components render; this
// file decides. Every result is announced in an aria-live region.
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, signInUrl } from './api.js';
import { boxActions, modelBoxes } from './box-actions.js';
import { Filters } from './filters.js';
import { ImageEditor } from './image-editor.js';
import { ItemList } from './item-list.js';
import { useShortcuts } from './keyboard.js';
import { Agreement, Counts, DecisionLog, Help } from './panels.js';

const PAGE_SIZE = 12;
const NO_FILTERS = { status: 'pending', thing: '', verdict: '', modelVersion: '', from: '', to: '' };
const EMPTY_LIST = { items: [], total: 0, offset: 0, limit: PAGE_SIZE, counts: { pending: 0, done: 0 } };

function toIsoDay(day) {
  return day ? `${day}T00:00:00.000Z` : undefined;
}

function editableBoxes(detail) {
  if (detail.item.decision) return detail.item.decision.boxes.map((b) => ({ ...b }));
  return modelBoxes(detail.item);
}

function resolveUrl(url) {
  return url === null ? null : new URL(url, document.baseURI).href;
}

export function App() {
  const [reviewer, setReviewer] = useState(null);
  const [authProblem, setAuthProblem] = useState(null);
  const [filters, setFilters] = useState(NO_FILTERS);
  const [offset, setOffset] = useState(0);
  const [list, setList] = useState(EMPTY_LIST);
  const [selected, setSelected] = useState(0);
  const [detail, setDetail] = useState(null);
  const [boxes, setBoxes] = useState([]);
  const [selectedBox, setSelectedBox] = useState(-1);
  const [facets, setFacets] = useState({ things: [], modelVersions: [] });
  const [agreement, setAgreement] = useState([]);
  const [announcement, setAnnouncement] = useState('');
  const [helpOpen, setHelpOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const filtersRef = useRef(null);

  const fail = useCallback((err) => {
    if (err instanceof ApiError && err.status === 401) {
      const url = signInUrl();
      if (url) window.location.assign(url);
      setAuthProblem(err.message);
      return;
    }
    setAnnouncement(`Error: ${err.message}`);
  }, []);

  const loadList = useCallback(async () => {
    const l = await api.list(listParams(filters, offset));
    setList(l);
    setSelected((s) => Math.max(0, Math.min(s, l.items.length - 1)));
    // The last page emptied (its items decided): go back to the one before.
    if (l.items.length === 0 && offset > 0) setOffset(Math.max(0, offset - PAGE_SIZE));
    return l;
  }, [filters, offset]);

  const loadStats = useCallback(async () => {
    const [f, a] = await Promise.all([api.facets(), api.agreement()]);
    setFacets(f);
    setAgreement(a.versions);
  }, []);

  useEffect(() => {
    api
      .session()
      .then((s) => setReviewer(s.reviewer))
      .then(loadStats)
      .catch(fail);
  }, [fail, loadStats]);

  useEffect(() => {
    if (reviewer) loadList().catch(fail);
  }, [reviewer, loadList, fail]);

  const current = list.items[selected];
  const currentKey = current ? `${current.messageId}@${current.revision}` : '';
  useEffect(() => {
    if (!current) {
      setDetail(null);
      return;
    }
    let stale = false;
    setDetail((d) => (d?.item.messageId === current.messageId ? d : null));
    api
      .item(current.messageId)
      .then((d) => {
        if (stale) return;
        setDetail(d);
        setBoxes(editableBoxes(d));
        setSelectedBox(-1);
      })
      .catch(fail);
    return () => {
      stale = true;
    };
  }, [currentKey]);

  const refresh = async () => {
    await Promise.all([loadList(), loadStats()]);
  };

  // One save at a time; a key pressed meanwhile is answered, not lost silently.
  const saving = () => {
    if (!busy) return false;
    setAnnouncement('Still saving the last change: press again in a moment.');
    return true;
  };

  const decide = async (verdict) => {
    // Never decide on what is no longer selected (the next item's details are still loading).
    if (saving() || !detail || detail.item.messageId !== current?.messageId) return;
    if (verdict === 'defect' && boxes.length === 0) {
      setAnnouncement('A defect needs at least one box: draw it on the image first (or press b).');
      return;
    }
    setBusy(true);
    try {
      const body = { verdict, boxes: verdict === 'ok' ? [] : boxes, expectedRevision: detail.item.revision };
      await api.decide(detail.item.messageId, body);
      const l = await api.list(listParams(filters, offset));
      const stays = filters.status !== 'pending';
      setList(l);
      if (l.items.length === 0 && offset > 0) setOffset(Math.max(0, offset - PAGE_SIZE));
      setSelected((s) => Math.max(0, Math.min(stays ? s + 1 : s, l.items.length - 1)));
      const { pending, done } = l.counts;
      setAnnouncement(`Decided ${verdict} for ${detail.item.image.file}. ${pending} pending, ${done} done.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        const who = err.body.item?.decision?.reviewer?.name ?? 'someone';
        const file = detail.item.image.file;
        setAnnouncement(
          `Conflict: ${who} decided ${file} meanwhile; their decision is shown, nothing was overwritten.`,
        );
        await loadList().catch(fail);
      } else fail(err);
    } finally {
      setBusy(false);
    }
    loadStats().catch(fail);
  };

  const markPageOk = async () => {
    if (saving()) return;
    const pending = list.items.filter((i) => i.status === 'pending');
    if (pending.length === 0) {
      setAnnouncement('Nothing pending on this page.');
      return;
    }
    setBusy(true);
    try {
      const r = await api.markOk(pending.map((i) => ({ messageId: i.messageId, expectedRevision: i.revision })));
      setAnnouncement(`Marked ${r.decided.length} item(s) on this page as ok.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        const { decided, conflicts } = err.body;
        setAnnouncement(
          `Marked ${decided.length} as ok; ${conflicts.length} were decided by someone else meanwhile and kept.`,
        );
      } else fail(err);
    } finally {
      setBusy(false);
    }
    await refresh().catch(fail);
  };

  const undo = async () => {
    if (saving()) return;
    setBusy(true);
    try {
      const r = await api.undo();
      const names = r.items.map((i) => i.image.file).join(', ');
      const l = await loadList();
      const back = l.items.findIndex((i) => i.messageId === r.items[0]?.messageId);
      if (back >= 0) setSelected(back);
      setAnnouncement(`Undone: your last decision on ${names}. ${l.counts.pending} pending, ${l.counts.done} done.`);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) setAnnouncement(err.message);
      else fail(err);
    } finally {
      setBusy(false);
    }
    loadStats().catch(fail);
  };

  const moveSelection = (delta) => {
    if (list.items.length === 0) return;
    setSelected((s) => Math.max(0, Math.min(list.items.length - 1, s + delta)));
  };
  const page = {
    next: () => {
      if (offset + PAGE_SIZE >= list.total) return;
      setOffset(offset + PAGE_SIZE);
      setSelected(0);
    },
    previous: () => {
      if (offset === 0) return;
      setOffset(Math.max(0, offset - PAGE_SIZE));
      setSelected(0);
    },
  };
  const changeFilters = (f) => {
    setFilters(f);
    setOffset(0);
    setSelected(0);
  };

  const box = boxActions({ detail, boxes, setBoxes, selectedBox, setSelectedBox, announce: setAnnouncement });
  const actions = {
    next: () => moveSelection(1),
    previous: () => moveSelection(-1),
    ok: () => decide('ok'),
    defect: () => decide('defect'),
    markPageOk,
    undo,
    newBox: box.newBox,
    nextBox: box.nextBox,
    previousBox: box.previousBox,
    deleteBox: box.deleteBox,
    resetBoxes: box.resetBoxes,
    nextPage: page.next,
    previousPage: page.previous,
    focusFilters: () => filtersRef.current?.querySelector('select, input')?.focus(),
    help: () => setHelpOpen(!helpOpen),
    escape: () => (helpOpen ? setHelpOpen(false) : setSelectedBox(-1)),
  };
  useShortcuts({ actions, editBox: box.editBox, step: box.step });

  if (authProblem) {
    return html`<main class="signin"><h1>edgeqc review</h1><p role="alert">${authProblem}</p></main>`;
  }
  return html`
    <header>
      <h1>edgeqc review</h1>
      <${Counts} counts=${list.counts} />
      <p class="who">${reviewer ? `Reviewing as ${reviewer.name}` : 'Signing in…'}</p>
      <button type="button" class="help-button" onClick=${() => setHelpOpen(true)} aria-keyshortcuts="?">Shortcuts (?)</button>
    </header>
    <${Filters} filters=${filters} facets=${facets} onChange=${changeFilters} formRef=${filtersRef} />
    <div class="layout">
      <aside class="list">
        <${ItemList} list=${list} selected=${selected} onSelect=${setSelected} page=${page} />
        <button type="button" class="mark-ok" onClick=${markPageOk} aria-keyshortcuts="a">Mark all on this page as ok</button>
      </aside>
      <main class="detail" aria-label="Item">
        ${
          detail && current
            ? html`
              ${!detail.item.image.present && html`<p class="warning" role="note">The image object of this item is missing from the store: it can still be decided from the model's message.</p>`}
              <${ImageEditor}
                item=${detail.item}
                imageUrl=${resolveUrl(detail.imageUrl)}
                boxes=${boxes}
                onBoxes=${setBoxes}
                selected=${selectedBox}
                onSelect=${setSelectedBox}
                label=${box.label}
              />
              <div class="actions" role="toolbar" aria-label="Decide">
                <button type="button" class="ok" onClick=${() => decide('ok')} disabled=${busy} aria-keyshortcuts="o">Ok (o)</button>
                <button type="button" class="defect" onClick=${() => decide('defect')} disabled=${busy} aria-keyshortcuts="d">Defect (d)</button>
                <button type="button" onClick=${actions.newBox} aria-keyshortcuts="b">Add box (b)</button>
                <button type="button" onClick=${actions.deleteBox} disabled=${selectedBox < 0} aria-keyshortcuts="x">Delete box (x)</button>
                <button type="button" onClick=${actions.resetBoxes} aria-keyshortcuts="r">Model's boxes (r)</button>
                <button type="button" onClick=${undo} disabled=${busy} aria-keyshortcuts="u">Undo (u)</button>
              </div>
              <section aria-label="Decision history"><${DecisionLog} log=${detail.log} /></section>
            `
            : html`<p class="empty">${list.total === 0 ? 'Nothing selected.' : 'Loading…'}</p>
              <button type="button" onClick=${undo} aria-keyshortcuts="u">Undo (u)</button>`
        }
      </main>
    </div>
    <${Agreement} versions=${agreement} />
    <p class="announcer" role="status" aria-live="polite" data-testid="announcer">${announcement}</p>
    <${Help} open=${helpOpen} onClose=${() => setHelpOpen(false)} />
  `;
}

function listParams(filters, offset) {
  return {
    status: filters.status,
    thing: filters.thing,
    verdict: filters.verdict,
    modelVersion: filters.modelVersion,
    from: toIsoDay(filters.from),
    to: toIsoDay(filters.to),
    offset,
    limit: PAGE_SIZE,
  };
}
