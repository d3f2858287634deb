/**
 * The IPC channels between the preload and main. Only these exist; main/app/preload.cts repeats
 * the names (a sandboxed preload cannot import), and a test keeps the two equal.
 */
export const IPC = {
  /** invoke(method, input) -> ApiResult */
  apiCall: 'eems-api:call',
  /** main -> renderer: ApiEvent */
  apiEvent: 'eems-api:event',
  /** renderer -> main: { level, message } forwarded into the app log */
  log: 'eems-log',
} as const;
