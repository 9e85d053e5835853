// Imported first by main.tsx, before the contract's schemas are built: zod would otherwise probe
// `new Function` (its JIT), which the page's CSP refuses and reports as a violation. The renderer
// parses nothing heavy; the interpreter is plenty.
import { z } from 'zod';

z.config({ jitless: true });
