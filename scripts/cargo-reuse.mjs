// Checks that `cargo test` compiled nothing the app build had already compiled (docs/testing.md,
// "CI pipeline"). Arguments: two files of `cargo ... --message-format=json` output, the app build's
// first, then `cargo test --no-run`'s. A unit that cargo test compiled (not "fresh") although the
// app build has the same package and target at the same optimisation level was compiled twice:
// its features differ between the two (a dev-dependency turning a feature on, typically). Test
// harnesses (profile.test) exist only under cargo test and are not counted. Exits 1 if any.
import { readFileSync } from 'node:fs';

/** The compiler-artifact messages of one cargo run. */
function artifacts(path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((msg) => msg.reason === 'compiler-artifact');
}

const unitKey = (a) =>
  [a.package_id, a.target.kind.join(','), a.target.name, a.profile.opt_level].join(' | ');

const [appPath, testPath] = process.argv.slice(2);
const appUnits = new Set(artifacts(appPath).map(unitKey));
const again = artifacts(testPath).filter(
  (a) => !a.fresh && !a.profile.test && appUnits.has(unitKey(a)),
);
for (const a of again)
  console.log(`compiled again: ${a.package_id} (${a.target.kind.join(',')} ${a.target.name})`);
process.exit(again.length > 0 ? 1 : 0);
