// The layer map, enforced (`npm test` runs it; docs/architecture.md explains it). A folder is a
// room: what a file may import follows from the folder it is in. Type-only imports are allowed
// where noted, since they vanish at build time.
/** @type {import('dependency-cruiser').IConfiguration} */

const PRODUCTION = '^(core|sequences|workflows|activities|channels|db|api|workers|app|cli)/';
const folders = (...names) => `^(${names.join('|')})/`;

/** Rooms that may not import the folders listed: [rule, room, forbidden folders, why]. */
const rooms = [
  ['activities-are-adapters', 'activities', ['sequences', 'workflows', 'api', 'workers', 'app', 'devstack', 'cli', 'scripts', 'bench', 'test'], 'activities/ adapt repositories and channels to Temporal.'],
  ['channels-know-no-temporal', 'channels', ['sequences', 'workflows', 'activities', 'api', 'workers', 'app', 'devstack', 'cli', 'scripts', 'bench', 'test'], 'channels/ are the providers, links and tokens, on core/ and db/.'],
  ['db-is-the-bottom', 'db', ['sequences', 'workflows', 'activities', 'channels', 'api', 'workers', 'app', 'devstack', 'cli', 'scripts', 'bench', 'test'], 'db/ holds migrations, the pool and the repositories; it reads core/ types and nothing above it.'],
  ['api-is-the-edge', 'api', ['sequences', 'activities', 'workers', 'app', 'devstack', 'cli', 'scripts', 'bench', 'test'], 'api/ uses core/, db/, channels/ and the workflow contracts.'],
  ['workers-below-the-composition-root', 'workers', ['api', 'app', 'devstack', 'cli', 'scripts', 'bench', 'test'], 'workers/ build worker options from their dependencies; app/ and the commands sit above them.'],
  ['app-is-production', 'app', ['devstack', 'cli', 'scripts', 'bench', 'test'], 'app/ composes the production processes: no commands, dev stack, scripts, benchmarks or tests.'],
  ['scripts-are-build-steps', 'scripts', ['api', 'app', 'devstack', 'cli', 'bench', 'test'], 'scripts/ provision tools and build the workflow bundle.'],
];

/** Rooms that may import only what is listed (ours and npm's): [rule, room, allowed paths, why]. */
const closedRooms = [
  ['core-imports-nothing-of-ours', 'core', ['^core/', '^node_modules/(zod|@js-joda|@stdlib)/'], 'core/ is the pure domain: no I/O, clock, Temporal or another room.'],
  ['sequences-are-data', 'sequences', ['^core/', '^sequences/', '^node_modules/zod/', '^(path|crypto)$'], 'sequences/ is what a marketer edits, built on core/.'],
  [
    'workflows-are-sandboxed',
    'workflows',
    ['^core/', '^workflows/', '^node_modules/(@temporalio/(workflow|common)|zod|@js-joda)/', '^activities/types\\.ts$'],
    'workflows/ runs in the sandbox: core/, its own contracts and the Temporal workflow packages.',
  ],
];

module.exports = {
  forbidden: [
    ...closedRooms.map(([name, room, allowed, comment]) => ({ name, comment, severity: 'error', from: { path: `^${room}/` }, to: { pathNot: allowed } })),
    ...rooms.map(([name, room, forbidden, comment]) => ({ name, comment, severity: 'error', from: { path: `^${room}/` }, to: { path: folders(...forbidden) } })),
    {
      name: 'workflows-use-activity-types-only',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'], pathNot: '^activities/types\\.ts$' },
    },
    {
      name: 'api-reaches-workflows-through-contracts',
      comment: 'The API signals and queries workflows through their contracts; the workflow code itself only by its type.',
      severity: 'error',
      from: { path: '^api/' },
      to: { path: '^workflows/', pathNot: '^workflows/(contract|correlation)\\.ts$', dependencyTypesNot: ['type-only'] },
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
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    { name: 'no-unresolvable-imports', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist', '^\\.tools', '^\\.data', '^test/replay/histories'] },
    tsPreCompilationDeps: true,
    // The layer test cruises a planted tree whose node_modules links to the project's.
    preserveSymlinks: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.json'] },
  },
};
