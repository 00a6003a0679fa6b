// `nurture lead <id>`: the lead's timeline, one line per entry, oldest first: what the lead did, what
// the engine decided and why, what was sent (or held back, and why), stage, consent and handoffs.
import { z } from 'zod';
import { timelineSummary } from '../core/timelineText';
import { callApi, resolveApiTarget, type ApiTarget } from './apiClient';

const page = z.object({ items: z.array(z.object({ at: z.string(), kind: z.string(), detail: z.record(z.string(), z.unknown()) })), nextOffset: z.number().nullable() });
export async function timelineLines(leadId: string, target: ApiTarget, env: Record<string, string | undefined> = process.env): Promise<string[]> {
  const resolved = resolveApiTarget(target, env);
  const lines: string[] = [];
  for (let offset: number | null = 0; offset !== null; ) {
    const { items, nextOffset }: z.infer<typeof page> = await callApi(resolved, 'GET', `/v1/leads/${encodeURIComponent(leadId)}/timeline?limit=1000&offset=${offset}`, page);
    for (const entry of items) lines.push([entry.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), entry.kind.padEnd(14), timelineSummary(entry.kind, entry.detail), JSON.stringify(entry.detail)].join('  '));
    offset = nextOffset;
  }
  return lines;
}
