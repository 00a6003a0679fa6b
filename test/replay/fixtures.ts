// The recorded histories (written by `npm run record-histories`) and what each one is, for the
// replay tests: files are read as plain JSON here, and through cli/history for replay.
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { readHistoryPaths } from '../../cli/history';
import { replayHistories, type ReplayOutcome } from '../../workers/replay';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

/**
 * Every recorded history, by file name, with the workflow that recorded it. These are the baseline
 * (workflows/patches.ts); a behaviour change of workflow code adds its own recordings beside them,
 * as `<scenario>.<patch id>.json`, and these stay, since leads started before it may still run.
 */
export const FIXTURES: Record<string, 'leadWorkflow' | 'salesHandoffWorkflow'> = {
  'quiet-lead.json': 'leadWorkflow',
  're-engaged-lead.json': 'leadWorkflow',
  'unsubscribe.json': 'leadWorkflow',
  'handoff-accepted.json': 'leadWorkflow',
  'handoff-accepted.handoff.json': 'salesHandoffWorkflow',
  'handoff-rejected.json': 'leadWorkflow',
  'handoff-rejected.handoff.json': 'salesHandoffWorkflow',
  /** The first run, which ends in continue-as-new. */
  'continue-as-new.json': 'leadWorkflow',
  /** The last run, started from the state the runs before it carried over. */
  'continue-as-new.last-run.json': 'leadWorkflow',
};

export interface HistoryEventJson {
  eventId: string;
  eventType: string;
  [attributes: string]: unknown;
}

/** A fixture as the plain JSON on disk. */
export function fixtureJson(file: string): { events: HistoryEventJson[] } {
  return JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: HistoryEventJson[] };
}

/** The id of the first command event the recording code produced: what follows the first completed workflow task. */
export function firstCommandEventId(file: string): number {
  const { events } = fixtureJson(file);
  const completed = events.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED');
  return Number(events[completed + 1]!.eventId);
}

/** Replays every fixture against `bundle`; outcomes by file name. */
export async function replayFixtures(bundle: WorkflowBundle): Promise<Record<string, ReplayOutcome>> {
  const outcomes: Record<string, ReplayOutcome> = {};
  for await (const outcome of replayHistories(bundle, readHistoryPaths([HISTORIES_DIR]))) {
    outcomes[path.basename(outcome.label)] = outcome;
  }
  return outcomes;
}
