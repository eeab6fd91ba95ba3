import { realPostgres } from './backends.ts';
import { mergeSuite } from './suites/merge.suite.ts';

mergeSuite(realPostgres);
