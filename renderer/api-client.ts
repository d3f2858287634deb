/**
 * The renderer's only way to the engine: an EemsApiBridge. In Electron the preload provides
 * window.eemsApi; in a browser (eems-watch serve) the same interface is built over fetch (POST
 * /api/<method>, the session cookie travels by itself) and an EventSource on /api/events.
 */
import type { ApiEvent, ApiInput, ApiMethod, ApiOutput, ApiResult, EemsApiBridge, PreloadApi } from '../main/api/eems-api.js';

declare global {
  interface Window {
    eemsApi?: PreloadApi;
  }
}

function failure(message: string): ApiResult<never> {
  return { ok: false, error: { code: 'failed', message } };
}

/** The HTTP bridge of the headless server. */
export function createHttpBridge(base = ''): EemsApiBridge {
  const listeners = new Set<(event: ApiEvent) => void>();
  let source: EventSource | null = null;

  const connect = (): void => {
    source = new EventSource(`${base}/api/events`);
    source.onmessage = (message) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(String(message.data)) as ApiEvent;
      } catch {
        return;
      }
      for (const listener of listeners) listener(event);
    };
  };

  return {
    async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiResult<ApiOutput<M>>> {
      let response: Response;
      try {
        response = await fetch(`${base}/api/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(input),
          credentials: 'same-origin',
        });
      } catch {
        return failure('The EEMS Watch server does not answer. Is `eems-watch serve` still running?');
      }
      try {
        return (await response.json()) as ApiResult<ApiOutput<M>>;
      } catch {
        return failure(`The server answered ${response.status} without a result. Reload the page.`);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!source) connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}

/** The bridge over the Electron preload (one function per method). */
export function createPreloadBridge(preload: PreloadApi): EemsApiBridge {
  return {
    async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiResult<ApiOutput<M>>> {
      const fn = preload[method] as unknown as ((input: ApiInput<M>) => Promise<ApiResult<ApiOutput<M>>>) | undefined;
      if (typeof fn !== 'function') return failure(`This window does not offer ${method}. Restart EEMS Watch.`);
      try {
        return await fn(input);
      } catch (error) {
        return failure((error as Error).message);
      }
    },
    subscribe: (listener) => preload.subscribe(listener),
  };
}

/**
 * In Electron, errors of this page go to the app's log file (the headless server's browser has its
 * own console). Nothing is sent when there is no preload.
 */
export function forwardErrorsToAppLog(): void {
  const preload = window.eemsApi;
  if (!preload) return;
  window.addEventListener('error', (event) => preload.log('error', `${event.message} (${event.filename}:${event.lineno})`));
  window.addEventListener('unhandledrejection', (event) => preload.log('error', `unhandled rejection: ${String((event.reason as Error)?.stack ?? event.reason)}`));
}

/** The bridge this page talks to: Electron's preload when present, else HTTP. */
export function getBridge(): EemsApiBridge {
  return window.eemsApi ? createPreloadBridge(window.eemsApi) : createHttpBridge();
}
