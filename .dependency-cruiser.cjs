// The import layering of src/ and infra/, checked by `npm run check` (npm run check:imports).
// Dependencies point one way, from the edge to the core:
//   worker.ts -> api/ -> objects/ -> run/, live/ -> jobs/ -> planner/, engine/, clients/ -> errors.ts
// (infra/ may use src/clients/contracts and src/errors.ts only). See docs/architecture.md.
// Violations already on main when a rule arrived are listed in
// .dependency-cruiser-known-violations.json (`npx depcruise-baseline src infra --config
// .dependency-cruiser.cjs` rewrites it); the check fails on any new one. Shrink that list, never grow it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "No import cycles anywhere in src/ and infra/ (type-only imports included).",
      from: {},
      to: { circular: true },
    },
    {
      name: "nothing-imports-the-worker",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/worker\\.ts$" },
      to: { path: "^src/worker\\.ts$" },
    },
    {
      name: "api-is-the-edge",
      severity: "error",
      comment: "Only the worker imports the HTTP edge.",
      from: { path: "^src/", pathNot: "^src/(api/|worker\\.ts$)" },
      to: { path: "^src/api/" },
    },
    {
      name: "objects-are-above-the-core",
      severity: "error",
      comment: "Nothing below src/objects/ imports src/objects/ (the api may name their types).",
      from: { path: "^src/", pathNot: "^src/(api/|objects/|worker\\.ts$)" },
      to: { path: "^src/objects/" },
    },
    {
      name: "run-and-live-are-side-by-side",
      severity: "error",
      comment: "The run room and the live room do not know each other; the job object joins them.",
      from: { path: "^src/(run|live)/" },
      to: { path: "^src/(run|live)/", pathNot: "^src/$1/" },
    },
    {
      name: "the-record-is-below-the-run",
      severity: "error",
      comment: "The record room (src/jobs) never imports the run room, the live room or above.",
      from: { path: "^src/jobs/" },
      to: { path: "^src/(run|live|objects|api)/" },
    },
    {
      name: "libraries-are-the-bottom",
      severity: "error",
      comment:
        "planner, engine, engines and clients know nothing of jobs, runs, objects or the edge.",
      from: { path: "^src/(planner|engine|engines|clients)/" },
      to: { path: "^src/(jobs|run|live|objects|api)/" },
    },
    {
      name: "infra-uses-contracts-only",
      severity: "error",
      comment: "The local platform services share only the wire contracts and AppError with src/.",
      from: { path: "^infra/" },
      to: { path: "^src/", pathNot: "^src/(clients/contracts/|errors\\.ts$)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)node_modules/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
    builtInModules: { add: ["cloudflare:workers", "cloudflare:test"] },
  },
};
