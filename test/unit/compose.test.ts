// docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so they are checked as
// files: well-formed, pinned, wired in order, running real `nurture` subcommands, and setting only
// variables the engine reads, which are taken from the config schemas themselves.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { configSchema, deliveryConfig, parseConfig, requiredSecrets, requiredServers } from '../../app/config';
import { HISTORY_SHARDS, TEMPORAL_DATABASES, TEMPORAL_SERVER_RELEASE, TEMPORAL_SERVICES } from '../../scripts/temporalTopology';
import { LEAD_SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';

const root = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const missing = (what: string): never => {
  throw new Error(`missing: ${what}`);
};

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test: string[] };
}

const document = parseDocument(read('docker-compose.yml'), { merge: true });
const services = (document.toJS() as { services: Record<string, Service> }).services;
const service = (name: string) => services[name] ?? missing(`service ${name}`);

/** The variables an engine service reads: one config for every `nurture` subcommand. */
const readBy: Record<string, string[]> = {
  api: Object.keys(configSchema.shape),
  worker: Object.keys(configSchema.shape),
};

/** Compose's interpolation: `${NAME}`, `${NAME:-default}`, `${NAME:?error}` (empty counts as unset), `$$` for `$`. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}/g, (match, name: string, operator?: string, argument?: string) => {
    if (match === '$$') return '$';
    if (env[name]) return env[name];
    if (operator === '?') throw new Error(`${name}: ${argument}`);
    return operator === '-' ? (argument ?? '') : '';
  });
}

/** The settings compose requires, as docs/deployment.md's `.env` example gives them. */
const dotEnv = {
  POSTGRES_PASSWORD: 'pg-secret-0123456789',
  NURTURE_API_KEY: 'nk_admin_0123456789abcdef',
  NURTURE_LINK_SECRET: 'link-secret-0123456789abcdef',
  NURTURE_ERASURE_SECRET: 'erasure-secret-0123456789abcdef',
  NURTURE_SENDER_ADDRESS: '1 Main St, Springfield',
  NURTURE_OFFERS: 'guide=https://example.com/guide.pdf',
};

function environmentOf(name: string, env: Record<string, string> = dotEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([key, value]) => [key, interpolate(String(value ?? ''), env)]));
}

const commandOf = (name: string) => [service(name).command ?? []].flat();

/** Runs the CLI the way the image does; a real subcommand prints its own usage. */
async function isNurtureSubcommand(bin: string, subcommand: string): Promise<boolean> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, bin), subcommand, '--help'], { cwd: root });
  return stdout.startsWith(`Usage: nurture ${subcommand} `);
}

const packageJson = JSON.parse(read('package.json')) as { bin: { nurture: string } };
const dockerfile = read('Dockerfile');
/** A Dockerfile instruction in its JSON (exec) form. */
const instruction = (name: string): string[] => JSON.parse(new RegExp(`^${name} (.+)$`, 'm').exec(dockerfile)?.[1] ?? missing(`${name} in the Dockerfile`));

describe('the Dockerfile', () => {
  it('installs without devDependencies and runs a workflow bundle built at build time', () => {
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^RUN npm run build:workflows$/m);
    expect(dockerfile).toMatch(/^ENV NURTURE_WORKFLOW_BUNDLE=\/app\/dist\/workflow-bundle\.js$/m);
    expect(Object.keys(configSchema.shape)).toContain('NURTURE_WORKFLOW_BUNDLE');
  });
});

describe('docker-compose.yml', () => {
  it('is well-formed YAML holding the whole stack', () => {
    expect(document.errors).toEqual([]);
    const temporal = TEMPORAL_SERVICES.map((name) => `temporal-${name}`);
    expect(Object.keys(services).sort()).toEqual(['api', 'mailpit', 'postgres', ...temporal, 'temporal-namespace', 'temporal-postgres', 'temporal-schema', 'temporal-ui', 'worker'].sort());
  });

  it('pins every image to a version, and builds the engine from the Dockerfile at the root', () => {
    for (const [name, { image, build }] of Object.entries(services)) {
      if (build === undefined) {
        expect([name, image]).toEqual([name, expect.stringMatching(/^[\w./-]+:v?\d+(\.\d+)+(-[\w.-]+)?$/)]);
        continue;
      }
      const { context = '.', dockerfile: file = 'Dockerfile' } = typeof build === 'string' ? { context: build } : build;
      expect([name, path.resolve(root, context, file)]).toEqual([name, path.join(root, 'Dockerfile')]);
    }
  });

  it('starts each service once what it needs is healthy (by its own check) or finished', () => {
    for (const [name, { depends_on: dependsOn = {} }] of Object.entries(services)) {
      const conditions: Record<string, { condition?: string }> = Array.isArray(dependsOn) ? Object.fromEntries(dependsOn.map((dependency) => [dependency, {}])) : dependsOn;
      for (const [dependency, { condition = 'service_started' }] of Object.entries(conditions)) {
        const target = service(dependency);
        if (condition === 'service_healthy') expect([name, dependency, target.healthcheck?.test]).toEqual([name, dependency, expect.any(Array)]);
        else expect([name, dependency, condition]).toEqual([name, dependency, 'service_completed_successfully']);
      }
    }
    for (const engine of ['api', 'worker']) {
      expect(service(engine).depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, 'temporal-namespace': { condition: 'service_completed_successfully' } });
    }
  });

  it('runs real nurture subcommands through the image', async () => {
    const [entrypoint, ...arguments_] = instruction('ENTRYPOINT');
    expect([entrypoint, arguments_]).toEqual(['node', [packageJson.bin.nurture]]);
    const subcommands = [...new Set([...instruction('CMD'), ...commandOf('api'), ...commandOf('worker')])];
    expect(subcommands).toEqual(expect.arrayContaining(['api', 'worker']));
    const checked = await Promise.all(subcommands.map(async (subcommand) => [subcommand, await isNurtureSubcommand(packageJson.bin.nurture, subcommand)]));
    expect(checked).toEqual(subcommands.map((subcommand) => [subcommand, true]));
  });

  it.each(Object.keys(readBy))('sets only variables `nurture %s` reads', (name) => {
    const unread = Object.keys(service(name).environment ?? {}).filter((variable) => !readBy[name]!.includes(variable));
    expect(unread).toEqual([]);
  });

  it('wires the engine to the stack with values its own validation accepts', () => {
    const api = parseConfig(environmentOf('api'));
    expect(requiredServers(api)).toEqual({ databaseUrl: `postgres://nurture:${dotEnv.POSTGRES_PASSWORD}@postgres:5432/nurture`, temporalAddress: 'temporal-frontend:7233' });
    expect(requiredSecrets(api)).toEqual({ apiKey: dotEnv.NURTURE_API_KEY, linkSecret: dotEnv.NURTURE_LINK_SECRET, erasureSecret: dotEnv.NURTURE_ERASURE_SECRET });
    expect(api).toMatchObject({ HOST: '0.0.0.0', PORT: 3000 });
    // The namespace the setup creates is the one the engine uses.
    expect(commandOf('temporal-namespace').join('\n')).toContain(`namespace create -n ${api.TEMPORAL_NAMESPACE}`);

    const worker = environmentOf('worker');
    expect(requiredServers(parseConfig(worker))).toEqual(requiredServers(api));
    expect(deliveryConfig(parseConfig(worker)).email).toMatchObject({ smtpUrl: 'smtp://mailpit:1025' });
  });

  it('holds no secret, and refuses to start without each required setting', () => {
    const named = (variable: string) => /SECRET|KEY|TOKEN|PASSWORD/.test(variable);
    for (const name of ['api', 'worker']) {
      for (const [variable, value] of Object.entries(service(name).environment ?? {}).filter(([variable]) => named(variable))) {
        expect([variable, value]).toEqual([variable, expect.stringMatching(new RegExp(`^\\$\\{${variable}(:[-?][^}]*)?\\}$`))]);
      }
    }
    const text = read('docker-compose.yml');
    for (const variable of Object.keys(dotEnv)) {
      const { [variable]: _unset, ...others } = dotEnv as Record<string, string>;
      expect(() => interpolate(text, others)).toThrow(variable);
    }
  });

  it('runs the cluster `NURTURE_TEMPORAL=cluster npm start` runs: its release, one container per service, its shards and databases', () => {
    for (const name of TEMPORAL_SERVICES) {
      const { image, environment = {} } = service(`temporal-${name}`);
      expect([name, image, environment.SERVICES, environment.NUM_HISTORY_SHARDS]).toEqual([name, `temporalio/server:${TEMPORAL_SERVER_RELEASE}`, name, String(HISTORY_SHARDS)]);
    }
    // The schema tool and CLI of the same release.
    for (const name of ['temporal-schema', 'temporal-namespace']) expect(service(name).image).toMatch(new RegExp(`^temporalio/admin-tools:${TEMPORAL_SERVER_RELEASE.replace(/\./g, '\\.')}(-|$)`));
    const schema = commandOf('temporal-schema').join('\n');
    expect([...schema.matchAll(/^\s*setup (\S+) (\S+)$/gm)].map(([, database, store]) => [store, database])).toEqual([['temporal', TEMPORAL_DATABASES.default], ['visibility', TEMPORAL_DATABASES.visibility]]);
  });

  it('registers the search attributes lead workflows set, with their types', () => {
    const created = [...commandOf('temporal-namespace').join('\n').matchAll(/--name (\S+) --type (\S+)/g)].map(([, name, type]) => [name, type!.toUpperCase()]);
    const needed = LEAD_SEARCH_ATTRIBUTES.map((key) => [key.name, key.type.replace('_', '')]);
    expect(created.sort()).toEqual(needed.sort());
  });
});

describe('the image', () => {
  it('holds every source folder the type-check covers but the dev stack, tests and benchmarks, which it leaves out', () => {
    const included = read('.dockerignore').split('\n').filter((line) => line.startsWith('!')).map((line) => line.slice(1));
    const notShipped = ['devstack', 'test', 'bench'];
    const sources = (JSON.parse(read('tsconfig.json')) as { include: string[] }).include.filter((folder) => !notShipped.includes(folder));
    expect(included).toEqual(expect.arrayContaining([...sources, 'package.json', 'package-lock.json', 'patches']));
    expect(included.filter((folder) => notShipped.includes(folder))).toEqual([]);
  });
});
