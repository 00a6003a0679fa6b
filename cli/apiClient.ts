// How the `nurture` commands that talk to a running engine find it: the API's URL and a key, from
// options, the environment, or the local engine's data folder.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { dataDirOf, parseConfig } from '../app/config';
import { InputError } from './inputs';

export interface ApiTarget {
  /** The API's base URL (default: NURTURE_API_URL, else the local engine on PORT). */
  api?: string;
  /** An API key (default: NURTURE_API_KEY, else the local engine's dev key). */
  key?: string;
}

export function resolveApiTarget(options: ApiTarget, env: Record<string, string | undefined>): { api: string; key: string } {
  const config = parseConfig(env);
  const api = (options.api ?? config.NURTURE_API_URL ?? `http://127.0.0.1:${config.PORT}`).replace(/\/$/, '');
  const key = options.key ?? config.NURTURE_API_KEY ?? localDevKey(dataDirOf(config));
  if (!key) throw new InputError('no API key: pass --key, or set NURTURE_API_KEY');
  return { api, key };
}

/** The answer's JSON, or an InputError that says what the API said was wrong. */
export async function apiAnswer<T>(response: Response): Promise<T> {
  const body = (await response.json()) as T & { error?: string; details?: { path: string; message: string }[] };
  if (!response.ok) throw new InputError(`${body.error ?? response.statusText}${body.details?.length ? `: ${body.details.map((d) => `${d.path}: ${d.message}`).join('; ')}` : ''}`);
  return body;
}

function localDevKey(dataDir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as { apiKey?: string }).apiKey;
  } catch {
    return undefined;
  }
}

/** The API's answer as it comes, or an InputError when the API cannot be reached. */
export async function requestApi(target: { api: string; key: string }, method: 'GET' | 'POST' | 'PATCH', route: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(`${target.api}${route}`, {
      method,
      headers: { authorization: `Bearer ${target.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new InputError(`cannot reach the API at ${target.api}: ${(err as Error).cause ?? (err as Error).message}`);
  }
}

/** One API call whose answer is checked: a changed answer is reported by its field, not printed as `undefined`. */
export async function callApi<T>(target: { api: string; key: string }, method: 'GET' | 'POST' | 'PATCH', route: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  const response = await requestApi(target, method, route, body);
  const answer = schema.safeParse(await apiAnswer<unknown>(response));
  if (!answer.success) throw new InputError(`${method} ${route}: unexpected answer: ${answer.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return answer.data;
}

const createdKeySchema = z.object({ id: z.string(), secret: z.string(), scopes: z.array(z.string()) });

/** `nurture keys create`: a new API key with these scopes, made by the API with an admin key. */
export function createKey(name: string, scopes: string[], target: ApiTarget & { rep?: string }, env: Record<string, string | undefined> = process.env): Promise<z.infer<typeof createdKeySchema>> {
  return callApi(resolveApiTarget(target, env), 'POST', '/v1/keys', createdKeySchema, { name, scopes, ...(target.rep ? { rep: target.rep } : {}) });
}
