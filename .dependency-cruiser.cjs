/**
 * The architecture, checked by `npm run lint` (dependency-cruiser). core/ is layered bottom-up:
 *   base < shared < io < learn < jobs < app | cli
 * and inside learn: kernels < backend < models < patchgd < parallel < runner < grading;
 * inside io: slide < dataset < store | demo | ultramnist. A module may import its own folder and the layers
 * below it, never one above (core/README.md says why each sits where it does). The renderer sees core only
 * through `#shared` (core/shared/index.ts); core never imports Electron or the renderer.
 */
const CORE_LAYERS = ['base', 'shared', 'io', 'learn', 'jobs', ['app', 'cli']];
const LEARN_LAYERS = ['kernels', 'backend', 'models', 'patchgd', 'parallel', 'runner', 'grading'];
const IO_LAYERS = ['slide', 'dataset', ['store', 'demo', 'ultramnist', 'masks']];

/** One rule per layer: from a layer, nothing in the same stack that sits higher (or beside it, for siblings). */
function layerRules(prefix, layers) {
  const rules = [];
  layers.forEach((layer, i) => {
    const own = [layer].flat();
    const above = layers.slice(i + 1).flat();
    for (const name of own) {
      const siblings = own.filter((other) => other !== name);
      const forbidden = [...above, ...siblings];
      if (forbidden.length === 0) continue;
      rules.push({
        name: `layer-${prefix.replace(/\W+/g, '-')}${name}`,
        comment: `${prefix}${name} may not import from ${forbidden.map((f) => prefix + f).join(', ')} (higher or sibling layers)`,
        severity: 'error',
        from: { path: `^${prefix}${name}/` },
        to: { path: `^${prefix}(${forbidden.join('|')})/` },
      });
    }
  });
  return rules;
}

module.exports = {
  forbidden: [
    ...layerRules('core/', CORE_LAYERS),
    ...layerRules('core/learn/', LEARN_LAYERS),
    ...layerRules('core/io/', IO_LAYERS),
    {
      name: 'no-circular',
      comment: 'Import cycles hide the direction of dependencies.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'resolvable',
      comment: 'An import the checker cannot resolve could hide any of the violations above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'core-without-electron',
      comment: 'core/ is plain TypeScript that runs in Node, the engine process and tests: no Electron.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '(^electron/|^renderer/|node_modules/electron/)' },
    },
    {
      name: 'shared-is-portable',
      comment:
        'core/shared is bundled into the renderer: no TensorFlow.js, no Node built-ins, no native modules.',
      severity: 'error',
      from: { path: '^core/shared/' },
      to: { path: '(@tensorflow|sharp|better-sqlite3|geotiff)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'shared-without-node',
      comment: 'core/shared is bundled into the renderer: no Node built-ins.',
      severity: 'error',
      from: { path: '^core/shared/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'renderer-through-shared',
      comment: 'The renderer talks to core only through the contract module core/shared/index.ts (#shared).',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^core/', pathNot: '^core/shared/index\\.ts$' },
    },
    {
      name: 'renderer-without-node',
      comment: 'The renderer runs in a sandboxed page: no Node built-ins, no Electron.',
      severity: 'error',
      from: { path: '^renderer/src/' },
      to: { dependencyTypes: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|out|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.svelte', '.json'],
    },
  },
};
