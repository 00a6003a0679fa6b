// The recorded histories (written by `npm run record-histories`) and what each one is, for the
// replay tests: files are read as plain JSON here, and through cli/history for replay.
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { readHistoryPaths } from '../../cli/history';
import { replayHistories, type ReplayOutcome } from '../../workers/replay';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

/** The fixture of each scenario, by file name, with the workflow that recorded it (the folder may hold more). */
const SCENARIOS: Record<string, 'leadWorkflow' | 'salesHandoffWorkflow'> = {
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

/**
 * Earlier workflow code whose recordings stay, as `<scenario>.<era>.json`: leads started then may
 * still be running, so every change must keep replaying them (workflows/lead.ts):
 * - `before-local-store`: the store's activities ran as ordinary activities (LOCAL_STORE);
 * - `before-lean-activations`: search attributes were written after each input, and the wake-up
 *   timer started again on every input (LEAN_ACTIVATIONS).
 */
const RETIRED_ERAS = ['before-local-store', 'before-lean-activations'];

/** Every recorded history, current and retired, by file name. */
export const FIXTURES: Record<string, 'leadWorkflow' | 'salesHandoffWorkflow'> = {
  ...SCENARIOS,
  ...Object.fromEntries(RETIRED_ERAS.flatMap((era) => Object.entries(SCENARIOS).map(([file, type]) => [file.replace(/\.json$/, `.${era}.json`), type]))),
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
