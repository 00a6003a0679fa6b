import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Catalog } from '../../core/engine';
import type { LeadEvent } from '../../core/events';
import type { Lead } from '../../core/lead';
import { startTimeSkippingServer } from '../../scripts/temporal';
import { defaultCatalog } from '../../sequences/library';
import { eventSignal, leadWorkflowId, stateQuery } from '../../workflows/contract';
import { leadWorkflow } from '../../workflows/lead';
import { LEAD_SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { withWorkers } from './harness';

const DAY = 24 * 60 * 60 * 1000;
let env: TestWorkflowEnvironment;
let catalog: Catalog;

beforeAll(async () => {
  env = await startTimeSkippingServer(LEAD_SEARCH_ATTRIBUTES);
  catalog = defaultCatalog({ holdoutPercent: 0 });
});

afterAll(async () => {
  await env?.teardown();
});

function buyer(): Lead {
  return { id: `lead-${randomUUID()}`, email: 'dana@northwind.example', firstName: 'Dana', title: 'Head of Operations', industry: 'software', companySize: 300, country: 'DE', timezone: 'Europe/Berlin' };
}

function pricingView(lead: Lead, at: number): LeadEvent {
  return { eventId: randomUUID(), leadId: lead.id, type: 'page_view', occurredAt: new Date(at).toISOString(), properties: { url: 'https://relay.example/pricing', category: 'pricing' } };
}

describe('lead workflow', () => {
  it('stretches the gaps of a quiet lead over weeks and moves it to the long-term pool', async () => {
    const lead = buyer();
    await withWorkers(env, { catalog }, async ({ taskQueue, recorder }) => {
      const handle = await env.client.workflow.start(leadWorkflow, { taskQueue, workflowId: leadWorkflowId(lead.id), args: [{ lead }] });
      await env.sleep(70 * DAY);
      const view = await handle.query(stateQuery);
      expect(view.tier).toBe('dormant');
      expect(view.sequence?.id).toBe('long-term-nurture');
      const gaps = recorder.touches.slice(1, 4).map((t, i) => t.at - recorder.touches[i]!.at);
      // Three days, then longer each time nobody answers (send windows may push a touch later still).
      expect(gaps[0]).toBeGreaterThanOrEqual(3 * DAY);
      expect(gaps[1]).toBeGreaterThan(gaps[0]!);
      expect(gaps[2]).toBeGreaterThan(4 * DAY);
      await handle.terminate('test over');
    });
  });
});
