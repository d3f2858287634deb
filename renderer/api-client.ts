/**
 * The renderer's only way to the engine: an EemsApiBridge. In Electron the preload provides
 * window.eemsApi; in a browser (eems-watch serve) the same interface is built over fetch (POST
 * /api/<method> with the session cookie and the session's header key, browser-session.ts) and a
 * streamed fetch of /api/events (an EventSource cannot send the header key).
 */
import type { ApiEvent, ApiInput, ApiMethod, ApiOutput, ApiResult, EemsApiBridge, PreloadApi } from '../main/api/eems-api.js';
import { adoptSessionKey, sessionHeaders, signInErrorOfPage } from './browser-session.js';
import { showSignInPanel } from './sign-in-panel.js';

declare global {
  interface Window {
    eemsApi?: PreloadApi;
  }
}

function failure(message: string): ApiResult<never> {
  return { ok: false, error: { code: 'failed', message } };
}

/** Hand each complete `data:` event of a server-sent event text to `emit`; the unfinished rest. */
function takeEvents(buffer: string, emit: (event: ApiEvent) => void): string {
  const blocks = buffer.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data === '') continue;
    try {
      emit(JSON.parse(data) as ApiEvent);
    } catch {
      // A damaged event is skipped; the next one is whole again.
    }
  }
  return rest;
}

/** The HTTP bridge of the headless server. */
export function createHttpBridge(base = ''): EemsApiBridge {
  const listeners = new Set<(event: ApiEvent) => void>();
  let stream: AbortController | null = null;
  adoptSessionKey();
  const pageError = signInErrorOfPage();
  if (pageError) showSignInPanel(pageError);

  const emit = (event: ApiEvent): void => {
    for (const listener of listeners) listener(event);
  };
  const connect = async (control: AbortController): Promise<void> => {
    while (!control.signal.aborted) {
      try {
        const response = await fetch(`${base}/api/events`, { headers: sessionHeaders(), credentials: 'same-origin', signal: control.signal });
        if (response.status === 401) {
          const result = (await response.json()) as ApiResult<never>;
          if (!result.ok) showSignInPanel(result.error.message);
          return;
        }
        const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const chunk = await reader?.read();
          if (!chunk || chunk.done) break;
          buffer = takeEvents(buffer + chunk.value, emit);
        }
      } catch {
        // The server went away or the stream broke: try again below, as EventSource would.
      }
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  };

  return {
    async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiResult<ApiOutput<M>>> {
      let response: Response;
      try {
        response = await fetch(`${base}/api/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...sessionHeaders() },
          body: JSON.stringify(input),
          credentials: 'same-origin',
        });
      } catch {
        return failure('The EEMS Watch server does not answer. Is `eems-watch serve` still running?');
      }
      let result: ApiResult<ApiOutput<M>>;
      try {
        result = (await response.json()) as ApiResult<ApiOutput<M>>;
      } catch {
        return failure(`The server answered ${response.status} without a result. Reload the page.`);
      }
      if (response.status === 401 && !result.ok) showSignInPanel(result.error.message);
      return result;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!stream) {
        stream = new AbortController();
        void connect(stream);
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && stream) {
          stream.abort();
          stream = null;
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
