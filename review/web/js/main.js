// Entry point: reads config.json (where the API is), then renders the app.
import { html, render } from 'htm/preact';
import { loadConfig } from './api.js';
import { App } from './app.js';

const root = document.getElementById('app');
loadConfig()
  .then(() => render(html`<${App} />`, root))
  .catch((err) => {
    root.textContent = `The review page could not start: ${err.message}`;
  });
