// `nurture start` as a new user runs it (the same command `npm start` runs), on free ports with a
// fresh data folder: it becomes ready, takes a lead through to a sales handoff over HTTP, stops
// cleanly on Ctrl-C, and after a restart still has the lead and the handoff; a new lead's first
// email lands in the local outbox.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import twilio from 'twilio';
import { outboxLines } from '../../devstack/outbox';
import { startTwilioServer } from '../../devstack/twilioServer';
import { getFreePort } from '../../app/net';
import { eventually } from '../support/harness';
import { engineEnv, nurtureCommand, ROOT, startEngine, stopEngine, touchableLeadId, type Engine } from '../support/engineProcess';

async function call(engine: Engine, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${engine.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${engine.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

/** The engine's JSON log lines so far (the banner and other plain lines are not JSON). */
function logRecords(engine: Engine): Record<string, unknown>[] {
  return engine
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

it('runs the whole engine, hands a lead to sales over HTTP, stops on Ctrl-C and keeps everything across a restart', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-start-'));
  const port = await getFreePort();
  const leadId = `lead-${randomUUID()}`;
  const event = (type: string, properties: Record<string, unknown>) => ({ eventId: randomUUID(), leadId, type, occurredAt: new Date().toISOString(), properties });

  let engine = await startEngine(dataDir, port);
  try {
    expect(await call(engine, 'POST', '/v1/leads', { id: leadId, email: 'ana@northwind.example', title: 'VP Operations', industry: 'software', companySize: 300, country: 'DE' })).toMatchObject({
      status: 201,
    });
    expect((await call(engine, 'POST', '/v1/events', event('page_view', { url: 'https://example.com/pricing', category: 'pricing' }))).status).toBe(202);
    expect((await call(engine, 'POST', '/v1/events', event('demo_request', {}))).status).toBe(202);
    const handoff = await eventually(async () => (await call(engine, 'GET', '/v1/handoffs?status=open&limit=200')).body.items.find((item: { leadId: string }) => item.leadId === leadId));
    expect(await call(engine, 'POST', `/v1/handoffs/${handoff.id}/accept`, { by: 'robin' })).toMatchObject({ status: 200, body: { status: 'accepted' } });
  } finally {
    await stopEngine(engine);
  }
  expect(engine.output()).toMatch(/stopped in \d+\.\d s/);

  engine = await startEngine(dataDir, port);
  try {
    const lead = await call(engine, 'GET', `/v1/leads/${leadId}`);
    expect(lead).toMatchObject({ status: 200, body: { profile: { email: 'ana@northwind.example' }, stageHistory: expect.arrayContaining([expect.objectContaining({ to: 'mql' })]) } });
    const handoffs = await call(engine, 'GET', '/v1/handoffs?status=accepted&limit=200');
    expect(handoffs.body.items).toEqual([expect.objectContaining({ leadId, status: 'accepted' })]);
    // A backtest finds the running engine's database by itself.
    const backtest = await promisify(execFile)(...nurtureCommand(['backtest', '--catalog', 'examples/candidate-catalog.ts', '--json']), { cwd: ROOT, env: engineEnv(dataDir, port) });
    expect(JSON.parse(backtest.stdout)).toMatchObject({ leads: 1, handoffs: { live: { count: 1 }, candidate: { count: 1 } } });
  } finally {
    await stopEngine(engine);
  }
  expect(fs.existsSync(path.join(dataDir, 'database.url'))).toBe(false);
}, 240_000);

it('stops at once, naming PORT, when the API port is taken, before it starts a server or writes data', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-start-'));
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as net.AddressInfo;
  try {
    const child = spawn(...nurtureCommand(['start']), { cwd: ROOT, env: engineEnv(dataDir, port), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect({ code, output }).toEqual({ code: 1, output: expect.stringContaining(`nurture: PORT: port ${port} on 127.0.0.1 is in use`) });
    expect(fs.readdirSync(dataDir)).toEqual([]);
  } finally {
    holder.close();
  }
}, 60_000);

it('sends a new lead\'s first email into the local outbox, with List-Unsubscribe headers', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-start-'));
  // A deployment that emails at any hour: the first touch goes out now, whatever the day.
  const engine = await startEngine(dataDir, await getFreePort(), { NURTURE_EMAIL_WINDOW: '00:00-24:00,mon-sun' });
  const leadId = touchableLeadId();
  try {
    expect(engine.outbox).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Search traffic enters the fast track, whose first step is the welcome email.
    const lead = { id: leadId, email: 'ana@northwind.example', firstName: 'Ana', company: 'Northwind', source: 'search' };
    expect((await call(engine, 'POST', '/v1/leads', lead)).status).toBe(201);

    const subject = 'Pricing for Northwind, in one page';
    const link = await eventually(async () => new RegExp(`<a href="(/messages/[^"]+)">${subject}</a>`).exec(await (await fetch(engine.outbox!)).text())?.[1], 30_000);
    const message = await (await fetch(`${engine.outbox}${link}`)).text();
    expect(message).toContain('<th>To</th><td>Ana &#60;ana@northwind.example&#62;</td>');
    expect(message).toMatch(new RegExp(`<th>List-Unsubscribe</th><td>&#60;${engine.api}/u/[^&]+&#62;</td>`));
    expect(message).toContain('<th>List-Unsubscribe-Post</th><td>List-Unsubscribe=One-Click</td>');
    expect((await outboxLines(dataDir, { limit: 5 })).join('\n')).toContain(`email  Ana <ana@northwind.example>  "${subject}"`);
  } finally {
    await stopEngine(engine);
  }
}, 120_000);

it("logs each request and the workflow work it causes under the caller's X-Request-Id, and counts sends, stage changes and handoffs at /metrics", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-start-'));
  const engine = await startEngine(dataDir, await getFreePort(), { NURTURE_EMAIL_WINDOW: '00:00-24:00,mon-sun' });
  const leadId = touchableLeadId();
  const demoRequest = `demo-${randomUUID()}`;
  const acceptance = `accept-${randomUUID()}`;
  try {
    // Search traffic gets the fast track's welcome email at once; a VP at a mid-size software company is a fit.
    const lead = { id: leadId, email: 'ana@northwind.example', firstName: 'Ana', company: 'Northwind', source: 'search', title: 'VP Operations', industry: 'software', companySize: 300, country: 'DE' };
    expect((await call(engine, 'POST', '/v1/leads', lead)).status).toBe(201);
    const event = { eventId: randomUUID(), leadId, type: 'demo_request', occurredAt: new Date().toISOString(), properties: {} };
    const posted = await call(engine, 'POST', '/v1/events', event, { 'x-request-id': demoRequest });
    expect(posted.status).toBe(202);
    expect(posted.headers.get('x-request-id')).toBe(demoRequest);
    // Without one, the API makes an id and answers with it.
    expect((await call(engine, 'GET', `/v1/leads/${leadId}`)).headers.get('x-request-id')).toMatch(/^[\da-f-]{36}$/);

    // The request's line, and the handoff task its event led to (lead workflow, child workflow, activity).
    const opened = await eventually(async () => logRecords(engine).find((line) => line.correlationId === demoRequest && line.activityType === 'openHandoffTask'), 30_000);
    expect(opened).toMatchObject({ msg: 'handoff opened', level: 30, sdkComponent: 'activity', workflowId: `handoff-${leadId}-1`, handoffId: `handoff-${leadId}-1` });
    expect(logRecords(engine)).toContainEqual(expect.objectContaining({ correlationId: demoRequest, method: 'POST', url: '/v1/events', statusCode: 202, msg: 'request completed' }));

    // A sales action is an update of the handoff workflow: its id reaches the activity that closes the task.
    const handoffId = `handoff-${leadId}-1`;
    expect(await call(engine, 'POST', `/v1/handoffs/${handoffId}/accept`, { by: 'robin' }, { 'x-request-id': acceptance })).toMatchObject({ status: 200 });
    expect(await eventually(async () => logRecords(engine).find((line) => line.correlationId === acceptance && line.activityType === 'closeHandoffTask'))).toMatchObject({
      msg: 'handoff accepted',
      handoffId,
    });

    const metrics = await eventually(async () => {
      const text = await (await fetch(`${engine.api}/metrics`)).text();
      return /nurture_sends_total\{channel="email",outcome="sent"\} [1-9]/.test(text) && text.includes('nurture_stage_changes_total{from="mql",to="sql"} 1') ? text : undefined;
    }, 30_000);
    expect(metrics).toContain('nurture_events_ingested_total{outcome="accepted"} 1');
    expect(metrics).toContain('nurture_stage_changes_total{from="lead",to="mql"} 1');
    expect(metrics).toContain('nurture_handoffs_total{event="opened"} 1');
    expect(metrics).toContain('nurture_handoffs_total{event="accepted"} 1');
    expect(metrics).toContain('nurture_speed_to_lead_seconds_count 1');
    // The Temporal SDK's own, from the same endpoint.
    expect(metrics).toMatch(/^temporal_workflow_task_execution_latency_bucket\{/m);
    expect(metrics).toMatch(/^temporal_activity_execution_latency_count\{.*activity_type="deliverTouch".*\} [1-9]/m);
  } finally {
    await stopEngine(engine);
  }
}, 120_000);

it("serves Twilio's webhooks when TWILIO_* are set: a STOP signed as Twilio signs it refuses SMS for the lead with the number", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-start-'));
  const credentials = { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: randomUUID() };
  // Twilio's cloud, at the network boundary: the engine's SDK sends here; the webhook comes from the test.
  const twilioCloud = await startTwilioServer(credentials);
  const port = await getFreePort();
  const engine = await startEngine(dataDir, port, {
    TWILIO_ACCOUNT_SID: credentials.accountSid,
    TWILIO_AUTH_TOKEN: credentials.authToken,
    TWILIO_FROM: '+15005550006',
    TWILIO_API_URL: twilioCloud.url,
  });
  try {
    const leadId = touchableLeadId();
    const phone = '+14155550142';
    expect((await call(engine, 'POST', '/v1/leads', { id: leadId, phone, country: 'US', consent: { sms: true } })).status).toBe(201);

    const url = `http://127.0.0.1:${port}/webhooks/twilio/inbound`;
    const params = { MessageSid: `SM${randomUUID().replace(/-/g, '')}`, From: phone, To: '+15005550006', Body: 'STOP' };
    const post = (signature: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params).toString() });
    expect((await post(twilio.getExpectedTwilioSignature('not-the-token', url, params))).status).toBe(403);
    const stop = await post(twilio.getExpectedTwilioSignature(credentials.authToken, url, params));
    expect({ status: stop.status, type: stop.headers.get('content-type') }).toEqual({ status: 200, type: expect.stringContaining('text/xml') });
    const lead = await call(engine, 'GET', `/v1/leads/${leadId}`);
    expect(lead.body.consent).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'sms', granted: false, source: 'sms_stop' })]));
  } finally {
    await stopEngine(engine);
    await twilioCloud.close();
  }
}, 120_000);
