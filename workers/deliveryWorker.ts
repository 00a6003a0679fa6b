// The workers that send touches: one per configured channel's task queue, all running the same
// deliverTouch. Their options are a function of their dependencies, so tests run what production runs.
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import nodemailer from 'nodemailer';
import type { Pool } from 'pg';
import type { MessageSettings } from '../channels/links';
import { createTwilioClient, type TwilioConfig } from '../channels/sms';
import { createDeliveryActivities, type DeliveryDependencies } from '../activities/delivery';
import { sendTaskQueue } from '../activities/types';
import type { Catalog } from '../core/protocol';
import { CHANNELS, type Channel } from '../core/model/events';
import type { TemplateRenderer } from '../channels/templates';
import { correlationActivityInterceptors } from './correlation';

/** What the delivery workers serve (app/config derives it from the environment). */
export interface DeliveryConfig {
  publicUrl: string;
  sender: { name: string; company: string; address: string };
  offers: Record<string, string>;
  /** Absent: no channel that renders a message (email, SMS, in-app) is served. */
  signingSecret?: string;
  email?: { smtpUrl: string; from: string; domain: string };
  sms?: TwilioConfig;
  webhook?: { url: string; secret: string };
}

export interface DeliveryWorkerDependencies {
  connection: NativeConnection;
  namespace?: string;
  pool: Pool;
  renderer: TemplateRenderer;
  /** The SMS window and default time zone come from its model; webhook target names from its sequences. */
  catalog: Catalog;
  config: DeliveryConfig;
}

export interface DeliveryWorkers {
  /** The channels served, in the order of `options`. */
  channels: Channel[];
  /** One worker per served channel, on that channel's send queue. */
  options: WorkerOptions[];
  /** Closes the SMTP connection pool; call once the workers have shut down. */
  close(): void;
}

/** Where each channel's settings sit in createDeliveryActivities' dependencies. */
const DEPENDENCY_OF = { email: 'email', sms: 'sms', in_app: 'inApp', webhook: 'webhook' } as const satisfies Record<Channel, keyof DeliveryDependencies>;

export function deliveryWorkerOptions(deps: DeliveryWorkerDependencies): DeliveryWorkers {
  const { config, catalog } = deps;
  const message: MessageSettings | undefined = config.signingSecret
    ? { sender: config.sender, publicUrl: config.publicUrl, signingSecret: config.signingSecret, offers: config.offers }
    : undefined;
  const transport = message && config.email ? smtpTransport(config.email.smtpUrl) : undefined;

  const channels: DeliveryDependencies = { pool: deps.pool, renderer: deps.renderer };
  if (message && transport && config.email) {
    channels.email = { transport, settings: { ...message, from: config.email.from, domain: config.email.domain } };
  }
  if (message && config.sms) {
    channels.sms = {
      ...message,
      client: createTwilioClient(config.sms),
      from: config.sms.from,
      ...(config.sms.statusCallbackUrl ? { statusCallbackUrl: config.sms.statusCallbackUrl } : {}),
      window: catalog.model.cadence.windows.sms,
      defaultTimezone: catalog.model.defaultTimezone,
      hours: catalog.model.smsHours,
    };
  }
  // In-app messages are rows in our own database: the link secret is all they need.
  if (message) channels.inApp = message;
  if (config.webhook) {
    const target = { url: config.webhook.url, secret: config.webhook.secret };
    channels.webhook = { targets: Object.fromEntries(webhookTargets(catalog).map((name) => [name, target])) };
  }

  const activities = createDeliveryActivities(channels);
  const served = CHANNELS.filter((channel) => channels[DEPENDENCY_OF[channel]]);
  return {
    channels: served,
    options: served.map((channel) => ({
      connection: deps.connection,
      namespace: deps.namespace ?? 'default',
      taskQueue: sendTaskQueue(channel),
      activities,
      interceptors: { activity: [correlationActivityInterceptors] },
    })),
    close: () => transport?.close(),
  };
}

/**
 * A pooled SMTP transport. nodemailer waits up to 10 minutes on a silent server by default; an
 * attempt still waiting when its activity's start-to-close timeout (1 minute) starts a retry could
 * deliver after the retry did: these bound each wait well inside that minute (an SMTP_URL query can
 * override them).
 */
export function smtpTransport(smtpUrl: string) {
  return nodemailer.createTransport({ url: smtpUrl, pool: true, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
}

/** Every webhook target the catalog's sequences name: all of them post to the one configured endpoint. */
function webhookTargets(catalog: Catalog): string[] {
  const steps = Object.values(catalog.versions).flatMap((sequence) => sequence.steps);
  return [...new Set(steps.flatMap((step) => (step.kind === 'webhook' ? [step.target] : [])))];
}
