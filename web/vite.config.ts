import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// One build for every page the service serves: the console and the SMART app share the toolchain,
// the clinical core (imported from src/core) and the hashed assets folder.
export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  build: {
    outDir: resolve(here, '../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    rollupOptions: {
      input: {
        console: resolve(here, 'console/index.html'),
        smart: resolve(here, 'smart/index.html'),
        'smart-launch': resolve(here, 'smart/launch.html'),
      },
    },
  },
});
