// Every behaviour change of workflow code since the baseline, as the SDK keeps its own flags: a
// change to what a workflow does (the commands it issues, their order, their inputs) would make
// running leads non-deterministic, so it is made under `patched('<id>')` with the id registered
// here, and recorded in new replay fixtures beside the old ones. An id is never reused, and a
// change is never made under an existing id. `test/unit/patches.test.ts` checks that the ids the
// workflow code asks for and the ids registered here are the same.
//
// The baseline: the histories recorded on 2026-12-04 (test/replay/histories), before the first
// release; the pre-release patches (`store-as-local-activities`, `lean-activations`) and their
// fixture eras were retired then.

export interface Patch {
  /** What `patched()` is asked for; kebab-case. */
  id: string;
  /** What changed and why, in one line. */
  why: string;
  /** The date the change was made (YYYY-MM-DD). */
  since: string;
}

export const PATCHES: readonly Patch[] = [
  {
    id: 'consent-facts',
    why: 'consent as facts with a time (the latest stands, a refusal wins a tie), email consent by policy, a revoked channel cancels its planned touch',
    since: '2026-12-04',
  },
  {
    id: 'sms-zones',
    why: 'SMS in every zone the lead may be in (inferred from its number or country) and inside the legal hours of its state; held until a zone is known',
    since: '2026-12-04',
  },
  {
    id: 'working-time-sla',
    why: "a handoff's SLA counts the assigned rep's working time from when they start (their team's SLA if set), as the rep assignment answers it",
    since: '2026-12-04',
  },
  {
    id: 'desk-actions',
    why: 'a manager may reassign an open handoff (to a named rep or by the rules, a fresh SLA, no escalation) and its owner may snooze it (the SLA due then); assignment rounds are counted by the workflow, notices keyed by round',
    since: '2026-12-04',
  },
  {
    id: 'handoff-queue',
    why: "a sales handoff runs on its own task queue (the lead queue's name + `-handoffs`), so its workflow tasks and activities never wait behind other leads' events",
    since: '2026-12-04',
  },
  {
    id: 'lead-segment',
    why: "the snapshot written with a lead's decisions carries its lead-matrix segment (fit A–D × intent 1–4), so lists and the funnel can group by it",
    since: '2026-12-04',
  },
  {
    id: 'experiments',
    why: "a message step with variants sends the lead's variant (assigned by a hash of the experiment and the lead), and its touch names the experiment and the variant",
    since: '2026-12-04',
  },
  {
    id: 'catalog-refresh',
    why: "at a wake-up the lead reloads the catalog when the worker's differs from the one it loaded, and moves onto its sequence's new version as that version's migration says (pin, next-step, restart)",
    since: '2026-12-04',
  },
  {
    id: 'send-heartbeat',
    why: 'a send is scheduled with a 10 s heartbeat timeout (a long send heartbeats), so one on a worker that died is retried within seconds instead of after its one-minute start-to-close timeout',
    since: '2026-12-04',
  },
  {
    id: 'channel-and-wait-variants',
    why: "a message step's variant may send on another channel (its consent, caps and send window then), and a wait may be an A/B test of its duration, its exposure recorded as a decision",
    since: '2026-12-05',
  },
  {
    id: 'handoff-local-activities',
    why: "a sales handoff's activities (assigning the rep, writing the task, alerting, closing) run as local activities inside the workflow task that asks for them, so a rep's alert waits on no server round trip per step",
    since: '2026-12-05',
  },
];
