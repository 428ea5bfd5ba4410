/** MQTT topics of one device; the prefix defaults to `edgeqc/<thingName>`. */
export interface Topics {
  readonly inspections: string;
  readonly status: string;
  readonly errors: string;
}

export function topicsFor(prefix: string): Topics {
  const p = prefix.replace(/\/+$/, '');
  return { inspections: `${p}/inspections`, status: `${p}/status`, errors: `${p}/errors` };
}

export function defaultTopicPrefix(thingName: string): string {
  return `edgeqc/${thingName}`;
}
