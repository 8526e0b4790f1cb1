// The workflows Temporal bundles and registers; everything in this folder must stay deterministic.
export { executionWorkflow } from './execution.ts';
export { maintenanceWorkflow } from './maintenance.ts';
export { runWorkflow } from './run.ts';
