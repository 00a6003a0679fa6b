// Records the replay fixtures: runs each scenario against the real workflows on a time-skipping
// server (activities at their boundary, as in the workflow tests) and writes the histories to
// test/replay/histories/ in the format of `temporal workflow show --output json`.
//
//   npm run record-histories                  # writes the current era's fixtures that are missing
//   npm run record-histories -- --overwrite   # records the current era's fixtures again
//
// The current era is the latest patch in workflows/patches.ts (files `<scenario>.<patch id>.json`),
// or the baseline (`<scenario>.json`) while there is none; an earlier era's files are never touched.
//
// A committed history stands for the runs already in production: re-record one only on purpose,
// never to make a replay failure go away (guard the change with a new patch id: workflows/patches.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { historyToJSON } from '../../workers/history';
import type { LeadEvent } from '../../core/model/events';
import type { Lead } from '../../core/model/lead';
import { assignVariant } from '../../core/model/experiments';
import type { Catalog } from '../../core/protocol';
import { educationWithTests, TEXT_TEST, WAIT_TEST } from './abTests';
import { anyHourCatalog, assignedTask, eventually, leadState, withWorkers, type HarnessContext } from './harness';
import { acceptSignal, decideUpdate, eventSignal, eventsSignal, reassignUpdate, rejectSignal, snoozeUpdate } from '../../workflows/contract';
import { LEAD_SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { startTimeSkippingServer } from '../../devstack/temporal';
import { CURRENT_ERA, eraFile } from '../replay/fixtures';

const HISTORIES_DIR = path.resolve(__dirname, '../replay/histories');
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** One history to write: a run of a workflow (the latest when `runId` is absent) and its file name. */
interface Recording {
  file: string;
  workflowId: string;
  runId?: string;
}

interface Scenario {
  name: string;
  /** The catalog the scenario runs on; the library's, any hour, when absent. */
  catalog?: Catalog;
  /** Drives the workflows; returns what to record once the workers have stopped. */
  run(env: TestWorkflowEnvironment, ctx: HarnessContext): Promise<Recording[]>;
}

const buyer = (id: string): Lead => ({
  id,
  email: 'dana@northwind.example',
  firstName: 'Dana',
  title: 'Head of Operations',
  industry: 'software',
  companySize: 300,
  country: 'DE',
  timezone: 'Europe/Berlin',
});

async function event(env: TestWorkflowEnvironment, leadId: string, eventId: string, type: LeadEvent['type'], properties: Record<string, unknown> = {}): Promise<LeadEvent> {
  return { eventId, leadId, type, occurredAt: new Date(await env.currentTimeMs()).toISOString(), properties } as LeadEvent;
}

/** The first lead id whose variants of the two tests are those named. */
function leadInVariants(channel: string, wait: string): string {
  for (let n = 0; ; n++) {
    const id = `replay-ab-${n}`;
    if (assignVariant('education/thanks', id, TEXT_TEST).id === channel && assignVariant('education/wait-2', id, WAIT_TEST).id === wait) return id;
  }
}

const scenarios: Scenario[] = [
  {
    name: 'quiet-lead',
    async run(env, { startLead }) {
      const lead = buyer('replay-quiet');
      const handle = await startLead({ lead });
      await env.sleep(70 * DAY);
      expectThat((await leadState(handle)).tier === 'dormant', 'the quiet lead reaches the dormant tier');
      return [{ file: 'quiet-lead.json', workflowId: handle.workflowId }];
    },
  },
  {
    name: 're-engaged-lead',
    async run(env, { startLead }) {
      // Fit low enough that the visit re-accelerates nurture without handing the lead to sales.
      const lead: Lead = { id: 'replay-re-engaged', email: 'sam@example.org', title: 'Head of Operations' };
      const handle = await startLead({ lead });
      await env.sleep(9 * DAY);
      expectThat((await leadState(handle)).tier === 'cooling', 'the lead cools before the visit');
      // Two events in one signal, as the ingestion relay delivers what gathered for a lead.
      await handle.signal(eventsSignal, [
        await event(env, lead.id, 'replay-re-engaged-1', 'page_view', { url: 'https://relay.example/pricing', category: 'pricing' }),
        await event(env, lead.id, 'replay-re-engaged-2', 'page_view', { url: 'https://relay.example/pricing/enterprise', category: 'pricing' }),
      ]);
      await env.sleep(1 * DAY);
      expectThat((await leadState(handle)).tier === 'active', 'the pricing visit re-accelerates the lead');
      return [{ file: 're-engaged-lead.json', workflowId: handle.workflowId }];
    },
  },
  {
    name: 'unsubscribe',
    async run(env, { startLead }) {
      const lead = buyer('replay-unsubscribe');
      const handle = await startLead({ lead });
      await env.sleep(4 * DAY);
      await handle.signal(eventSignal, await event(env, lead.id, 'replay-unsubscribe-1', 'unsubscribe', { channel: 'email' }));
      await env.sleep(20 * DAY);
      expectThat((await leadState(handle)).consent.email === false, 'the unsubscribe closes email');
      return [{ file: 'unsubscribe.json', workflowId: handle.workflowId }];
    },
  },
  {
    name: 'handoff-accepted',
    async run(env, { startLead }) {
      const lead = { ...buyer('replay-handoff-accepted'), title: 'VP Operations' };
      const handle = await startLead({ lead });
      await handle.signal(eventSignal, await event(env, lead.id, 'replay-handoff-accepted-1', 'demo_request'));
      const handoffId = `handoff-${lead.id}-1`;
      await assignedTask(env.client, handoffId);
      await env.sleep(30 * 60 * 1000);
      await env.client.workflow.getHandle(handoffId).signal(acceptSignal, { by: 'rep-ana' });
      await env.client.workflow.getHandle(handoffId).result();
      await env.sleep(HOUR);
      expectThat((await leadState(handle)).stage === 'sql', 'the accepted lead becomes an SQL');
      return [
        { file: 'handoff-accepted.json', workflowId: handle.workflowId },
        { file: 'handoff-accepted.handoff.json', workflowId: handoffId },
      ];
    },
  },
  {
    name: 'handoff-rejected',
    async run(env, { startLead }) {
      const lead = { ...buyer('replay-handoff-rejected'), title: 'VP Operations' };
      const handle = await startLead({ lead });
      await handle.signal(eventSignal, await event(env, lead.id, 'replay-handoff-rejected-1', 'demo_request'));
      const handoffId = `handoff-${lead.id}-1`;
      await assignedTask(env.client, handoffId);
      await env.client.workflow.getHandle(handoffId).signal(rejectSignal, { reasonCode: 'bad_timing' });
      await env.client.workflow.getHandle(handoffId).result();
      await env.sleep(HOUR);
      expectThat((await leadState(handle)).stage === 'recycled', 'the rejected lead is recycled');
      // Past the reason's recontact delay, so the history holds the recycled lead's first touch.
      await env.sleep(61 * DAY);
      return [
        { file: 'handoff-rejected.json', workflowId: handle.workflowId },
        { file: 'handoff-rejected.handoff.json', workflowId: handoffId },
      ];
    },
  },
  {
    // Since desk-actions: a reassignment refused (no such rep), one to a rep named, a snooze, the
    // breach after it, then a decision, all through updates.
    name: 'handoff-desk-actions',
    async run(env, { startLead }) {
      const lead = { ...buyer('replay-handoff-desk-actions'), title: 'VP Operations' };
      const handle = await startLead({ lead, options: { handoff: { sla: '1h', maxEscalations: 2 } } });
      await handle.signal(eventSignal, await event(env, lead.id, 'replay-handoff-desk-actions-1', 'demo_request'));
      const handoffId = `handoff-${lead.id}-1`;
      await assignedTask(env.client, handoffId);
      const handoff = env.client.workflow.getHandle(handoffId);
      const refused = await handoff.executeUpdate(reassignUpdate, { args: [{ to: 'rep-zed', by: 'mo' }] }).then(() => false, () => true);
      expectThat(refused, 'a reassignment to a rep who does not exist is refused');
      await env.sleep(20 * 60 * 1000);
      expectThat((await handoff.executeUpdate(reassignUpdate, { args: [{ to: 'rep-cy', by: 'mo' }] })).owner === 'rep-cy', 'the task goes to the rep named');
      const until = new Date((await env.currentTimeMs()) + 2 * HOUR).toISOString();
      expectThat((await handoff.executeUpdate(snoozeUpdate, { args: [{ until, by: 'rep-cy' }] })).snoozedUntil === until, 'the snooze moves the due time');
      await env.sleep(2 * HOUR + 10 * 60 * 1000);
      const decided = await handoff.executeUpdate(decideUpdate, { args: [{ action: 'accept', by: 'rep-ben' }] });
      expectThat(decided.escalations === 1 && decided.status === 'accepted', 'the task breaches after the snooze, then is accepted');
      await handoff.result();
      await env.sleep(HOUR);
      return [{ file: 'handoff-desk-actions.handoff.json', workflowId: handoffId }];
    },
  },
  // Since channel-and-wait-variants: a lead whose variant of the first email is a text, and whose
  // variant of the wait after it is a day instead of four.
  {
    name: 'channel-and-wait-ab',
    catalog: educationWithTests(anyHourCatalog(), { 0: TEXT_TEST, 1: WAIT_TEST }),
    async run(env, { startLead, recorder }) {
      const lead: Lead = { ...buyer(leadInVariants('text', 'sooner')), phone: '+49 151 2345 6789', consent: { email: true, sms: true } };
      const handle = await startLead({ lead, sequenceId: 'education' });
      await env.sleep(2 * DAY);
      expectThat(recorder.touches[0]?.channel === 'sms' && recorder.touches[0]?.experiment?.variant === 'text', 'the first touch goes out as a text');
      expectThat(recorder.decisions.some((decision) => decision.type === 'exposed' && decision.experiment.variant === 'sooner'), 'the wait records its exposure');
      expectThat(recorder.touches.some((touch) => touch.stepId === 'framework'), 'the next email goes out after one day');
      return [{ file: 'channel-and-wait-ab.json', workflowId: handle.workflowId }];
    },
  },
  {
    name: 'continue-as-new',
    async run(env, { startLead }) {
      const lead: Lead = { id: 'replay-continue-as-new', email: 'kim@example.org', title: 'Analyst' };
      // A short limit, so a handful of events rolls the lead over to new runs several times.
      const handle = await startLead({ lead, options: { maxHistoryEvents: 60 } });
      await leadState(handle);
      const count = 24;
      for (let i = 1; i <= count; i++) {
        await handle.signal(eventSignal, await event(env, lead.id, `replay-continue-as-new-${i}`, 'page_view', { url: `https://relay.example/docs/${i % 5}`, category: 'docs' }));
      }
      await eventually(async () => ((await leadState(handle)).counters.events === count ? true : undefined));
      await env.sleep(3 * DAY);
      return [
        { file: 'continue-as-new.json', workflowId: handle.workflowId, runId: handle.firstExecutionRunId },
        { file: 'continue-as-new.last-run.json', workflowId: handle.workflowId },
      ];
    },
  },
];

function expectThat(condition: boolean, what: string): void {
  if (!condition) throw new Error(`record-histories: expected that ${what}`);
}

async function main(overwrite: boolean): Promise<void> {
  // The workers' own warnings (an old server's capabilities, send queues without workflows) are noise here.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  const env = await startTimeSkippingServer(LEAD_SEARCH_ATTRIBUTES);
  try {
    const catalog = anyHourCatalog();
    const recorded: { file: string; json: string }[] = [];
    for (const scenario of scenarios) {
      const startedAt = Date.now();
      const recordings = await withWorkers(env, { catalog: scenario.catalog ?? catalog }, (ctx) => scenario.run(env, ctx));
      // Fetched after the workers stop and the harness has terminated the leads: closed histories.
      for (const { file, workflowId, runId } of recordings) {
        const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
        // New recordings belong to the latest patch's era; the earlier eras' stay as they are.
        recorded.push({ file: eraFile(file, CURRENT_ERA), json: `${historyToJSON(history)}\n` });
        console.log(`${scenario.name}: ${eraFile(file, CURRENT_ERA)} (${history.events?.length ?? 0} events)`);
      }
      console.log(`${scenario.name}: recorded in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    }
    const [first] = recorded.filter((r) => r.file === eraFile('continue-as-new.json', CURRENT_ERA));
    expectThat(first?.json.includes('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW') ?? false, 'the first run of the long-lived lead continues as new');
    // Written only once every scenario has run, so a failed recording leaves the fixtures as they were.
    fs.mkdirSync(HISTORIES_DIR, { recursive: true });
    const where = path.relative(process.cwd(), HISTORIES_DIR);
    for (const { file, json } of recorded) {
      const target = path.join(HISTORIES_DIR, file);
      if (fs.existsSync(target) && !overwrite) {
        console.log(`kept ${path.join(where, file)} (--overwrite replaces it)`);
        continue;
      }
      fs.writeFileSync(target, json);
      console.log(`wrote ${path.join(where, file)} (${(json.length / 1024).toFixed(0)} KB)`);
    }
  } finally {
    await env.teardown();
  }
}

const args = process.argv.slice(2);
const unknown = args.find((arg) => arg !== '--overwrite');
if (unknown !== undefined) {
  console.error(`record-histories: unknown argument ${unknown} (the only option is --overwrite)`);
  process.exit(2);
}
main(args.includes('--overwrite')).catch((err: unknown) => {
  console.error(`record-histories: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
