// The deployment's model, owned by marketing beside its sequences: who fits (the ideal customer
// profile), what intent is worth, when a lead is an MQL and when sales get it, how often it may be
// touched, and the holdout that measures it all. `nurture lint` checks it with the sequences
// (thresholds no lead can reach, intent earned by opens alone, caps a sequence always runs into).
// What is left out keeps the engine's default (core/model/tuning.ts).
import type { ModelInput } from '../core/model/tuning';

export const deploymentModel: ModelInput = {
  scoring: {
    fitPoints: { industry: 15, companySize: 15, country: 5, freeMail: -10, competitor: -50 },
    halfLife: '30d',
  },
  qualification: {
    mql: { fit: 20, intent: 10, total: 40 },
    handoff: { total: 60, recentWindow: '72h' },
  },
  cadence: {
    caps: {
      email: { limit: 3, window: '7d' },
      sms: { limit: 1, window: '7d' },
      all: { limit: 4, window: '7d' },
    },
  },
  holdoutPercent: 10,
};
