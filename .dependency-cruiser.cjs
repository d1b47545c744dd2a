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
const { builtinModules } = require('node:module');

/** Escapes a literal path for use in a regular expression. */
const literal = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The layers of src/, top first. A module may import modules of lower layers only (never upwards). Groups within
 * one layer may not import each other, except for the directions in SAME_LAYER_ALLOWED. A group is a folder
 * ('train/') or a root file ('config.ts'), relative to src/.
 */
const LAYERS = [
  /* 1 */ ['cli/', 'studio/', 'index.ts'], // the commands, the studio server, the library's entry point
  /* 2 */ ['train/'], // the training loop and its parts
  /* 3 */ ['image2image/'], // pix2pix tasks, training and tiled application
  /* 4 */ ['metrics/'], // FID, KID, IS, precision/recall, image quality
  /* 5 */ ['data/', 'io/', 'networks/', 'backend/'], // data sets, files and checkpoints, networks, backends
  /* 6 */ ['config.ts', 'losses.ts', 'errors.ts'], // configuration, losses, the user-error type
  /* 7 */ ['util/'], // leaf helpers (random numbers)
];

/**
 * Allowed imports between groups of one layer, as [from, to]. Layer 5's directions are the ones the code had when
 * these rules were written (data → io → networks: acyclic); add one only if it keeps the layer acyclic.
 */
const SAME_LAYER_ALLOWED = [
  ['cli/', 'studio/'], // `gantry studio` starts the server; the studio never imports the CLI
  ['data/', 'io/'], // data/folder.ts reads files through io/files.ts
  ['io/', 'networks/'], // io/export.ts writes a network as a TensorFlow.js model
  ['config.ts', 'losses.ts'], // the configuration names the loss functions
  ['config.ts', 'errors.ts'], // configuration checks throw the user-error type
  ['losses.ts', 'errors.ts'],
];

/**
 * Modules that must run in a browser (the studio's playground bundles them): they must not reach, directly or
 * through other modules, Node's core modules, native addons or Node-only packages. '@tensorflow/tfjs' is allowed.
 * Regular expressions over paths relative to the repository root.
 */
const NODE_FREE = [
  '^src/config\\.ts$',
  '^src/networks/',
];

/** What a node-free module must not reach: Node core modules (with or without `node:`), addons, Node-only packages. */
const NODE_ONLY = [
  `^(node:)?(${builtinModules.filter((m) => !m.startsWith('_')).map(literal).join('|')})$`,
  '^node:', // core modules only available with the prefix (node:test, node:sqlite)
  '\\.node$', // native addons
  // Node-only packages, installed (…node_modules/sharp/…) or unresolved (a bare 'sharp')
  '(^|/)node_modules/(sharp|@tensorflow/tfjs-backend-wasm|@tensorflow/tfjs-node(-gpu)?|onnxruntime-node)/',
  '^(sharp|@tensorflow/tfjs-backend-wasm|@tensorflow/tfjs-node(-gpu)?|onnxruntime-node)(/|$)',
];

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
      comment: 'NODE_FREE modules run in the browser: they must not reach Node core modules, addons or Node-only packages.',
      severity: 'error',
      from: { path: NODE_FREE },
      to: { path: NODE_ONLY, reachable: true },
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
