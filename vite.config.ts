// Builds the renderer (src-renderer/) into dist/renderer: the same files serve the Electron window
// and `sd-nearby serve --ui`. `base: './'` keeps every URL relative, so the page works from a
// file:// URL (Electron) and from any HTTP path.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // Icons stay files (img-src 'self'), never data: URIs, so a strict CSP in either shell holds.
    assetsInlineLimit: 0,
    target: 'es2022',
    reportCompressedSize: false,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod's sources carry comments Rollup cannot place; harmless, and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION' && (warning.id ?? '').includes('node_modules/zod')) return;
        warn(warning);
      },
    },
  },
  server: {
    // Icons live in assets/ beside src-renderer/.
    fs: { allow: ['..'] },
  },
});
