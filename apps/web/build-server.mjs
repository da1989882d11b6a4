// Bundles the custom server (server.ts and the workspace packages it imports) into dist/server.js.
// npm packages stay external and load from node_modules.
import { build } from "esbuild";

const workspaceOnly = {
  name: "workspace-only",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@labfleet/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: ["server.ts"],
  outfile: "dist/server.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  plugins: [workspaceOnly],
  logLevel: "warning",
});
