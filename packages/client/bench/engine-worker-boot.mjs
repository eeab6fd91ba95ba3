// The worker's entry: tsx's loader in this thread, then the TypeScript device (engine-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./engine-worker.ts');
