// Finds or provisions the Temporal binaries (CLI dev server, time-skipping test server, the full
// server and its SQL schema tool) on a machine without internet: an explicit path, then PATH, then a
// cached build under .tools/, then a local build from the Go module proxy or Maven Central, and (for
// the CLI and the test server) only last the SDK's own download.
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { TEMPORAL_SERVER_RELEASE } from './temporalTopology';

/** Provisioned tools are cached here, beside the checkout (gitignored). */
const toolsDir = path.resolve(__dirname, '..', '.tools');

const execFileAsync = promisify(execFile);

/** Later tags carry a `replace` directive that `go install` refuses. */
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEST_SERVER_VERSION = '1.38.0';
/** The full server (`go.temporal.io/server`): this tag's go.mod has no `replace` directive. */
const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
const TEMPORAL_SERVER_VERSION = `v${TEMPORAL_SERVER_RELEASE}`;

/** A tool could not be found or built; the message is one line naming the fix. */
export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

type Log = (line: string) => void;
const stderrLog: Log = (line) => process.stderr.write(`${line}\n`);

export async function resolveTemporalCli(log: Log = stderrLog): Promise<EphemeralServerExecutable> {
  const explicit = await explicitPath('TEMPORAL_CLI_PATH');
  if (explicit) return explicit;
  const onPath = await findOnPath('temporal');
  if (onPath) return { type: 'existing-path', path: onPath };

  const cacheDir = path.join(toolsDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
  const cached = path.join(cacheDir, 'temporal');
  if (await isExecutable(cached)) return { type: 'existing-path', path: cached };

  const go = await findOnPath('go');
  if (go) {
    log(`Building Temporal CLI ${TEMPORAL_CLI_VERSION} with 'go install' into ${cacheDir} (first run only, a few minutes)...`);
    try {
      await buildIntoCache(cacheDir, cached, (staging) => goInstall(go, [`github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], staging));
      return { type: 'existing-path', path: cached };
    } catch (err) {
      log(`'go install' of the Temporal CLI failed: ${errorSummary(err)}; trying the SDK's download.`);
    }
  }
  return sdkDownload;
}

/** The full Temporal server's binary (`server`, started once per service). */
export async function resolveTemporalServer(log: Log = stderrLog): Promise<string> {
  return (await explicitFile('TEMPORAL_SERVER_PATH')) ?? (await provisionServerBuild(log)).server;
}

export interface SqlTool {
  /** The temporal-sql-tool binary (`go.temporal.io/server/cmd/tools/sql`). */
  path: string;
  /** The PostgreSQL schemas: a folder holding `temporal/versioned` and `visibility/versioned`. */
  schemaDir: string;
}

/** The SQL schema tool and the PostgreSQL schema files of the same server version. */
export async function resolveTemporalSqlTool(log: Log = stderrLog): Promise<SqlTool> {
  const [explicit, schemaDir] = await Promise.all([explicitFile('TEMPORAL_SQL_TOOL_PATH'), explicitSchemaDir()]);
  if (explicit && schemaDir) return { path: explicit, schemaDir };
  const built = await provisionServerBuild(log);
  return { path: explicit ?? built.sqlTool, schemaDir: schemaDir ?? built.schemaDir };
}

interface ServerBuild {
  server: string;
  sqlTool: string;
  schemaDir: string;
}

let serverBuild: Promise<ServerBuild> | undefined;

/**
 * `.tools/temporal-server-<version>/`: both binaries and the PostgreSQL schema folder copied out of
 * the module source, so the cache needs nothing else. Built once per process however many ask.
 */
function provisionServerBuild(log: Log): Promise<ServerBuild> {
  serverBuild ??= buildServer(log).catch((err: unknown) => {
    serverBuild = undefined;
    throw err;
  });
  return serverBuild;
}

async function buildServer(log: Log): Promise<ServerBuild> {
  const cacheDir = path.join(toolsDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const build = { server: path.join(cacheDir, 'server'), sqlTool: path.join(cacheDir, 'sql'), schemaDir: path.join(cacheDir, 'schema', 'postgresql', 'v12') };
  const complete = async () => (await isExecutable(build.server)) && (await isExecutable(build.sqlTool)) && (await isSchemaDir(build.schemaDir));
  if (await complete()) return build;

  const go = await findOnPath('go');
  if (!go) throw new MissingToolError(missingToolHints['temporal-server']);
  log(`Building Temporal server ${TEMPORAL_SERVER_VERSION} and temporal-sql-tool with 'go install' into ${cacheDir} (first run only, about 4 minutes on 2 cores)...`);
  try {
    await buildIntoCache(cacheDir, build.server, async (staging) => {
      await goInstall(go, [`${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], staging);
      const { stdout } = await execFileAsync(go, ['env', 'GOMODCACHE']);
      const moduleSchema = path.join(stdout.trim(), `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
      await copyWritable(moduleSchema, path.join(staging, 'schema', 'postgresql', 'v12'));
    });
  } catch (err) {
    throw new MissingToolError(`'go install' of the Temporal server failed: ${errorSummary(err)}. ${missingToolHints['temporal-server']}`);
  }
  if (!(await complete())) throw new MissingToolError(`the Temporal server build in ${cacheDir} is incomplete: remove the folder and try again`);
  return build;
}

export async function resolveTestServer(log: Log = stderrLog): Promise<EphemeralServerExecutable> {
  const explicit = await explicitPath('TEMPORAL_TEST_SERVER_PATH');
  if (explicit) return explicit;

  const cacheDir = path.join(toolsDir, `temporal-test-server-${TEST_SERVER_VERSION}`);
  const wrapper = path.join(cacheDir, 'temporal-test-server');
  if (await isExecutable(wrapper)) return { type: 'existing-path', path: wrapper };

  const [mvn, java] = await Promise.all([findOnPath('mvn'), findOnPath('java')]);
  if (mvn && java) {
    log(`Fetching Temporal test server ${TEST_SERVER_VERSION} from Maven Central into ${cacheDir} (first run only)...`);
    try {
      await buildIntoCache(cacheDir, wrapper, async (staging) => {
        await execFileAsync(
          mvn,
          [
            '-B',
            '-q',
            '-f',
            path.join(__dirname, 'temporal-test-server.pom.xml'),
            `-Dtemporal.version=${TEST_SERVER_VERSION}`,
            'dependency:copy-dependencies',
            `-DoutputDirectory=${path.join(staging, 'lib')}`,
          ],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        // The SDK launches this with `<port> [--enable-time-skipping]` and kills it on teardown; `exec`
        // makes the kill reach the JVM itself.
        const script = [
          '#!/bin/sh',
          `# Temporal time-skipping test server ${TEST_SERVER_VERSION}, generated by scripts/tools.ts.`,
          'here=$(cd "$(dirname "$0")" && pwd)',
          'exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"',
          '',
        ].join('\n');
        await fs.writeFile(path.join(staging, 'temporal-test-server'), script, { mode: 0o755 });
      });
      return { type: 'existing-path', path: wrapper };
    } catch (err) {
      log(`Maven fetch of the Temporal test server failed: ${errorSummary(err)}; trying the SDK's download.`);
    }
  }
  return sdkDownload;
}

/**
 * The SDK's own download, the last resort: it works only where its release host is reachable, and
 * offline it fails fast; explainStartFailure then says what to install or point at instead.
 */
const sdkDownload: EphemeralServerExecutable = {
  type: 'cached-download',
  downloadDir: path.join(toolsDir, 'sdk-download'),
};

const missingToolHints = {
  'temporal-cli':
    'Temporal CLI not found: set TEMPORAL_CLI_PATH to a temporal binary, put `temporal` on PATH, or install Go',
  'temporal-test-server':
    'Temporal test server not found: set TEMPORAL_TEST_SERVER_PATH to a test server binary, or install Java and Maven',
  'temporal-server': `Temporal server ${TEMPORAL_SERVER_VERSION} not found: set TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH and TEMPORAL_SCHEMA_DIR (the schema/postgresql/v12 folder of ${TEMPORAL_SERVER_MODULE}), or install Go to build them into .tools/`,
};

/** Turns a failed server start into one line that says what is missing and how to point at it. */
export function explainStartFailure(
  executable: EphemeralServerExecutable,
  tool: 'temporal-cli' | 'temporal-test-server',
  err: unknown,
): Error {
  if (executable.type !== 'existing-path') {
    return new MissingToolError(`${missingToolHints[tool]} (SDK download failed: ${errorSummary(err)})`);
  }
  return new Error(`${tool} at ${executable.path} failed to start: ${errorSummary(err)}`);
}

async function explicitPath(variable: string): Promise<EphemeralServerExecutable | undefined> {
  const file = await explicitFile(variable);
  return file ? { type: 'existing-path', path: file } : undefined;
}

async function explicitFile(variable: string): Promise<string | undefined> {
  const value = process.env[variable];
  if (!value) return undefined;
  if (!(await isExecutable(value))) throw new MissingToolError(`${variable}=${value} is not an executable file`);
  return path.resolve(value);
}

async function explicitSchemaDir(): Promise<string | undefined> {
  const value = process.env.TEMPORAL_SCHEMA_DIR;
  if (!value) return undefined;
  if (!(await isSchemaDir(value))) throw new MissingToolError(`TEMPORAL_SCHEMA_DIR=${value} holds no temporal/versioned and visibility/versioned folders (schema/postgresql/v12 of ${TEMPORAL_SERVER_MODULE})`);
  return path.resolve(value);
}

async function isSchemaDir(dir: string): Promise<boolean> {
  const folders = await Promise.all(['temporal', 'visibility'].map((store) => fs.stat(path.join(dir, store, 'versioned')).catch(() => undefined)));
  return folders.every((stat) => stat?.isDirectory());
}

/** `go install`s the packages (`path@version`) with their binaries put in `gobin`. */
async function goInstall(go: string, packages: string[], gobin: string): Promise<void> {
  await execFileAsync(go, ['install', ...packages], { env: { ...process.env, GOBIN: gobin }, maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Builds into a staging folder beside `cacheDir`, then moves it into place whole: a cache folder is
 * never half-made. `ready` is the file whose presence says another run finished the same build first.
 */
async function buildIntoCache(cacheDir: string, ready: string, build: (staging: string) => Promise<void>): Promise<void> {
  const staging = await fs.mkdtemp(path.join(await ensureDir(toolsDir), `.staging-${path.basename(cacheDir)}-`));
  try {
    await build(staging);
    await fs.chmod(staging, 0o755);
    await fs.rm(cacheDir, { recursive: true, force: true });
    await fs.rename(staging, cacheDir).catch(async (err: NodeJS.ErrnoException) => {
      // Another run finished first: its copy is as good as ours.
      if (!(await isExecutable(ready))) throw err;
    });
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Copies a folder out of Go's read-only module cache, leaving the copy writable (and removable). */
async function copyWritable(from: string, to: string): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await copyWritable(source, target);
    else await fs.writeFile(target, await fs.readFile(source), { mode: 0o644 });
  }
}

async function findOnPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function ensureDir(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** The last non-empty line of a failure: where go, mvn and the SDK put the actual error. */
function errorSummary(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr?.trim() || e.message || String(err)).trim();
  const lines = text.split('\n').filter((l) => l.trim());
  return lines[lines.length - 1] ?? text;
}
