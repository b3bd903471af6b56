import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The console: built into web/dist, which the api serves at `/` with SPA fallback. */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development, against a running `pgfleet demo`.
    proxy: { '/api': process.env.PGFLEET_API ?? 'http://127.0.0.1:8080' },
  },
});
