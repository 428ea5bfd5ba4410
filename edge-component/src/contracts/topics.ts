/**
 * MQTT topics of one device; the prefix defaults to `edgeqc/<thingName>`.
 *
 * A prefix must give topics AWS IoT Core accepts for all four suffixes: at most 256 bytes and 7 "/"
 * in a topic (so at most 244 bytes and 6 "/" in the prefix, `/inspections` being the longest suffix),
 * no reserved `$` start, no wildcards, no empty level. Characters are limited to letters, digits and
 * `_ - : .` (thing names use the same set, so `edgeqc/<thingName>` always passes), which also keeps
 * the prefix usable in an IoT policy resource and a Greengrass IPC access policy.
 */
export interface Topics {
  readonly inspections: string;
  readonly status: string;
  readonly errors: string;
  /** `edgeqc.metrics.v1`, every `metrics.intervalSeconds`. */
  readonly metrics: string;
}

export function topicsFor(prefix: string): Topics {
  const p = prefix.replace(/\/+$/, '');
  return { inspections: `${p}/inspections`, status: `${p}/status`, errors: `${p}/errors`, metrics: `${p}/metrics` };
}

export function defaultTopicPrefix(thingName: string): string {
  return `edgeqc/${thingName}`;
}

/** AWS IoT Core: a topic is at most 256 bytes (UTF-8). */
export const MAX_TOPIC_BYTES = 256;
/** AWS IoT Core: a topic has at most 7 forward slashes. */
export const MAX_TOPIC_SLASHES = 7;
/** The longest suffix the agent adds to its prefix. */
const LONGEST_SUFFIX = '/inspections';
export const MAX_TOPIC_PREFIX_BYTES = MAX_TOPIC_BYTES - LONGEST_SUFFIX.length;
export const MAX_TOPIC_PREFIX_SLASHES = MAX_TOPIC_SLASHES - 1;

const LEVEL = /^[A-Za-z0-9_:.-]+$/;

/** What is wrong with a topic prefix ("expected ..."), or undefined when AWS IoT Core accepts it. */
export function topicPrefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return 'expected a non-empty topic prefix';
  if (prefix.startsWith('$')) return 'expected a topic prefix that does not start with "$" (reserved by AWS IoT)';
  const bytes = new TextEncoder().encode(prefix).length;
  if (bytes > MAX_TOPIC_PREFIX_BYTES) {
    return `expected a topic prefix of at most ${MAX_TOPIC_PREFIX_BYTES} bytes (AWS IoT topics: ${MAX_TOPIC_BYTES} bytes with ${LONGEST_SUFFIX}), it has ${bytes}`;
  }
  const levels = prefix.split('/');
  if (levels.length - 1 > MAX_TOPIC_PREFIX_SLASHES) {
    return `expected a topic prefix with at most ${MAX_TOPIC_PREFIX_SLASHES} "/" (AWS IoT topics: ${MAX_TOPIC_SLASHES} with the suffix), it has ${levels.length - 1}`;
  }
  if (levels.some((l) => l.length === 0))
    return 'expected a topic prefix without an empty level (a leading, final or double "/")';
  const bad = levels.find((l) => !LEVEL.test(l));
  if (bad !== undefined) {
    return `expected topic levels of letters, digits, "_", "-", ":" or "." (no wildcards, spaces or other characters), got level ${JSON.stringify(bad)}`;
  }
  return undefined;
}
