#!/usr/bin/env node
/**
 * `npm run contracts`: writes the message contracts' JSON Schema files (edge-component/contracts/),
 * generated from their zod schemas (edge-component/src/contracts/json-schema.ts), and removes a
 * `.schema.json` file there that no contract generates any more. Commit what it changes.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTRACT_SCHEMAS_DIR, contractJsonSchemas } from '@edgeqc/edge-component/contracts/json-schema';

const generated = contractJsonSchemas();
await mkdir(CONTRACT_SCHEMAS_DIR, { recursive: true });
for (const { file, text } of generated) {
  const path = join(CONTRACT_SCHEMAS_DIR, file);
  const before = await readFile(path, 'utf8').catch(() => undefined);
  if (before === text) {
    process.stdout.write(`unchanged ${path}\n`);
  } else {
    await writeFile(path, text);
    process.stdout.write(`${before === undefined ? 'created' : 'updated'} ${path}\n`);
  }
}
for (const name of await readdir(CONTRACT_SCHEMAS_DIR)) {
  if (name.endsWith('.schema.json') && !generated.some((g) => g.file === name)) {
    await rm(join(CONTRACT_SCHEMAS_DIR, name));
    process.stdout.write(`removed ${join(CONTRACT_SCHEMAS_DIR, name)} (no contract generates it)\n`);
  }
}
