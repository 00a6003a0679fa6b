// Touches on SMS, in-app and webhook exactly as the lead workflow gets them: the engine runs small
// sequences of those steps, so delivery tests start from real send commands, not hand-made ones.
import { createLead, step } from '../../core/engine/index';
import { type Command, type Touch } from '../../core/protocol';
import type { Lead } from '../../core/model/lead';
import { buildModel } from '../../core/model/tuning';
import { buildCatalog } from '../../sequences/catalog';
import { defineSequence, fieldIs, inApp, sms, wait, webhook } from '../../sequences/dsl';
import { librarySequences, TEMPLATES_DIR } from '../../sequences/library';
import { loadTemplates, TemplateRenderer } from '../../channels/templates';
import type { Pool } from 'pg';
import type { DeliveryActivities, DeliveryResult } from '../../activities/types';
import { saveLead } from '../../db/repositories/leads';

/** Monday 2 March 2026, 10:00 in New York: inside the default SMS window (09:00–20:00). */
export const MORNING_IN_NEW_YORK = Date.parse('2026-03-02T15:00:00Z');

/** Leads are enrolled by id in these tests; routing never picks these sequences. */
const enrolledByName = fieldIs('source', 'channel-test');

export const channelCatalog = buildCatalog({
  // One SMS a week would push the follow-up out by days; these tests are about delivery, not caps.
  model: buildModel({ holdoutPercent: 0, cadence: { caps: { sms: { limit: 10, window: '7d' }, all: { limit: 20, window: '7d' } } } }),
  sequences: [
    ...librarySequences,
    defineSequence({
      id: 'sms-check-in',
      name: 'SMS check-in',
      audience: enrolledByName,
      steps: [sms('hello', 'test/sms-hello'), wait('2d'), sms('follow-up', 'test/sms-follow-up')],
    }),
    // Texts ten hours apart (the spacing rule makes it twenty): each lands at another hour of the day.
    defineSequence({
      id: 'sms-drip',
      name: 'SMS drip',
      audience: enrolledByName,
      steps: ['one', 'two', 'three', 'four', 'five', 'six'].flatMap((id) => [sms(id, 'test/sms-hello'), wait('10h')]),
    }),
    defineSequence({
      id: 'in-app-tips',
      name: 'In-app tips',
      audience: enrolledByName,
      steps: [inApp('tip', 'end-user/tip'), wait('1d'), inApp('tip-2', 'test/in-app-reminder')],
    }),
    defineSequence({ id: 'crm-alert', name: 'CRM alert', audience: enrolledByName, steps: [webhook('notify-crm', 'crm', 'lead.hot')] }),
  ],
  routing: ['fast-track'],
  defaultSequence: 'education',
  longTermSequence: 'long-term-nurture',
});

export const channelRenderer = new TemplateRenderer({
  ...loadTemplates(TEMPLATES_DIR),
  'test/sms-hello': { text: 'Hi {{ lead.firstName }}, your Relay trial ends Friday. Questions? Just reply.' },
  'test/sms-follow-up': { text: '{{ lead.firstName }}, want a hand setting up approvals? Reply YES and we will call.' },
  'test/in-app-reminder': { title: 'Approvals are waiting', text: 'Two requests are waiting for you.' },
});

/** The first `count` touches the engine sends for the lead in `sequenceId`, waking it whenever it asks. */
export function touchesOf(lead: Lead, sequenceId: string, count: number, start = MORNING_IN_NEW_YORK): Touch[] {
  let output = createLead(lead, start, channelCatalog, sequenceId);
  const touches: Touch[] = [];
  for (let round = 0; round < 50; round++) {
    touches.push(...output.commands.flatMap((c: Command) => (c.type === 'send' ? [c.touch] : [])));
    const wake = output.commands.find((c): c is Extract<Command, { type: 'wakeAt' }> => c.type === 'wakeAt');
    if (touches.length >= count || !wake) break;
    output = step(output.state, { kind: 'wake' }, wake.at, channelCatalog);
  }
  if (touches.length < count) throw new Error(`the engine sent ${touches.length} touches in ${sequenceId}, not ${count}`);
  return touches.slice(0, count);
}

/** Delivers a touch as the lead workflow does: the activity reads the lead from PostgreSQL, so it is saved there first. */
export async function deliverTo(delivery: DeliveryActivities, pool: Pool, lead: Lead, touch: Touch): Promise<DeliveryResult> {
  await saveLead(pool, lead);
  return delivery.deliverTouch({ workflowId: `lead-${lead.id}`, touch });
}
