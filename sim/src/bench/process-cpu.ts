/** CPU time used so far by a process, from /proc (Linux), for the benchmark's per-image CPU cost. */
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * User + system CPU milliseconds in a /proc stat file (`/proc/<pid>/stat`, `/proc/<pid>/task/<tid>/stat`),
 * or undefined when unreadable. The command name (2nd field) may hold spaces: the fields after it start
 * past the last ')'; utime and stime are the 14th and 15th.
 */
async function statCpuMs(path: string): Promise<number | undefined> {
  const stat = await readFile(path, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return stat !== '' && Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
}

/** User + system CPU milliseconds of process `pid` (all its threads), or undefined when unreadable. */
export function processCpuMs(pid: number): Promise<number | undefined> {
  return statCpuMs(`/proc/${pid}/stat`);
}

/**
 * User + system CPU milliseconds of the threads of process `pid` whose name starts with `prefix`
 * (/proc/<pid>/task/<tid>/comm; a thread inherits its creator's name, so onnxruntime's pool threads
 * started in the detector's worker carry the worker's name), summed, with how many there were; undefined
 * when unreadable.
 */
export async function threadsCpuMs(pid: number, prefix: string): Promise<{ ms: number; threads: number } | undefined> {
  try {
    let ms = 0;
    let threads = 0;
    for (const tid of await readdir(`/proc/${pid}/task`)) {
      const name = await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8').catch(() => '');
      if (!name.startsWith(prefix)) continue;
      const used = await statCpuMs(`/proc/${pid}/task/${tid}/stat`);
      if (used === undefined) continue;
      ms += used;
      threads += 1;
    }
    return { ms, threads };
  } catch {
    return undefined;
  }
}
