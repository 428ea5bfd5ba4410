/** Reads the agent's memory probe file (memory-probe.ts): one JSON object per line. */
import { readFile } from 'node:fs/promises';

export interface MemorySample {
  readonly atMs: number;
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
}

/** Every sample in the file, oldest first; none when it does not exist yet. Torn last lines are skipped. */
export async function readMemorySamples(file: string): Promise<MemorySample[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out: MemorySample[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as MemorySample);
    } catch {
      // a line being written
    }
  }
  return out;
}
