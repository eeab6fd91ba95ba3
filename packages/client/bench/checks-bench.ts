/**
 * The checks of one sync page per validator, in Node (checks-bench-core.ts), timed in this
 * process's CPU time. `npx tsx --conditions=ferry-source bench/checks-bench.ts [rows] [pages]`
 */
import { runChecksBench } from './checks-bench-core.ts';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const lines = runChecksBench(
  Number(process.argv[2] ?? 1000),
  Number(process.argv[3] ?? 200),
  cpuMs,
);
for (const line of lines) console.log(line);
