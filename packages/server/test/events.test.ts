import { realPostgres } from './backends.ts';
import { sseSuite } from './suites/sse.suite.ts';

sseSuite(realPostgres);
