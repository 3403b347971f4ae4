import { z } from 'zod';

// The page's CSP forbids eval. Zod probes `new Function` when an object schema is built, unless jitless is set
// first: this module is main.ts's first import, so it runs before any schema module does.
z.config({ jitless: true });
