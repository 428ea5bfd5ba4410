/**
 * The agent's configuration (the package's `./config` entry): one zod schema with defaults and a
 * description on every key (agent-config-schema.ts, its sections in section-schemas.ts) and
 * `parseAgentConfig` (parse-config.ts), which validates a raw object once, resolves relative paths
 * against a base folder, fills the derived defaults (work folder, outbox folder) and returns a
 * deep-frozen config.
 *
 * The schema itself is pure (no paths resolved, no files read): `edgeqc package-agent` parses the
 * recipe's DefaultConfiguration with it and writes the result into the recipe. Greengrass adds
 * `accessControl` to the component configuration; the schema accepts it and drops it.
 *
 * Raw config comes from a JSON file, EDGEQC_* environment variables and flags (load-config.ts) or from
 * Greengrass GetConfiguration. An invalid value is reported with its key path and the value given:
 * `outbox.capacity: expected a positive integer, got "abc"`.
 */
export * from './agent-config-schema.ts';
export { describeConfigIssues } from './config-issues.ts';
export * from './intake-schemas.ts';
export * from './parse-config.ts';
export * from './section-schemas.ts';
export * from './sync-schemas.ts';
export * from './upload-schemas.ts';
