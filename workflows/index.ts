// The workflows the worker registers: the bundler's entry point.
export { leadWorkflow } from './lead';
export { salesHandoffWorkflow } from './handoff';
