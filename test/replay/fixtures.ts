// The recorded histories (written by `npm run record-histories`) and what each one is, for the
// replay tests: files are read as plain JSON here, and through cli/history for replay.
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { readHistoryPaths } from '../../cli/history';
import { replayHistories, type ReplayOutcome } from '../../workers/replay';
import { PATCHES } from '../../workflows/patches';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

type WorkflowType = 'leadWorkflow' | 'salesHandoffWorkflow';

/** The scenarios' recordings of the baseline, by file name, with the workflow that recorded each. */
const BASELINE: Record<string, WorkflowType> = {
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

/** The scenarios a patch added (the code paths it brought), recorded in its era and every later one. */
const ADDED: Record<string, Record<string, WorkflowType>> = {
  /** A handoff reassigned (refused once), snoozed, breached after the snooze, then accepted. */
  'desk-actions': { 'handoff-desk-actions.handoff.json': 'salesHandoffWorkflow' },
  /** A lead whose variant of an email is a text, and whose variant of the wait after it is shorter. */
  'channel-and-wait-variants': { 'channel-and-wait-ab.json': 'leadWorkflow' },
};

/** A scenario's recording in the era of a patch (`quiet-lead.consent-facts.json`), or the baseline's. */
export function eraFile(file: string, era: string | undefined): string {
  return era ? file.replace(/\.json$/, `.${era}.json`) : file;
}

/** The era new recordings belong to: the latest patch (workflows/patches.ts), or the baseline. */
export const CURRENT_ERA = PATCHES.at(-1)?.id;

/**
 * Every recorded history, by file name: the baseline, and each patch's recordings beside it (with the
 * scenarios a patch added, from its era on). All of them stay, since leads started in an earlier era
 * may still be running.
 */
export const FIXTURES: Record<string, WorkflowType> = {
  ...BASELINE,
  ...Object.fromEntries(
    PATCHES.flatMap((patch, index) => {
      const scenarios: Record<string, WorkflowType> = Object.assign({}, BASELINE, ...PATCHES.slice(0, index + 1).map((earlier) => ADDED[earlier.id] ?? {}));
      return Object.entries(scenarios).map(([file, type]) => [eraFile(file, patch.id), type]);
    }),
  ),
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
