import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { markInAppMessage } from '../../channels/inApp';
import { InAppStream, listInAppMessages, type InAppUpdate } from '../../db/repositories/inAppMessages';
import { createDeliveryActivities } from '../../activities/delivery';
import type { DeliveryActivities } from '../../activities/types';
import type { Lead } from '../../core/model/lead';
import { channelRenderer, touchesOf, deliverTo } from '../support/channelTouches';
import { recordConsent } from '../../db/repositories/consent';

let pool: Pool;
/** The stream reads through a pool of its own, as an API process apart from the workers would. */
let listenerPool: Pool;
let stream: InAppStream;
let delivery: DeliveryActivities;
const subscriptions = new AbortController();

beforeAll(async () => {
  pool = new Pool({ connectionString: process.env.DATABASE_URL });
  listenerPool = new Pool({ connectionString: process.env.DATABASE_URL });
  stream = await InAppStream.listen(listenerPool);
  delivery = createDeliveryActivities({
    pool,
    renderer: channelRenderer,
    inApp: {
      sender: { name: 'Sam Lee', company: 'Relay', address: '1 Main St, Springfield' },
      publicUrl: 'https://nurture.relay.example',
      signingSecret: 'test-secret',
      offers: {},
    },
  });
});

afterAll(async () => {
  subscriptions.abort();
  await stream?.close();
  await listenerPool?.end();
  await pool?.end();
});

const newLead = (): Lead => ({ id: `lead-${randomUUID()}`, email: 'ada@northwind.example', firstName: 'Ada' });

async function deliverAll(lead: Lead, count: number) {
  const results = [];
  for (const touch of touchesOf(lead, 'in-app-tips', count)) results.push(await deliverTo(delivery, pool, lead, touch));
  return results;
}

async function next(updates: AsyncIterator<InAppUpdate>): Promise<InAppUpdate> {
  const { value, done } = await updates.next();
  if (done) throw new Error('the stream ended');
  return value;
}

describe('in-app messages', () => {
  it("stores the touch for the lead, lists it newest first and pushes it to that lead's live stream only", async () => {
    const lead = newLead();
    const other = newLead();
    const updates = stream.updates(lead.id, subscriptions.signal);
    const otherUpdates = stream.updates(other.id, subscriptions.signal);

    const [first] = await deliverAll(lead, 1);
    expect(first).toEqual({ status: 'sent', providerId: expect.any(String) });
    const created = await next(updates);
    expect(created).toEqual({
      kind: 'created',
      message: {
        id: (first as { providerId: string }).providerId,
        leadId: lead.id,
        sendId: expect.stringContaining('in-app-tips'),
        title: 'Tip: let the hand-off chase itself',
        body: 'Add an escalation to your workflow so a request that waits more than a day goes to a backup owner. Settings → Escalations.',
        createdAt: expect.any(String),
      },
    });

    await deliverAll(other, 1);
    // The other lead's stream starts with its own message, not with the first lead's.
    expect(await next(otherUpdates)).toMatchObject({ kind: 'created', message: { leadId: other.id } });

    const [, second] = await deliverAll(lead, 2);
    expect((await listInAppMessages(pool, lead.id)).map((message) => [message.id, message.title])).toEqual([
      [(second as { providerId: string }).providerId, 'Approvals are waiting'],
      [(first as { providerId: string }).providerId, 'Tip: let the hand-off chase itself'],
    ]);
  });

  it('marks a message seen and dismisses it, each giving one event for the lead workflow, and streams both', async () => {
    const lead = newLead();
    const updates = stream.updates(lead.id, subscriptions.signal);
    const [sent] = await deliverAll(lead, 1);
    const { message } = (await next(updates)) as Extract<InAppUpdate, { kind: 'created' }>;

    const seen = await markInAppMessage(pool, lead.id, message.id, 'seen');
    expect(seen).toEqual({
      eventId: `in_app_seen:${message.id}`,
      leadId: lead.id,
      type: 'in_app_seen',
      occurredAt: expect.any(String),
      properties: { sendId: message.sendId, messageId: (sent as { providerId: string }).providerId },
    });
    expect(await next(updates)).toEqual({ kind: 'seen', messageId: message.id, at: seen!.occurredAt });
    // Seen again (another tab): the same event, so signalling it twice counts once.
    expect(await markInAppMessage(pool, lead.id, message.id, 'seen')).toEqual(seen);
    expect(await listInAppMessages(pool, lead.id)).toEqual([{ ...message, seenAt: seen!.occurredAt }]);

    const dismissed = await markInAppMessage(pool, lead.id, message.id, 'dismissed');
    expect(dismissed).toMatchObject({ eventId: `in_app_dismissed:${message.id}`, type: 'in_app_dismissed' });
    expect(await next(updates)).toMatchObject({ kind: 'seen' }); // the second "seen" above
    expect(await next(updates)).toEqual({ kind: 'dismissed', messageId: message.id, at: dismissed!.occurredAt });
    expect(await listInAppMessages(pool, lead.id)).toEqual([]);
  });

  it("does not let one lead mark another lead's message, nor a malformed id", async () => {
    const lead = newLead();
    const [sent] = await deliverAll(lead, 1);
    const messageId = (sent as { providerId: string }).providerId;
    expect(await markInAppMessage(pool, newLead().id, messageId, 'seen')).toBeUndefined();
    expect(await markInAppMessage(pool, newLead().id, messageId, 'dismissed')).toBeUndefined();
    expect(await markInAppMessage(pool, lead.id, 'not-a-message', 'seen')).toBeUndefined();
    expect(await listInAppMessages(pool, lead.id)).toEqual([expect.objectContaining({ id: messageId })]);
    expect((await listInAppMessages(pool, lead.id))[0]).not.toHaveProperty('seenAt');
  });

  it('stores a touch delivered twice once', async () => {
    const lead = newLead();
    const [touch] = touchesOf(lead, 'in-app-tips', 1);
    expect(await deliverTo(delivery, pool, lead, touch!)).toMatchObject({ status: 'sent' });
    expect(await deliverTo(delivery, pool, lead, touch!)).toEqual({ status: 'duplicate' });
    expect(await listInAppMessages(pool, lead.id)).toHaveLength(1);
  });

  it('stores nothing for a lead who turned in-app messages off', async () => {
    const lead = newLead();
    await recordConsent(pool, [{ leadId: lead.id, channel: 'in_app', granted: false, source: 'preferences', at: Date.now() }]);
    expect(await deliverAll(lead, 1)).toEqual([{ status: 'failed', reason: 'suppressed' }]);
    expect(await listInAppMessages(pool, lead.id)).toEqual([]);
  });
});
