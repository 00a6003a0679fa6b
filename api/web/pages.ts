// The web app under /app, one frame for its two sides: one Liquid engine over views/, the signed
// session, the static assets, the same-origin rule for forms, and signing in (a rep by a link mailed
// to them, a marketer with a key of the marketing scope). The sales inbox (desk.ts) and the
// marketers' pages (marketing/) render through it and ask it who is signed in.
import fs from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Liquid } from 'liquidjs';
import { z } from 'zod';
import { findApiKey, findApiKeyById } from '../../db/repositories/apiKeys';
import { createSignIn, findDeskRep, redeemSignIn } from '../../db/repositories/desk';
import { allows } from '../plugins/auth';
import { deskRoutes } from './desk';
import { marketingRoutes } from './marketing';
import type { PageKit, WebOptions } from './kit';
import { endSession, signedIn, startSession, type SessionSettings } from './session';

const VIEWS = path.join(__dirname, 'views');
const SIGN_IN_TTL_MS = 15 * 60 * 1000;

/** The files the pages load: ours, and htmx (with its SSE extension) and Chart.js from their npm packages. */
const ASSETS: Record<string, { file: string; type: string }> = {
  'app.css': { file: path.join(__dirname, 'assets/app.css'), type: 'text/css' },
  'app.js': { file: path.join(__dirname, 'assets/app.js'), type: 'text/javascript' },
  'charts.js': { file: path.join(__dirname, 'assets/charts.js'), type: 'text/javascript' },
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript' },
  // The package's main is its ES module build; a page loads the classic script beside it.
  'sse.js': { file: path.join(path.dirname(require.resolve('htmx-ext-sse/package.json')), 'dist/sse.min.js'), type: 'text/javascript' },
  // Beside the package's main (its exports hide the rest): the browser build, one classic script.
  'chart.umd.min.js': { file: path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), type: 'text/javascript' },
};

const signInBody = z.object({ email: z.string().trim().email().max(320) });
const keySignInBody = z.object({ key: z.string().trim().min(1).max(200) });
const tokenParams = z.object({ token: z.string().min(1).max(200) });

export const webApp: FastifyPluginAsyncZod<WebOptions> = async (app, options) => {
  const { pool, mailer, now = Date.now } = options;
  const session: SessionSettings = { secret: options.secret, secure: options.publicUrl.startsWith('https:'), now };
  const liquid = new Liquid({ root: VIEWS, extname: '.liquid', outputEscape: 'escape', strictFilters: true, cache: true });
  const assets = Object.fromEntries(Object.entries(ASSETS).map(([name, { file, type }]) => [name, { body: fs.readFileSync(file), type }]));

  await app.register(cookie);

  const render: PageKit['render'] = async (reply, view, data, status = 200) =>
    reply
      .code(status)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(await liquid.renderFile(view, data));

  const signInPage = (reply: FastifyReply, data: Record<string, unknown> = {}, status = 200) => render(reply, 'signIn', { mailer: Boolean(mailer), ...data }, status);

  const viewerOf: PageKit['viewerOf'] = async (request, reply) => {
    const who = signedIn(request, session);
    if (who && 'rep' in who) {
      const rep = await findDeskRep(pool, who.rep);
      if (rep) return { rep };
    } else if (who) {
      const key = await findApiKeyById(pool, who.key);
      if (key && allows(key, 'marketing')) return { marketer: key };
    }
    endSession(reply);
    if (request.headers['hx-request'] || request.method !== 'GET') return void (await reply.code(401).send());
    return void (await signInPage(reply));
  };

  // Forms post from our own pages only: a browser names the page's origin on every POST.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (request.method === 'POST' && origin && origin !== `${request.protocol}://${request.host}`) await reply.code(403).send('cross-site form posts are refused');
  });

  app.get('/app/assets/:name', { schema: { params: z.object({ name: z.string() }), hide: true } }, async (request, reply) => {
    const asset = assets[request.params.name];
    if (!asset) return reply.code(404).send();
    return reply.header('cache-control', 'public, max-age=3600').type(asset.type).send(asset.body);
  });

  app.post('/app/sign-in', { schema: { hide: true } }, async (request, reply) => {
    const body = signInBody.safeParse(request.body);
    if (!body.success) return signInPage(reply, { error: 'email: enter the address you receive handoff alerts at' }, 400);
    if (!mailer) return signInPage(reply, {}, 503);
    const link = await createSignIn(pool, body.data.email, SIGN_IN_TTL_MS);
    if (link) {
      const url = `${options.publicUrl.replace(/\/$/, '')}/app/sign-in/${link.token}`;
      await mailer.transport.sendMail({
        from: mailer.from,
        to: body.data.email,
        subject: 'Your sign-in link to the sales inbox',
        text: await liquid.renderFile('signInEmail', { name: link.name, url, minutes: SIGN_IN_TTL_MS / 60_000 }),
      });
    }
    // The same answer whether or not the address is a rep's: the page tells no one who works here.
    return render(reply, 'message', { title: 'Check your email', message: `If ${body.data.email} belongs to a rep, a sign-in link is on its way. It works once, within ${SIGN_IN_TTL_MS / 60_000} minutes.` });
  });

  // A marketer signs in with a key of the marketing scope (`nurture keys create --scope marketing`).
  app.post('/app/sign-in/key', { schema: { hide: true } }, async (request, reply) => {
    const body = keySignInBody.safeParse(request.body);
    const key = body.success ? await findApiKey(pool, body.data.key) : undefined;
    if (!key || !allows(key, 'marketing')) return signInPage(reply, { keyError: 'key: unknown, revoked, or without the marketing scope' }, 401);
    startSession(reply, { key: key.id }, session);
    return reply.redirect('/app/overview', 303);
  });

  // A mail scanner may follow the link: GET only shows the button, POST signs in.
  app.get('/app/sign-in/:token', { schema: { params: tokenParams, hide: true } }, async (_request, reply) => render(reply, 'confirmSignIn', {}));

  app.post('/app/sign-in/:token', { schema: { params: tokenParams, hide: true } }, async (request, reply) => {
    const rep = await redeemSignIn(pool, request.params.token);
    if (!rep) return render(reply, 'message', { title: 'Link expired', message: 'This sign-in link was used already or has expired. Ask for a new one.', signIn: true }, 410);
    startSession(reply, { rep }, session);
    return reply.redirect('/app', 303);
  });

  app.post('/app/sign-out', { schema: { hide: true } }, async (_request, reply) => {
    endSession(reply);
    return reply.redirect('/app', 303);
  });

  const kit: PageKit = { render, viewerOf };
  await app.register(deskRoutes, { ...options, kit });
  await app.register(marketingRoutes, { ...options, kit });
};
