// A delivery worker in a process of its own, built by the production factory from the environment
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL and the delivery variables), so a test can
// SIGKILL it in the middle of a send. SIGTERM shuts it down gracefully.
import './quietRuntime';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Pool } from 'pg';
import { deliveryConfig, parseConfig } from '../../app/config';
import { defaultCatalog, TEMPLATES_DIR } from '../../sequences/library';
import { loadTemplates, TemplateRenderer } from '../../channels/templates';
import { deliveryWorkerOptions } from '../../workers/deliveryWorker';

async function main(): Promise<void> {
  const config = deliveryConfig(parseConfig(process.env));
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  const delivery = deliveryWorkerOptions({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE,
    pool,
    renderer: new TemplateRenderer(loadTemplates(TEMPLATES_DIR)),
    catalog: defaultCatalog(),
    config,
  });
  try {
    const workers = await Promise.all(delivery.options.map((options) => Worker.create(options)));
    process.once('SIGTERM', () => workers.forEach((worker) => worker.shutdown()));
    await Promise.all(workers.map((worker) => worker.run()));
  } finally {
    delivery.close();
    await pool.end();
    await connection.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`delivery worker: ${err.message}\n`);
  process.exitCode = 1;
});
