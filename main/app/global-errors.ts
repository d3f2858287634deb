/**
 * The one place for fatal and unexpected errors: uncaughtException, unhandledRejection and a
 * renderer that crashed. Each is logged; a crashed renderer is reloaded once, then the admin is told.
 */
import type { App, RenderProcessGoneDetails, WebContents } from 'electron';

export interface ErrorSink {
  error(message: string): void;
}

export function installGlobalErrorHandlers(deps: {
  app: Pick<App, 'on'>;
  processLike: Pick<NodeJS.Process, 'on'>;
  log: ErrorSink;
  showError: (title: string, message: string) => void;
}): void {
  const { app, processLike, log, showError } = deps;
  processLike.on('uncaughtException', (error: Error) => {
    log.error(`uncaught exception: ${error.stack ?? error.message}`);
  });
  processLike.on('unhandledRejection', (reason: unknown) => {
    log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  const reloaded = new WeakSet<WebContents>();
  app.on('render-process-gone', (_event, contents: WebContents, details: RenderProcessGoneDetails) => {
    log.error(`the window's renderer is gone: ${details.reason} (exit code ${details.exitCode})`);
    if (details.reason === 'clean-exit') return;
    if (!reloaded.has(contents) && !contents.isDestroyed()) {
      reloaded.add(contents);
      contents.reload();
      return;
    }
    showError('EEMS Watch window stopped', `The window stopped twice (${details.reason}). Polling and notifications go on; reopen the window from the tray. The log has the details.`);
  });
}
