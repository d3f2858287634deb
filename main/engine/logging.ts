/**
 * The engine's own log: winston with a daily-rotating file (and the console when asked). Logging
 * must never take the app down: every transport gets an error handler, and a failing file only
 * costs log lines. close() flushes before the process ends.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';

export interface LoggerOptions {
  /** Folder of eems-watch-YYYY-MM-DD.log and its rotation audit file. */
  dir: string;
  level?: string;
  console?: boolean;
  /** Days of log kept (default 14). */
  keepDays?: number;
  /** Rotate within a day past this size (default 10m, as winston-daily-rotate-file writes it). */
  maxSize?: string;
}

/** Create the logger. The returned logger's `close()` resolves once every line is on disk. */
export function createLogger(options: LoggerOptions): winston.Logger & { close(): Promise<void> } {
  mkdirSync(options.dir, { recursive: true });
  const file = new DailyRotateFile({
    dirname: options.dir,
    filename: 'eems-watch-%DATE%.log',
    datePattern: 'YYYY-MM-DD',
    // Explicit, so two loggers in one folder (app and CLI) never share or overwrite each other's.
    auditFile: join(options.dir, 'eems-watch-log-audit.json'),
    maxFiles: `${options.keepDays ?? 14}d`,
    maxSize: options.maxSize ?? '10m',
    utc: true,
  });
  const transports: winston.transport[] = [file];
  if (options.console) transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] }));
  for (const transport of transports) {
    transport.on('error', (error: Error) => {
      // The log itself failed (disk full, folder gone): say so once on stderr, keep running.
      process.stderr.write(`eems-watch: the log could not be written (${error.message}); carrying on without it.\n`);
    });
  }
  const logger = winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports,
    exitOnError: false,
  });
  const close = () =>
    new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          resolve();
        }
      };
      file.on('finish', finish);
      logger.on('finish', () => setTimeout(finish, 50));
      logger.end();
    });
  return Object.assign(logger, { close });
}
