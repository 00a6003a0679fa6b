// Winning variants of A/B tests, by experiment (`<sequence>/<step>`): each makes its step send the
// variant's template for everyone from the lead workers' next start (a new sequence version).
// `nurture experiments promote <experiment> <variant>` writes this file; review and commit it.
export const promotions: Record<string, string> = {};
