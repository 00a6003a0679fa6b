// What an engine process reports: its logs (app/logging) and its Prometheus metrics. The Temporal
// runtime is installed here, once per process, before anything connects: it writes its logs into the
// engine's logger and exports the SDK's metrics on a loopback port, which /metrics reads at each
// scrape, so a process has one log stream and one metrics endpoint.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Runtime } from '@temporalio/worker';
import { collectDefaultMetrics, register } from 'prom-client';
import type { Config } from './config';
import { getFreePort } from './net';
import type { Part } from './part';
import { createLogger, RuntimeLogger, type Logger } from './logging';

export interface Telemetry {
  logger: Logger;
  /** The process's metrics beyond the API's own: what its workers count (activities/metrics) and the Temporal SDK's. */
  metrics(): Promise<string>;
  /** Stops the Temporal runtime, after the process's parts have stopped. */
  close(): Promise<void>;
}

/** The core's info lines are progress (app/logging), shown from debug on: not worth forwarding below that. */
const CORE_LOG_LEVEL = { trace: 'TRACE', debug: 'DEBUG', info: 'WARN', warn: 'WARN', error: 'ERROR', silent: 'ERROR' } as const;

export async function installTelemetry(level: Config['LOG_LEVEL']): Promise<Telemetry> {
  const logger = createLogger(level);
  const sdkMetrics = `127.0.0.1:${await getFreePort()}`;
  const runtime = Runtime.install({
    logger: new RuntimeLogger(logger),
    // Signals are ours: the parts stop in order, the workers among them.
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: { core: CORE_LOG_LEVEL[level], other: 'ERROR' }, forward: {} },
      metrics: { prometheus: { bindAddress: sdkMetrics } },
    },
  });
  return {
    logger,
    // The runtime stops by itself once its last worker has; a process without one (`nurture api`)
    // would never exit while it runs.
    close: () => runtime.shutdown(),
    metrics: async () => {
      const [workers, sdk] = await Promise.all([
        register.metrics(),
        // A scrape still shows the engine's own metrics when the SDK's cannot be read.
        fetch(`http://${sdkMetrics}/metrics`)
          .then((response) => response.text())
          .catch((err: unknown) => {
            logger.warn({ err }, "the Temporal SDK's metrics could not be read");
            return '';
          }),
      ]);
      return `${workers}\n${sdk}`;
    },
  };
}

/**
 * `nurture worker`'s metrics at http://host:port/metrics, with the process's own (memory, event
 * loop, GC) as `nurture_worker_*`; an API process serves its metrics on the API's port instead.
 */
export async function serveMetrics(telemetry: Telemetry, host: string, port: number): Promise<Part> {
  collectDefaultMetrics({ register, prefix: 'nurture_worker_' });
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') return void response.writeHead(404).end();
    telemetry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': register.contentType }).end(text),
      (err: unknown) => {
        telemetry.logger.error({ err }, 'metrics');
        response.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}/metrics`;
  telemetry.logger.info({ url }, 'serving Prometheus metrics');
  return { name: 'metrics', stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * For tools that print results of their own on stdout (the benchmarks): the runtime's warnings and
 * errors go to stderr. The engine's processes install their telemetry instead.
 */
export function installQuietRuntime(): void {
  Runtime.install({ logger: new RuntimeLogger(createLogger('warn', process.stderr)), shutdownSignals: [] });
}
