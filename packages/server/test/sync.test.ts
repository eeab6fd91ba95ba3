import { realPostgres } from './backends.ts';
import { syncSuite } from './suites/sync.suite.ts';

syncSuite(realPostgres);
