/**
 * One structured logger: JSON lines on stdout (journald keeps them), one object per event.
 * Secrets never reach a line: keys that look like secrets are replaced before writing.
 */
export type Level = "debug" | "info" | "warn" | "error";

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pin|token|secret|password|authorization|cookie|hash/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  options: { level?: Level; write?: (line: string) => void; base?: Record<string, unknown> } = {},
): Logger {
  const min = ORDER[options.level ?? "info"];
  const write = options.write ?? stdoutLines;
  const base = options.base ?? {};
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    write(
      JSON.stringify({ ts: new Date().toISOString(), level, msg, ...redact(base), ...redact(fields ?? {}) }),
    );
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

let buffered: string[] = [];

/**
 * Lines logged in one turn of the event loop go out in one write (a group commit of 32 facts
 * logs 32 lines); whatever is still buffered is written when the process exits.
 */
function stdoutLines(line: string): void {
  if (buffered.length === 0) queueMicrotask(flushStdout);
  buffered.push(line);
}

function flushStdout(): void {
  if (buffered.length === 0) return;
  const text = `${buffered.join("\n")}\n`;
  buffered = [];
  process.stdout.write(text);
}

process.on("exit", flushStdout);

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEY.test(key)) out[key] = "[redacted]";
    else if (value instanceof Error)
      out[key] = { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
    else out[key] = value;
  }
  return out;
}

/** A logger that writes nothing, for tests that do not read logs. */
export const silentLogger: Logger = createLogger({ write: () => {} });
