// Sales reps and teams, and the record of who took each handoff and why.
import type { RoutingContext, RoutingDecision, Rep, RepInput } from '../../core/model/routing';
import { sendWindowsText } from '../../core/model/sendWindow';
import type { Database } from '../pool';

interface RepRow {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  channels: RepInput['channels'];
  territories: string[];
  segments: string[];
  company_size_min: number | null;
  company_size_max: number | null;
  weight: number;
  capacity: number | null;
  working_hours: { zone: string; hours: string } | null;
  out_of_office: { from: string; to: string }[];
  manager: string | null;
  team: string | null;
  active: boolean;
}

/** A rep as it was given (its working hours as text): what the API shows and repSchema reads. */
function repInputOf(row: RepRow): RepInput {
  const size = row.company_size_min === null && row.company_size_max === null ? undefined : { ...(row.company_size_min === null ? {} : { min: row.company_size_min }), ...(row.company_size_max === null ? {} : { max: row.company_size_max }) };
  return {
    id: row.id,
    name: row.name,
    ...(row.email ? { email: row.email } : {}),
    ...(row.phone ? { phone: row.phone } : {}),
    channels: row.channels,
    territories: row.territories,
    industries: row.segments,
    ...(size ? { companySize: size } : {}),
    weight: row.weight,
    ...(row.capacity === null ? {} : { capacity: row.capacity }),
    ...(row.working_hours ? { workingHours: row.working_hours } : {}),
    outOfOffice: row.out_of_office,
    ...(row.manager ? { manager: row.manager } : {}),
    ...(row.team ? { team: row.team } : {}),
    active: row.active,
  };
}

const COLUMNS = 'id, name, email, phone, channels, territories, segments, company_size_min, company_size_max, weight, capacity, working_hours, out_of_office, manager, team, active';

/** Writes a rep: created when `create` (false when the id is taken), else replaced (false when there is none). */
export async function saveRep(db: Database, rep: Rep, create: boolean): Promise<boolean> {
  const values = [
    rep.id,
    rep.name,
    rep.email ?? null,
    rep.phone ?? null,
    rep.channels,
    rep.territories,
    rep.industries,
    rep.companySize?.min ?? null,
    rep.companySize?.max ?? null,
    rep.weight,
    rep.capacity ?? null,
    rep.workingHours ? { zone: rep.workingHours.zone, hours: sendWindowsText(rep.workingHours.hours) } : null,
    JSON.stringify(rep.outOfOffice),
    rep.manager ?? null,
    rep.team ?? null,
    rep.active,
  ];
  const { rowCount } = create
    ? await db.query(`INSERT INTO reps (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO NOTHING`, values)
    : await db.query(
        `UPDATE reps SET name = $2, email = $3, phone = $4, channels = $5, territories = $6, segments = $7, company_size_min = $8, company_size_max = $9,
           weight = $10, capacity = $11, working_hours = $12, out_of_office = $13, manager = $14, team = $15, active = $16, updated_at = now()
         WHERE id = $1`,
        values,
      );
  return Boolean(rowCount);
}

export async function findRep(db: Database, id: string): Promise<RepInput | undefined> {
  const { rows } = await db.query<RepRow>(`SELECT ${COLUMNS} FROM reps WHERE id = $1`, [id]);
  return rows[0] && repInputOf(rows[0]);
}

export async function listReps(db: Database): Promise<RepInput[]> {
  const { rows } = await db.query<RepRow>(`SELECT ${COLUMNS} FROM reps ORDER BY id`);
  return rows.map(repInputOf);
}

export async function teamExists(db: Database, id: string): Promise<boolean> {
  return Boolean((await db.query('SELECT 1 FROM teams WHERE id = $1', [id])).rowCount);
}

export interface Team {
  id: string;
  name: string;
  manager?: string;
  sla: string;
}

/** Creates or replaces a team; true when it was created. */
export async function saveTeam(db: Database, team: Team): Promise<boolean> {
  const { rows } = await db.query<{ created: boolean }>(
    `INSERT INTO teams (id, name, manager, sla) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, manager = EXCLUDED.manager, sla = EXCLUDED.sla, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [team.id, team.name, team.manager ?? null, team.sla],
  );
  return rows[0]!.created;
}

export async function teamSlaOf(db: Database, id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ sla: string }>('SELECT sla FROM teams WHERE id = $1', [id]);
  return rows[0]?.sla;
}

export async function listTeams(db: Database): Promise<Team[]> {
  const { rows } = await db.query<{ id: string; name: string; manager: string | null; sla: string }>('SELECT id, name, manager, sla FROM teams ORDER BY id');
  return rows.map((row) => ({ id: row.id, name: row.name, ...(row.manager ? { manager: row.manager } : {}), sla: row.sla }));
}

// --- assignment ---------------------------------------------------------------------------------

/** A round's decision and when it was made. */
export interface Assignment {
  decision: RoutingDecision;
  at: number;
}

/** The decision already made for this round of this handoff (a retried activity reads it back). */
export async function findAssignment(db: Database, handoffId: string, round: number): Promise<Assignment | undefined> {
  const { rows } = await db.query<{ decision: RoutingDecision; at: Date }>('SELECT decision, at FROM handoff_assignments WHERE handoff_id = $1 AND round = $2', [handoffId, round]);
  return rows[0] && { decision: rows[0].decision, at: rows[0].at.getTime() };
}

/**
 * Every rep, locked until the transaction ends (two handoffs routed at once see each other's
 * assignment), with what the round robin reads: open handoffs and assignments so far per rep, and
 * the owner of the account: the rep of the latest handoff of a lead of `domain`.
 */
export async function routingInputs(db: Database, domain: string | undefined): Promise<{ reps: RepInput[]; context: Omit<RoutingContext, 'now' | 'exclude'> }> {
  const { rows } = await db.query<RepRow & { assigned: number }>(`SELECT ${COLUMNS}, assigned FROM reps ORDER BY id FOR UPDATE`);
  const open = await db.query<{ owner: string; open: number }>("SELECT owner, count(*)::int AS open FROM handoffs WHERE status = 'open' AND owner IS NOT NULL GROUP BY owner");
  const account = domain
    ? await db.query<{ owner: string }>(
        `SELECT owner FROM handoffs WHERE owner IS NOT NULL AND context->'profile'->>'emailDomain' = $1 ORDER BY opened_at DESC LIMIT 1`,
        [domain],
      )
    : undefined;
  return {
    reps: rows.map(repInputOf),
    context: {
      open: Object.fromEntries(open.rows.map((row) => [row.owner, row.open])),
      assigned: Object.fromEntries(rows.map((row) => [row.id, row.assigned])),
      ...(account?.rows[0] ? { accountOwner: account.rows[0].owner } : {}),
    },
  };
}

/** Records the decision of this round and counts the assignment for the round robin. */
export async function recordAssignment(db: Database, handoffId: string, round: number, { decision, at }: Assignment): Promise<void> {
  await db.query('INSERT INTO handoff_assignments (handoff_id, round, owner, decision, at) VALUES ($1, $2, $3, $4, $5)', [handoffId, round, decision.owner ?? null, decision, new Date(at)]);
  if (decision.owner) await db.query('UPDATE reps SET assigned = assigned + 1, last_assigned_at = clock_timestamp() WHERE id = $1', [decision.owner]);
}

/** Why the task went to whom, round by round; `startsAt` when the owner was not working yet. */
export async function assignmentsOf(db: Database, handoffId: string): Promise<(Omit<RoutingDecision, 'startsAt'> & { round: number; at: string; startsAt?: string })[]> {
  const { rows } = await db.query<{ round: number; decision: RoutingDecision; at: Date }>('SELECT round, decision, at FROM handoff_assignments WHERE handoff_id = $1 ORDER BY round', [handoffId]);
  return rows.map(({ round, at, decision: { startsAt, ...decision } }) => ({ round, at: at.toISOString(), ...decision, ...(startsAt === undefined ? {} : { startsAt: new Date(startsAt).toISOString() }) }));
}
