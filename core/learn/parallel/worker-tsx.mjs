// Entry of an engine worker when the engine runs from TypeScript (the CLI through tsx, vitest): a worker thread
// does not inherit the loader hooks its parent registered, so it registers tsx's itself. The bundled app starts
// the bundled worker instead (see `workerEntry` in pool.ts).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
