import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { ConfigError } from '../../app/config';
import { exportHistory, readHistoryFile, readHistoryPaths } from '../../cli/history';
import { runReplay } from '../../cli/replay';
import { historyToJSON } from '../../workers/history';
import { bundleWorkflows, formatOutcome, replayHistories, type ReplayOutcome } from '../../workers/replay';
import { FIXTURES, HISTORIES_DIR, firstCommandEventId, fixtureJson, replayFixtures } from './fixtures';

const ROOT = path.resolve(__dirname, '../..');
const UNGUARDED = require.resolve('./variants/unguarded');
const GUARDED = require.resolve('./variants/guarded');
const leadFixtures = Object.keys(FIXTURES).filter((file) => FIXTURES[file] === 'leadWorkflow');
const handoffFixtures = Object.keys(FIXTURES).filter((file) => FIXTURES[file] === 'salesHandoffWorkflow');

// Each workflows module is bundled once for the whole file.
let production: Promise<WorkflowBundle>;
let unguarded: Promise<WorkflowBundle>;
let guarded: Promise<WorkflowBundle>;
beforeAll(() => {
  production = bundleWorkflows();
  unguarded = bundleWorkflows(UNGUARDED);
  guarded = bundleWorkflows(GUARDED);
});

describe('recorded histories', () => {
  it('hold real runs of each scenario: quiet lead, re-engaged lead, unsubscribe, handoff accepted and rejected, continue-as-new', () => {
    const files = fs.readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.json'));
    expect(files).toEqual(expect.arrayContaining(Object.keys(FIXTURES)));
    for (const [file, workflowType] of Object.entries(FIXTURES)) {
      const [started] = fixtureJson(file).events;
      expect(started).toMatchObject({ eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', workflowExecutionStartedEventAttributes: { workflowType: { name: workflowType } } });
      expect(fs.statSync(path.join(HISTORIES_DIR, file)).size).toBeLessThan(200 * 1024);
    }
  });

  it('reach the store through local activities: markers in the history, no activity tasks', () => {
    const storeActivityTasks = (file: string) =>
      fixtureJson(file).events.filter((e) => JSON.stringify(e).match(/"name":"(loadCatalog|recordDecisions)"/) && e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED').length;
    const markers = (file: string) => fixtureJson(file).events.filter((e) => e.eventType === 'EVENT_TYPE_MARKER_RECORDED').length;
    for (const scenario of ['quiet-lead', 'unsubscribe', 'handoff-accepted']) {
      expect({ tasks: storeActivityTasks(`${scenario}.json`), markers: markers(`${scenario}.json`) > 1 }).toEqual({ tasks: 0, markers: true });
    }
  });

  it('include a signal carrying two events, as the ingestion relay sends them, answered by one search-attribute write', () => {
    const events = fixtureJson('re-engaged-lead.json').events;
    const signalled = events.findIndex((e) => JSON.stringify(e).includes('"signalName":"events"'));
    const signal = events[signalled]!.workflowExecutionSignaledEventAttributes as { input: { payloads: { data: string }[] } };
    const payload = signal.input.payloads[0]!;
    expect(JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'))).toHaveLength(2);
    const completed = events.findIndex((e, i) => i > signalled && e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED');
    const nextTask = events.findIndex((e, i) => i > completed && e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED');
    expect(events.slice(completed, nextTask).filter((e) => e.eventType === 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES')).toHaveLength(1);
  });

  it('include page views that leave the wake-up time where it was, and so restart no timer', () => {
    const count = (file: string, type: string) => fixtureJson(file).events.filter((e) => e.eventType === `EVENT_TYPE_${type}`).length;
    expect(count('continue-as-new.json', 'WORKFLOW_EXECUTION_SIGNALED')).toBeGreaterThan(20);
    expect(count('continue-as-new.json', 'TIMER_CANCELED')).toBe(0);
  });

  it('include the handoff child in the lead histories that hand over to sales', () => {
    for (const scenario of ['handoff-accepted', 'handoff-rejected']) {
      const types = fixtureJson(`${scenario}.json`).events.map((e) => e.eventType);
      expect(types).toContain('EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED');
      expect(fixtureJson(`${scenario}.handoff.json`).events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    }
  });

  it('include a handoff reassigned (once refused), snoozed, breached after the snooze and decided, through updates (since desk-actions)', () => {
    const events = fixtureJson('handoff-desk-actions.handoff.desk-actions.json').events;
    const updates = events.flatMap((e) => {
      const accepted = e.workflowExecutionUpdateAcceptedEventAttributes as { acceptedRequest: { input: { name: string } } } | undefined;
      return accepted ? [accepted.acceptedRequest.input.name] : [];
    });
    expect(updates).toEqual(['reassign', 'reassign', 'snooze', 'decide']);
    const scheduled = events.flatMap((e) => {
      const attributes = e.activityTaskScheduledEventAttributes as { activityType: { name: string } } | undefined;
      return attributes ? [attributes.activityType.name] : [];
    });
    expect(scheduled.filter((name) => name === 'moveHandoffTask')).toHaveLength(2);
    expect(scheduled.filter((name) => name === 'reassignHandoffTask')).toHaveLength(1);
    expect(events.filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_FAILED')).toHaveLength(1);
    expect(events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  });

  it('include a run that continued as new and a later run that took over the carried state', () => {
    const first = fixtureJson('continue-as-new.json').events;
    const last = fixtureJson('continue-as-new.last-run.json').events;
    expect(first.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    expect(last[0]).toMatchObject({ workflowExecutionStartedEventAttributes: { continuedExecutionRunId: expect.any(String) } });
  });

  it('are in the format of `temporal workflow show --output json`: proto3 JSON that converts back to the same text', () => {
    for (const file of Object.keys(FIXTURES)) {
      const text = fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8');
      expect(`${historyToJSON(readHistoryFile(path.join(HISTORIES_DIR, file)).history)}\n`).toBe(text);
    }
  });

  it('read the same when an older export abbreviates enum names (WorkflowExecutionStarted, Normal)', () => {
    const file = path.join(HISTORIES_DIR, 'handoff-accepted.json');
    const short = fixtureJson('handoff-accepted.json');
    for (const event of short.events) {
      event.eventType = event.eventType.replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
    }
    const started = short.events[0]!.workflowExecutionStartedEventAttributes as { taskQueue: { kind: string } };
    started.taskQueue.kind = 'Normal';
    expect(short.events[0]!.eventType).toBe('WorkflowExecutionStarted');
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'replay-')), 'short.json');
    fs.writeFileSync(copy, JSON.stringify(short));
    expect(historyToJSON(readHistoryFile(copy).history)).toBe(historyToJSON(readHistoryFile(file).history));
  });
});

describe('replaying the recorded histories', () => {
  it('finds the current workflows deterministic for every history', async () => {
    const outcomes = await replayFixtures(await production);
    expect(Object.keys(outcomes)).toEqual(expect.arrayContaining(Object.keys(FIXTURES)));
    for (const outcome of Object.values(outcomes)) expect(outcome).toEqual({ label: outcome.label, ok: true });
  });

  it('fails every lead history at its first command when the interpreter changes without patched()', async () => {
    const outcomes = await replayFixtures(await unguarded);
    for (const file of leadFixtures) {
      expect(outcomes[file]).toMatchObject({ ok: false, kind: 'nondeterminism', eventId: firstCommandEventId(file) });
    }
    // The handoff workflow did not change: its histories still replay.
    for (const file of handoffFixtures) expect(outcomes[file]).toMatchObject({ ok: true });
  });

  it('reports the same outcomes in the same order from several processes (--jobs) as from one', async () => {
    const bundle = await unguarded;
    const replayAll = async (jobs: number) => {
      const outcomes: ReplayOutcome[] = [];
      for await (const outcome of replayHistories(bundle, readHistoryPaths([HISTORIES_DIR]), { jobs })) outcomes.push(outcome);
      return outcomes;
    };
    const inOne = await replayAll(1);
    expect(inOne.filter((outcome) => !outcome.ok).length).toBe(leadFixtures.length);
    expect(await replayAll(3)).toEqual(inOne);
  });

  it('replays without the promise hook of the stack trace query or a watchdog thread per call into the workflow (patches/)', async () => {
    // The SDK's stack-trace hook and its vm timeout, there for running workers, made a replay ~2.4x
    // slower (bench/workflows); patches/@temporalio+worker+*.patch leaves both out of replays only.
    await replayFixtures(await production);
    const { globalHandlers, workflowRunOptions } = require('@temporalio/worker/lib/workflow/vm-shared') as typeof import('@temporalio/worker/lib/workflow/vm-shared') & {
      workflowRunOptions(timeoutMs: number): { timeout?: number };
    };
    expect(globalHandlers.promiseHookInstalled).toBe(false);
    expect(workflowRunOptions(4_294_967_295)).not.toHaveProperty('timeout');
    expect(workflowRunOptions(5_000)).toHaveProperty('timeout', 5_000);
  });

  it('passes every history when the same change is guarded with patched()', async () => {
    const outcomes = await replayFixtures(await guarded);
    expect(Object.keys(outcomes)).toEqual(expect.arrayContaining(Object.keys(FIXTURES)));
    expect(Object.values(outcomes).filter((outcome) => !outcome.ok)).toEqual([]);
  });
});

describe('nurture replay', () => {
  it('prints ok or FAIL with the event id per history, and exits non-zero on a failure', async () => {
    const quiet = path.join('test/replay/histories', 'quiet-lead.json');
    const handoff = path.join('test/replay/histories', 'handoff-accepted.handoff.json');
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['cli/bin.js', 'replay', quiet, handoff, '--workflows', path.relative(ROOT, UNGUARDED)], { cwd: ROOT }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
    const at = firstCommandEventId('quiet-lead.json');
    const [fail, ok, ...more] = run.stdout.trim().split('\n');
    expect(fail).toMatch(new RegExp(`^FAIL ${escapeRegExp(quiet)}: non-deterministic at event ${at}: .+`));
    expect(ok).toBe(`ok ${handoff}`);
    expect(more).toEqual([]);
    expect(run.stderr).toContain('replay: 2 histories, 1 ok, 1 failed');
    expect(run.code).toBe(1);
  });

  it('tells a workflow that throws while replaying apart from a non-determinism, on one line', () => {
    const threw = { label: 'lead-7', ok: false, kind: 'failure' as const, message: 'Replay failed due workflow task failure. Details: TypeError: catalog is undefined\n    at leadWorkflow' };
    expect(formatOutcome(threw)).toBe('FAIL lead-7: replay failed: TypeError: catalog is undefined at leadWorkflow');
    expect(formatOutcome({ label: 'lead-7', ok: true })).toBe('ok lead-7');
  });

  it('names what is wrong with its input in one line, before replaying anything', async () => {
    const none = (paths: string[], options = {}, env = {}) => runReplay(paths, options, env, () => undefined);
    await expect(none([])).rejects.toThrow('replay: give history files or folders, --workflow-id <id> or --query <query>');
    await expect(none(['test/replay/histories/missing.json'])).rejects.toThrow('test/replay/histories/missing.json: cannot be read: ENOENT');
    await expect(none(['package.json'])).rejects.toThrow('package.json: not a workflow history');
    await expect(none(['cli'])).rejects.toThrow('cli: holds no *.json history files');
    await expect(none([HISTORIES_DIR], { workflows: 'no/such/workflows.ts' })).rejects.toThrow('--workflows: no/such/workflows.ts does not exist');
    await expect(none([], { query: ' ' })).rejects.toThrow('--query: the query is empty');
    await expect(none([HISTORIES_DIR], { jobs: '0' })).rejects.toThrow("--jobs: must be a whole number from 1 to 64, got '0'");
    await expect(none([HISTORIES_DIR], { jobs: 'all' })).rejects.toThrow("--jobs: must be a whole number from 1 to 64, got 'all'");
    await expect(none([], { workflowId: ['lead-1'] }, { TEMPORAL_ADDRESS: 'localhost' })).rejects.toThrow(new ConfigError('TEMPORAL_ADDRESS="localhost": must be host:port'));
  });
});

describe('nurture history export', () => {
  it('checks the output folder and the connection settings before it connects', async () => {
    await expect(exportHistory('lead-1', { out: 'no/such/folder/h.json' }, {})).rejects.toThrow(/--out: folder .*no\/such\/folder does not exist/);
    await expect(exportHistory('lead-1', {}, { TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_NAMESPACE: ' ' })).rejects.toThrow(ConfigError);
    await expect(exportHistory(' ', {}, {})).rejects.toThrow('history export: the workflow id is empty');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
