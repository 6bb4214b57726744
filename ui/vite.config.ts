import { defineConfig } from "vite";
import { svelte, vitePreprocess } from "@sveltejs/vite-plugin-svelte";

// The window loads ui/dist from the app bundle; no dev server, no remote content.
export default defineConfig({
  plugins: [svelte({ preprocess: vitePreprocess() })],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false },
  clearScreen: false,
});
