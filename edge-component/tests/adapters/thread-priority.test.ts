/**
 * The inference thread first (adapters/thread-priority.ts), on this Linux machine's real threads: in a
 * child process (thread-priority-child.ts), since a lowered thread cannot be raised again.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { currentThreadId, keepThreadFirst } from '../../src/adapters/thread-priority.ts';

const CHILD = new URL('./thread-priority-child.ts', import.meta.url).pathname;

interface ChildReport {
  main: number;
  first: { id: number; supported: boolean; lowered: number; niceOfKept: number | null };
  second: { id: number; niceOfKept: number | null };
  afterFirst: Record<string, number>;
  afterSecond: Record<string, number>;
}

/** Root may raise a nice value again; `unprivileged` runs the child as nobody (only root can). */
const ROOT = process.getuid?.() === 0;

function runChild(nice: number, unprivileged = false): ChildReport {
  const as = unprivileged && ROOT ? { uid: 65534, gid: 65534 } : {};
  const run = spawnSync(process.execPath, [CHILD, String(nice)], { encoding: 'utf8', timeout: 30_000, ...as });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as ChildReport;
}

describe('keepThreadFirst', () => {
  it('reads the calling thread id from /proc', () => {
    expect(currentThreadId()).toBe(process.pid); // the test runs in a process's main thread
  });

  it('lowers every other thread of the process to the nice value and keeps the given one at 0', () => {
    const r = runChild(10);
    expect(r.first).toMatchObject({ supported: true, niceOfKept: 0 });
    expect(r.first.lowered).toBeGreaterThanOrEqual(3); // the main thread, libuv's and V8's at least
    expect(r.afterFirst[String(r.first.id)]).toBe(0);
    expect(r.afterFirst[String(r.main)]).toBe(10);
    const others = Object.entries(r.afterFirst).filter(([id]) => Number(id) !== r.first.id);
    expect(others.length).toBe(Object.keys(r.afterFirst).length - 1);
    for (const [id, nice] of others) expect(nice, `thread ${id}`).toBe(10);
  });

  it('a thread started by a lowered thread starts lowered: kept, it is raised back where the process may (root), else reported lowered', () => {
    // Without privilege (nobody, or this test not run as root): it stays at 10, and says so.
    const plain = runChild(10, true);
    expect(plain.second.niceOfKept).toBe(10);
    expect(plain.afterSecond[String(plain.second.id)]).toBe(10);
    expect(plain.afterSecond[String(plain.first.id)]).toBe(0);
    if (ROOT) {
      const root = runChild(10);
      expect(root.second.niceOfKept).toBe(0);
      expect(root.afterSecond[String(root.second.id)]).toBe(0);
      expect(root.afterSecond[String(root.main)]).toBe(10);
    }
  });

  it('nice 0 changes nothing', () => {
    const r = runChild(0);
    expect(r.first.lowered).toBe(0);
    for (const [id, nice] of Object.entries(r.afterSecond)) expect(nice, `thread ${id}`).toBe(0);
  });

  it('refuses a nice value outside 0-19, naming it', () => {
    expect(() => keepThreadFirst(process.pid, 20)).toThrow(/nice must be an integer from 0 to 19, got 20/);
    expect(() => keepThreadFirst(process.pid, -1)).toThrow(/got -1/);
  });
});
