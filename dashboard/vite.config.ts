/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const CHART_DEPS =
  /\/node_modules\/(recharts|victory-vendor|d3-[a-z-]+|@reduxjs|redux|redux-thunk|react-redux|reselect|immer|decimal\.js-light|es-toolkit|eventemitter3|internmap|tiny-invariant)\//;

// The gateway serves dist/ at "/" and routes /api/v1/* to the services.
// In `npm run dev`, /api is proxied to a gateway on the default port.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      output: {
        // Split stable vendor code from app code so app releases keep vendor chunks cached.
        manualChunks(id) {
          if (!id.includes('/node_modules/')) return undefined;
          // The world map's shapes and projection load with the Countries panel's map.
          if (/\/node_modules\/(world-atlas|topojson-client|d3-geo)\//.test(id)) return 'map';
          // The chart library and its dependencies load with the dashboard's chart, not up front.
          if (CHART_DEPS.test(id)) return 'charts';
          if (/\/node_modules\/(react|react-dom|scheduler|react-router|react-router-dom)\//.test(id)) return 'react';
          if (id.includes('/node_modules/@mantine/')) return 'mantine';
          if (id.includes('/node_modules/@tanstack/')) return 'query';
          return 'vendor';
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8000',
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
