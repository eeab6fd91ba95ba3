/**
 * CPU time from /proc, for the benches that report where the time went (Linux only): a process's,
 * and all of the machine's PostgreSQL processes'.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** CPU seconds (user + system) a process has used so far; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds of every PostgreSQL process on the machine (other users' among them). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue; // gone
    }
    const s = cpuSeconds(Number(d));
    if (!Number.isNaN(s)) total += s;
  }
  return total;
}
