// `npm run build:workflows` bundles the workflows ahead of time, as the production image does; a lead
// worker given that bundle (NURTURE_WORKFLOW_BUNDLE) runs leads without bundling anything itself.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Lead } from '../../core/model/lead';
import { leadWorkflowBundle } from '../../workers/bundle';
import { engineWorkerOptions } from '../../workers/leadWorker';
import { anyHourCatalog, leadState, withWorkers } from '../support/harness';
import { useIntegrationServers } from '../support/integrationServers';

const ROOT = path.resolve(__dirname, '../..');
const catalog = anyHourCatalog();
const servers = useIntegrationServers(catalog);

it('builds the workflow bundle into a file that a lead worker runs leads on', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-')), 'workflow-bundle.js');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build-workflows.ts', file], { cwd: ROOT });
  expect(stdout).toContain(file);
  expect(fs.readFileSync(file, 'utf8')).toContain('leadWorkflow');

  const workflowBundle = await leadWorkflowBundle(file);
  expect(workflowBundle).toEqual({ codePath: file });
  const lead: Lead = { id: `lead-${randomUUID()}`, email: 'ana@northwind.example', title: 'VP Operations' };
  await withWorkers(
    { client: servers.client, nativeConnection: servers.nativeConnection },
    { catalog, leadWorker: (taskQueue) => engineWorkerOptions({ connection: servers.nativeConnection, taskQueue, pool: servers.pool, catalog, workflowBundle }) },
    async ({ startLead }) => {
      const state = await leadState(await startLead({ lead }), (view) => view.counters.touches === 1);
      expect(state).toMatchObject({ leadId: lead.id, stage: 'lead', sequence: expect.objectContaining({ id: expect.any(String) }) });
    },
  );
});
