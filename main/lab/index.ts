/**
 * The simulated Exchange organisation (demo mode and test bed of the engine): create and advance a
 * lab on disk, switch faults, and talk to it through the same HostPort as real Exchange.
 */
export { initLab, advanceLab, setLabFault, summarizeLab } from './lab.js';
export type { InitLabOptions, AdvanceResult, LabSummary, LabServerSummary } from './lab.js';
export { createLabHost } from './lab-host.js';
export type { LabHost, LabHostOptions } from './lab-host.js';
export { SCENARIOS } from './scenarios.js';
export { LabFileError, NotALabError, labPaths } from './lab-store.js';
export { FETCH_FAILURE_CODES } from './lab-types.js';
export type { LabFault, FetchFailureCode, ServerAdvanceReport } from './lab-types.js';
export { describeFailure } from './eems-cycle.js';
