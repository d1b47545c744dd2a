// @ts-check
/**
 * Architecture rules for src/, checked by dependency-cruiser (`npm run lint:arch`, and test/architecture.test.ts
 * inside `npm test`). Edit the three tables below (LAYERS, SAME_LAYER_ALLOWED, NODE_FREE); the rules are generated
 * from them.
 *
 * Parser: TypeScript 7 (this project's compiler) has no JavaScript compiler API and dependency-cruiser 17 accepts
 * typescript >=2 <7 only, so sources are parsed with swc (`@swc/core`, a dev dependency). swc keeps `import type`
 * in the syntax tree, so type-only imports count like any other (what `tsPreCompilationDeps: true` does with tsc).
 * tsconfig.json is not read (it would need the TypeScript API; the project has no `paths` to resolve anyway).
 */

/** Escapes a literal path for use in a regular expression. */
const literal = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The layers of src/, top first. A module may import modules of lower layers only (never upwards). Groups within
 * one layer may not import each other, except for the directions in SAME_LAYER_ALLOWED. A group is a folder
 * ('train/') or a root file ('config.ts'), relative to src/.
 */
const LAYERS = [
  /* 1 */ ['cli/', 'studio/', 'index.ts', 'browser/'], // the commands, the studio server, the library's entry points
  /* 2 */ ['inference/'], // a trained run's generator: sampling, applying to files, exporting, its weights for pages
  /* 3 */ ['train/'], // the training loop, its plug-ins and parts
  /* 4 */ ['image2image/'], // pix2pix tasks: pairs, held-out data and scores
  /* 5 */ ['metrics/'], // FID, KID, IS, precision/recall, image quality
  /* 6 */ ['config.ts', 'options.ts', 'defaults.ts'], // a run's config; the option and preset tables; folder defaults
  /* 7 */ ['data/', 'io/', 'networks/', 'backend/', 'losses.ts'], // data sets, files, network families, backends, losses
  /* 8 */ ['errors.ts', 'util/'], // the user-error types; leaf helpers (random numbers, pixels)
];

/**
 * Allowed imports between groups of one layer, as [from, to]. Layer 5's directions are the ones the code had when
 * these rules were written (data → io → networks: acyclic); add one only if it keeps the layer acyclic.
 */
const SAME_LAYER_ALLOWED = [
  ['cli/', 'studio/'], // `gantry studio` starts the server; the studio never imports the CLI
  ['data/', 'io/'], // data/folder.ts reads files through io/files.ts
  ['io/', 'networks/'], // io/export.ts writes a network as a TensorFlow.js model
  ['config.ts', 'options.ts'], // resolving a config reads the option table
  ['defaults.ts', 'config.ts'], // folder defaults are config fields
];

/**
 * Modules that must load without Node (the studio's page bundles them, and its checkpoint reader loads config
 * without the wasm backend, the native libraries or sharp): they may import, statically, only each other and
 * TensorFlow.js's core packages. Dynamic imports (a data set's loader, called on use) are
 * exempt. The swc parser does not mark type-only imports, so a module that needs types from Node-side modules
 * (src/train/metrics_log.ts) is not listed; the studio's bundle (esbuild, platform browser) guards it instead. Regular
 * expressions over paths relative to the repository root.
 */
const NODE_FREE = [
  '^src/config\\.ts$',
  '^src/options\\.ts$',
  '^src/errors\\.ts$',
  '^src/losses\\.ts$',
  '^src/networks/',
  '^src/browser/', // gantry/web: bundled into any page
  '^src/inference/generator_weights\\.ts$',
  '^src/image2image/(apply|degrade|masks|task|tiling)\\.ts$',
  '^src/backend/choices\\.ts$',
  '^src/data/(registry|set|dataset|errors)\\.ts$',
  '^src/data/sets/',
  '^src/util/',
];
/** The packages node-free modules may import. */
const BROWSER_PACKAGES = ['(^|/)node_modules/@tensorflow/tfjs(-core|-layers|-converter|-data|-backend-cpu|-backend-webgl)?/'];


// ---------------------------------------------------------------------------------------------------------------

const TOP = ['cli/', 'studio/']; // guarded by their own rule, lower-layer-imports-cli-or-studio
const groupPath = (g) => `^src/${literal(g)}${g.endsWith('/') ? '' : '$'}`;
const anyOf = (groups) => groups.map(groupPath);

/** One rule per group: no imports of groups in higher layers (cli/ and studio/ have their own rule). */
const upwardRules = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(0, i).flat().filter((g) => !TOP.includes(g));
  if (above.length === 0) return [];
  return layer.map((group) => ({
    name: `no-upward-import-${group.replace(/\/$/, '').replace(/\.ts$/, '')}`,
    comment: `src/${group} (layer ${i + 1}) may import lower layers only, not ${above.map((g) => `src/${g}`).join(', ')}`,
    severity: 'error',
    from: { path: groupPath(group) },
    to: { path: anyOf(above) },
  }));
});

/** One rule per group: no imports of other groups of its own layer, except SAME_LAYER_ALLOWED. */
const sameLayerRules = LAYERS.flatMap((layer, i) =>
  layer.flatMap((group) => {
    const others = layer.filter(
      (g) => g !== group && !SAME_LAYER_ALLOWED.some(([a, b]) => a === group && b === g) && !(TOP.includes(g) && !TOP.includes(group)),
    );
    if (others.length === 0) return [];
    return [
      {
        name: `no-same-layer-import-${group.replace(/\/$/, '').replace(/\.ts$/, '')}`,
        comment: `src/${group} may not import ${others.map((g) => `src/${g}`).join(', ')} (same layer ${i + 1})`,
        severity: 'error',
        from: { path: groupPath(group) },
        to: { path: anyOf(others) },
      },
    ];
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles between modules (type-only imports included).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lower-layer-imports-cli-or-studio',
      comment: 'src/cli/ and src/studio/ are the top layer: nothing else in src/ (index.ts included) may import them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|studio)/' },
      to: { path: '^src/(cli|studio)/' },
    },
    ...upwardRules,
    ...sameLayerRules,
    {
      name: 'module-not-in-a-layer',
      comment: 'Every module under src/ belongs to a layer: add new folders or root files to LAYERS.',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(LAYERS.flat()) },
      to: {},
    },
    {
      name: 'node-free-core',
      comment: 'NODE_FREE modules load without Node: they statically import only each other and TensorFlow.js.',
      severity: 'error',
      from: { path: NODE_FREE },
      to: { pathNot: [...NODE_FREE, ...BROWSER_PACKAGES], dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'src-not-to-test-web-bench-scripts',
      comment: 'The library does not depend on its tests, the studio front end, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|web|bench|scripts)/' },
    },
  ],
  options: {
    parser: 'swc', // see the header: TypeScript 7 has no compiler API for dependency-cruiser
    tsPreCompilationDeps: true, // with swc, type-only imports are always seen; kept for intent
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    cache: false,
  },
};
