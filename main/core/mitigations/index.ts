/**
 * The mitigation logic, in one room: how EEMS Watch reaches a verdict on a mitigation and, from the
 * verdict, a removal plan. Read the files in this order:
 *
 * 1. builds.ts: the server's build, read from ExSetup's FileVersion (the SU level) or, failing that,
 *    AdminDisplayVersion (the CU only), compared as [System.Version] and named from the build table.
 * 2. knowledge-schema.ts / knowledge-base.ts: the catalogue (mitigations.json) and build table
 *    (builds.json), versioned data with a schema, mergeable with an admin's override. Every fact
 *    carries its source.
 * 3. evidence.ts: for one mitigation and one server build, two builds per CU line with their sources:
 *    fixedIn (the CVE record's fixed build: is the code fix installed?) and removableFrom (Microsoft's
 *    removal guidance: may the mitigation go?). When sources differ, the later build decides and
 *    `disagreement` says who says what. Only removableFrom ever makes a mitigation removable.
 *    artefacts.ts: what a mitigation left on the server (EEMS's and EOMT's rules, by name or by the
 *    behaviour signature in the catalogue), and who applied it.
 * 4. staleness.ts: every mitigation on a server (applied, blocked, or only an artefact left) gets a
 *    verdict (contracts.md, `stale`): active, stale-applied, orphan-artefact, orphan-unfixed,
 *    blocked, heartbeat. Only stale-applied and orphan-artefact are removable.
 * 5. removal-plan.ts / action-steps.ts: a removable verdict becomes a plan of data steps (back up,
 *    block the family and the applied ID, remove, verify), each with one argument shape that every
 *    host checks before it runs, each saying where it runs (`channel`), the plan carrying its evidence.
 *    planRemoval judges the server again itself: a verdict passed in is never trusted alone.
 * 6. powershell-quote.ts / plan-script.ts: the shown PowerShell and the "Copy as .ps1" script, quoted
 *    so no character ends a string (all five single-quote characters are doubled).
 * 7. server-plans.ts: plans that give protection back (start the service, unblock, re-enable).
 *    knowledge-age.ts: whether a watched server runs a build newer than the knowledge knows.
 */
export * from './builds.js';
export * from './knowledge-base.js';
export * from './evidence.js';
export * from './artefacts.js';
export * from './powershell-quote.js';
export * from './knowledge-age.js';
export * from './plan-script.js';
export * from './server-plans.js';
export * from './staleness.js';
export * from './removal-plan.js';
export * from './action-steps.js';
