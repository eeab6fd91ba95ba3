/** Writes src/precompiled/protocol-checks.ts (`npm run gen:checks -w @ferry/client`). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GENERATED_CHECKS, checksModule } from '../src/node/checks-codegen.ts';
import { responseSchemas } from '../src/response-schemas.ts';

const out = fileURLToPath(new URL(`../${GENERATED_CHECKS}`, import.meta.url));
writeFileSync(out, checksModule(responseSchemas));
console.log(`wrote ${out}`);
