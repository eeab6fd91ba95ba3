import { realPostgres } from './backends.ts';
import { authSuite } from './suites/auth.suite.ts';
import { authzSuite } from './suites/authz.suite.ts';

authSuite(realPostgres);
authzSuite(realPostgres);
