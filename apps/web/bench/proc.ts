/** CPU time from /proc (Linux only), for the benchmark: every process started under this one. */
import { readFileSync, readdirSync } from 'node:fs';

interface Stat {
  ppid: number;
  cpu: number;
}

function stat(pid: string): Stat | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return null; // gone
  }
}

/** CPU seconds (user + system) used so far by the living descendants of `root`. */
export function descendantsCpuSeconds(root: number): number {
  const stats = new Map<number, Stat>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = stat(d);
    if (s) stats.set(Number(d), s);
  }
  const under = (pid: number): boolean => {
    for (let p = stats.get(pid)?.ppid; p !== undefined && p > 1; p = stats.get(p)?.ppid)
      if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, s] of stats) if (under(pid)) total += s.cpu;
  return total;
}
