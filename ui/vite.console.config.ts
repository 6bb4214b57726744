import { defineConfig } from "vite";
import { svelte, vitePreprocess } from "@sveltejs/vite-plugin-svelte";

// The head-office console: served by central at /console from console-dist, which
// the rustok-central binary embeds at build time. No remote content (strict CSP).
export default defineConfig({
  plugins: [svelte({ preprocess: vitePreprocess() })],
  base: "/console/",
  build: {
    outDir: "console-dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    rollupOptions: { input: "console.html" },
  },
  clearScreen: false,
});
