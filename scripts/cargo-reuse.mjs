// Checks that `cargo test` reused everything the app build compiled (docs/testing.md, "CI
// pipeline"). Arguments: two files of `cargo ... --message-format=json` output, the app build's
// first, then `cargo test --no-run`'s. Every unit of the app build (a crate compiled with one
// profile and one feature set, named by its artifact's hashed file name) must be among the test
// build's units, except the app's own binaries, which cargo test does not build. A unit missing
// from the test build was replaced by another build of the same crate: its features differ
// between the two (a dev-dependency turning a feature on, typically), and so do those of every
// crate depending on it. Prints the missing units; exits 1 if there are any.
import { readFileSync } from 'node:fs';

/** The compiler-artifact messages of one cargo run. */
function artifacts(path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((msg) => msg.reason === 'compiler-artifact');
}

const [appPath, testPath] = process.argv.slice(2);
const testFiles = new Set(artifacts(testPath).flatMap((a) => a.filenames));
const missing = artifacts(appPath).filter(
  (a) => !a.target.kind.includes('bin') && !a.filenames.some((f) => testFiles.has(f)),
);
for (const a of missing) {
  console.log(
    `not reused: ${a.package_id} (${a.target.kind.join(',')} ${a.target.name}) [${a.features.join(',')}]`,
  );
}
process.exit(missing.length > 0 ? 1 : 0);
