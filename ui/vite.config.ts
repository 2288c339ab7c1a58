/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Tauri shell serves ../ui/dist; relative asset paths keep the build usable from any origin
// (the shell's custom protocol, `vite preview`, or a file-less static server in tests).
export default defineConfig({
  base: './',
  plugins: [svelte()],
  // The mock backend reads the real master data shipped with the domain crate.
  server: { fs: { allow: ['..'] }, port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 800 },
  test: { include: ['tests/**/*.test.ts'], environment: 'node' },
});
