/**
 * CPU time from /proc, for the benches that report where the time went (Linux only): a process's,
 * all of the machine's PostgreSQL processes', and those serving one database.
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

/** A process's CPU seconds so far, user and system (kernel) apart; NaN when it is gone. */
export function cpuSplit(pid: number): { user: number; system: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
  } catch {
    return { user: NaN, system: NaN };
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

/**
 * CPU seconds so far of each PostgreSQL backend serving database `db`, by process id (the
 * process title names the database), so other users of a shared cluster are not counted. The
 * cluster's own writers (WAL, checkpointer) are shared and left out.
 */
export function databaseCpuSeconds(db: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
      if (!title.split(' ').includes(db)) continue;
    } catch {
      continue; // gone
    }
    const s = cpuSeconds(Number(d));
    if (!Number.isNaN(s)) out.set(Number(d), s);
  }
  return out;
}

/**
 * CPU seconds the backends used between two readings of `databaseCpuSeconds`: never negative
 * (a backend gone by the second reading is not counted; one new since counts whole).
 */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
  return total;
}
