// The engine's logs: one pino logger per process, JSON lines on stdout (one readable line per record
// when stdout is a terminal). The HTTP API's request lines and everything the Temporal runtime logs
// (the SDK's own lines, the core's forwarded ones, every workflow's and activity's `log`) go into it.
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent, out: typeof process.stdout | typeof process.stderr = process.stdout): Logger {
  const destination: DestinationStream = out.isTTY ? { write: (line) => void out.write(prettyLine(line)) } : pino.destination({ dest: out.fd, sync: true });
  // The SDK logs failures under `error`, as pino does under `err`.
  return pino({ level, serializers: { error: pino.stdSerializers.err } }, destination);
}

/** `12:04:05.123 INFO  message  key=value …` (local time) for a person at a terminal. */
export function prettyLine(json: string): string {
  const { time, level, msg, pid: _pid, hostname: _hostname, ...fields } = JSON.parse(json) as Record<string, unknown>;
  const label = (pino.levels.labels[level as number] ?? String(level)).toUpperCase();
  const extra = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const at = new Date(time as number);
  const clock = `${at.toTimeString().slice(0, 8)}.${String(at.getMilliseconds()).padStart(3, '0')}`;
  return `${clock} ${label.padEnd(5)} ${msg ?? ''}${extra.length ? `  ${extra.join(' ')}` : ''}\n`;
}

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The Temporal runtime's logger, writing into the engine's. The SDK's and its core's progress lines
 * (workers initialising, polling, shutting down) are debug here: at info a worker shows what its
 * workflows and activities do.
 */
export class RuntimeLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: TemporalLogLevel, message: string, meta: LogMetadata = {}): void {
    // Delivery workers run activities only, by design; the SDK warns about that once per queue.
    if (message.startsWith('No workflows registered')) return;
    const progress = level === 'INFO' && (meta.sdkComponent === 'worker' || meta.sdkComponent === 'core');
    this.logger[progress ? 'debug' : PINO_LEVEL[level]](meta, message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
