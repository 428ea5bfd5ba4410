/**
 * The page's files: review/web/ (HTML, CSS, ES modules) and the few library modules it imports by bare
 * name through its import map (Preact, its hooks, htm), served from node_modules under vendor/. No build
 * step: the same files work from this app (`edgeqc review`) and as static files (an S3 bucket), where a
 * deployment copies `webRoot` and `vendorModules` side by side and writes a config.json.
 */
import { fileURLToPath } from 'node:url';

/** The folder of index.html. */
export const webRoot: string = fileURLToPath(new URL('../web/', import.meta.url));

/** vendor/<file name> -> absolute path, for each module of the page's import map. */
export const vendorModules: Readonly<Record<string, string>> = Object.freeze({
  'preact.mjs': fileURLToPath(import.meta.resolve('preact')),
  'hooks.mjs': fileURLToPath(import.meta.resolve('preact/hooks')),
  'htm.mjs': fileURLToPath(import.meta.resolve('htm')),
  'htm-preact.mjs': fileURLToPath(import.meta.resolve('htm/preact')),
});

/** The page's runtime settings (config.json beside index.html). */
export interface WebConfig {
  /** Base of the API, relative to the page or absolute. Default `api/`. */
  readonly apiBase: string;
  /** Where to send the browser when the API answers 401 (a hosted sign-in page); none locally. */
  readonly signInUrl?: string;
}
