// What the web app's pages share: its options, who is signed in, and the page kit (render, viewer).
import type { Client } from '@temporalio/client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Transporter } from 'nodemailer';
import type { Pool } from 'pg';
import type { Catalog } from '../../core/protocol';
import type { ApiKey } from '../../db/repositories/apiKeys';
import type { DeskRep, HandoffFeed } from '../../db/repositories/desk';

export interface WebOptions {
  pool: Pool;
  client: Client;
  /** Signs the session cookie (NURTURE_LINK_SECRET). */
  secret: string;
  /** The public base of the links mailed to reps (PUBLIC_URL). */
  publicUrl: string;
  /** Mails sign-in links; absent, the page says sign-in by email is not set up. */
  mailer?: { transport: Transporter; from: string };
  feed?: HandoffFeed;
  settleMs?: number;
  /** The catalog this process was deployed with: the preview runs on it, as `nurture simulate` does. */
  catalog?: Catalog;
  /** The promoted variants (sequences/promotions.ts) when this process may write them: a checkout, not an image. */
  promotions?: { read(): Record<string, string>; record(experiment: string, variant: string): void };
  now?: () => number;
}

/** Who is signed in: a rep (the inbox) or a marketer (their key, never its secret). */
type Viewer = { rep: DeskRep; marketer?: undefined } | { marketer: ApiKey; rep?: undefined };

export interface PageKit {
  render(reply: FastifyReply, view: string, data: Record<string, unknown>, status?: number): Promise<FastifyReply>;
  /** Who is signed in; when no one, the sign-in page (or a 401 to a fragment, stream or form) is answered. */
  viewerOf(request: FastifyRequest, reply: FastifyReply): Promise<Viewer | undefined>;
}

