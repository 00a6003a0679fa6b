// The layer map, enforced (`npm test` runs it; docs/architecture.md explains it). A folder is a
// room: what a file may import follows from the folder it is in. Type-only imports are allowed
// where noted, since they vanish at build time.
/** @type {import('dependency-cruiser').IConfiguration} */

const PRODUCTION = '^(core|sequences|workflows|activities|channels|db|api|workers|app|cli)/';

module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing-of-ours',
      comment: 'core/ is the pure domain: it imports only core/ (and zod, @js-joda), never I/O, Temporal or another room.',
      severity: 'error',
      from: { path: '^core/' },
      to: { pathNot: ['^core/', '^node_modules/(zod|@js-joda)/'] },
    },
    {
      name: 'sequences-are-data',
      comment: "sequences/ is what a marketer edits: the DSL, the library, its templates; it builds on core/ only.",
      severity: 'error',
      from: { path: '^sequences/' },
      to: { pathNot: ['^core/', '^sequences/', '^node_modules/zod/', '^(path|crypto)$'] },
    },
    {
      name: 'workflows-are-sandboxed',
      comment: 'workflows/ runs in the sandbox: core/, its own contracts and the Temporal workflow packages; activities by their types only.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: {
        pathNot: ['^core/', '^workflows/', '^node_modules/(@temporalio/(workflow|common)|zod|@js-joda)/', '^activities/types\\.ts$'],
      },
    },
    {
      name: 'workflows-use-activity-types-only',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'], pathNot: '^activities/types\\.ts$' },
    },
    {
      name: 'activities-are-adapters',
      comment: 'activities/ adapt repositories and channels to Temporal.',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: '^(sequences|workflows|api|workers|app|devstack|cli|scripts|bench|test)/' },
    },
    {
      name: 'channels-know-no-temporal',
      comment: 'channels/ are the providers, links and tokens, on core/ and db/, without Temporal.',
      severity: 'error',
      from: { path: '^channels/' },
      to: { path: ['^(sequences|workflows|activities|api|workers|app|devstack|cli|scripts|bench|test)/', '^node_modules/@temporalio/'] },
    },
    {
      name: 'db-is-the-bottom',
      comment: 'db/ holds migrations, the pool and the repositories; it reads core/ types and nothing above it.',
      severity: 'error',
      from: { path: '^db/' },
      to: { path: '^(sequences|workflows|activities|channels|api|workers|app|devstack|cli|scripts|bench|test)/' },
    },
    {
      name: 'api-is-the-edge',
      comment: 'api/ uses core/, db/, channels/ and the workflow contracts; the workflow code itself by its type only.',
      severity: 'error',
      from: { path: '^api/' },
      to: { path: '^(sequences|activities|workers|app|devstack|cli|scripts|bench|test)/' },
    },
    {
      name: 'api-reaches-workflows-through-contracts',
      severity: 'error',
      from: { path: '^api/' },
      to: { path: '^workflows/', pathNot: '^workflows/(contract|correlation)\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workers-below-the-composition-root',
      comment: 'workers/ build worker options from their dependencies; the composition root (app/) and the commands sit above them.',
      severity: 'error',
      from: { path: '^workers/' },
      to: { path: '^(api|app|devstack|cli|scripts|bench|test)/' },
    },
    {
      name: 'app-is-production',
      comment: 'app/ composes the production processes: no commands, dev stack, scripts, benchmarks or tests.',
      severity: 'error',
      from: { path: '^app/' },
      to: { path: '^(devstack|cli|scripts|bench|test)/' },
    },
    {
      name: 'devstack-only-when-its-commands-run',
      comment: 'Production processes never load devstack/: the CLI imports it lazily, in the commands that need it.',
      severity: 'error',
      from: { path: PRODUCTION },
      to: { path: '^devstack/', dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'nothing-imports-the-cli-or-tests',
      comment: 'cli/ and test/ are entry points; only tests import the CLI, and nothing imports tests.',
      severity: 'error',
      from: { pathNot: '^(cli|test)/' },
      to: { path: '^(cli|test)/' },
    },
    {
      name: 'production-loads-no-dev-dependency',
      comment: 'Test-only packages (devDependencies) never load in a production process: the image installs without them.',
      severity: 'error',
      from: { path: PRODUCTION },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'scripts-are-build-steps',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^(api|app|devstack|cli|bench|test)/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable-imports',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist', '^\\.tools', '^\\.data', '^test/replay/histories'] },
    tsPreCompilationDeps: true,
    preserveSymlinks: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
