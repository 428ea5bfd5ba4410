// The review API client: one fetch wrapper, the session cookie sent along, errors as values.
let config = { apiBase: 'api/' };

/** Reads config.json beside the page (written by the server or the deployment); defaults when absent. */
export async function loadConfig() {
  const r = await fetch('config.json', { credentials: 'same-origin' });
  if (r.status === 404) return;
  if (!r.ok) throw new Error(`config.json answered ${r.status}`);
  config = { ...config, ...(await r.json()) };
}

export function signInUrl() {
  return config.signInUrl;
}

/** An API answer the page shows: HTTP status and the JSON body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `the server answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function call(method, path, body) {
  const init = { method, credentials: 'include', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(new URL(path, new URL(config.apiBase, document.baseURI)), init);
  const text = await r.text();
  const json = r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
  if (!r.ok || json === undefined) throw new ApiError(r.status, json);
  return json;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  return q.toString();
}

export const api = {
  session: () => call('GET', 'session'),
  list: (params) => call('GET', `items?${query(params)}`),
  facets: () => call('GET', 'facets'),
  item: (id) => call('GET', `items/${id}`),
  decide: (id, decision) => call('PUT', `items/${id}/decision`, decision),
  markOk: (items) => call('POST', 'decisions/mark-ok', { verdict: 'ok', items }),
  undo: () => call('POST', 'undo'),
  agreement: () => call('GET', 'agreement'),
};
