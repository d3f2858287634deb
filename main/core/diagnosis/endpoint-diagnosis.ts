/**
 * The diagnosis of an endpoint check (test-endpoint.ps1's answer, HostPort.testEndpoint): the same
 * codes and fixes as a 1008 with the same exception chain, plus what the check itself knows and a
 * 1008 body does not say: which proxy the fetch went through and what HTTP status came back.
 */
import type { EndpointCheck } from '../ports.js';
import type { Diagnosis } from '../model.js';
import type { DiagnosisContext } from './build-context.js';
import { diagnose, diagnosisFor } from './diagnosis.js';

/** null when the endpoint answered 200; otherwise what went wrong and how to fix it. */
export function diagnoseEndpointCheck(check: EndpointCheck, context?: DiagnosisContext): Diagnosis | null {
  if (check.reachable) return null;
  const text = check.error ?? (check.statusCode !== null ? `The endpoint answered HTTP ${check.statusCode} instead of 200.` : 'The endpoint did not answer.');
  const found = diagnose(text, context);
  const details = { ...found.details, server: check.server, ...(check.proxy ? { proxy: check.proxy } : {}) };
  // Through a proxy, "nothing answered" and a 407 are the proxy's doing: the connection that
  // failed was the one to the proxy (HttpClient never reached the endpoint itself).
  if (check.proxy && (found.code === 'network' || check.statusCode === 407)) return diagnosisFor('proxy', details);
  return diagnosisFor(found.code, details);
}
