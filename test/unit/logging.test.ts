// What the engine's log stream shows: the Temporal runtime's lines in it at the right level (the
// SDK's progress only from debug on), and one readable line per record at a terminal.
import pino from 'pino';
import { prettyLine, RuntimeLogger } from '../../app/logging';

function capture(level: pino.LevelWithSilent) {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(line) });
  return { runtime: new RuntimeLogger(logger), records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), lines };
}

describe('the Temporal runtime in the engine log', () => {
  it("writes workflows' and activities' lines with their ids, and keeps the SDK's progress for debug", () => {
    const { runtime, records } = capture('info');
    runtime.info('touch sent', { sdkComponent: 'activity', workflowId: 'lead-ana', activityType: 'deliverTouch', correlationId: 'req-1' });
    runtime.warn('dropped malformed event signal', { sdkComponent: 'workflow', workflowId: 'lead-ana' });
    runtime.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    runtime.info('Initializing worker', { sdkComponent: 'core', taskQueue: 'email-send' });
    expect(records()).toEqual([
      expect.objectContaining({ level: 30, msg: 'touch sent', workflowId: 'lead-ana', activityType: 'deliverTouch', correlationId: 'req-1' }),
      expect.objectContaining({ level: 40, msg: 'dropped malformed event signal', workflowId: 'lead-ana' }),
    ]);

    const verbose = capture('debug');
    verbose.runtime.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    expect(verbose.records()).toEqual([expect.objectContaining({ level: 20, msg: 'Worker state changed' })]);
  });

  it('drops the SDK warning that a delivery worker has no workflows, which it never has', () => {
    const { runtime, records } = capture('trace');
    runtime.warn('No workflows registered, not polling for workflow tasks', { sdkComponent: 'worker' });
    expect(records()).toEqual([]);
  });
});

describe('a log line at a terminal', () => {
  it('reads as time, level, message and the fields', () => {
    const { runtime, lines } = capture('info');
    runtime.error('Activity failed', { sdkComponent: 'activity', attempt: 2, activityType: 'deliverTouch' });
    expect(prettyLine(lines[0]!)).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR Activity failed {2}sdkComponent=activity attempt=2 activityType=deliverTouch\n$/);
  });
});
