// Who may see and do what on a handoff task, the same through the pages and through a rep's own key:
// a rep sees their tasks, a manager also their reports' and the unassigned ones; the owner decides
// and snoozes, a manager reassigns.
import type { DeskRep } from '../db/repositories/desk';
import type { HandoffTask } from '../db/repositories/handoffs';

export type TaskAction = 'accept' | 'meeting-booked' | 'reject' | 'snooze' | 'reassign';

export function canSee(rep: DeskRep, task: Pick<HandoffTask, 'owner'>): boolean {
  return task.owner === rep.id || (rep.reports.length > 0 && (task.owner === null || rep.reports.some((report) => report.id === task.owner)));
}

/** Why the rep may not do this to a task they can see; undefined when they may. */
export function refusal(rep: DeskRep, task: Pick<HandoffTask, 'owner'>, action: TaskAction): string | undefined {
  if (action === 'reassign') return rep.reports.length > 0 ? undefined : 'only a manager reassigns a task';
  return task.owner === rep.id ? undefined : 'only the rep the task is assigned to decides it';
}
