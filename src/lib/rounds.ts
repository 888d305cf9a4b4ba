/**
 * One piece of background work (a relay's publishing, a commander's sending, a sweeper's step)
 * run again and again, NEVER two rounds at once: a timer starts one every `everyMs`, and `kick()`
 * starts one now — or, while one runs and `queue` is on, exactly one more right after it (however
 * many kicks came meanwhile). A round that rejects is reported to `failed` with how many rounds in
 * a row have failed (1 the first time: log then, and once a minute after), and the next round is
 * the retry; a round that resolves resets the count. Never rejects itself.
 */
export interface Rounds {
  kick(): void;
  /** Resolves when no round runs (the one under way, if any, has ended). */
  idle(): Promise<void>;
  /** No new rounds; resolves when the one under way has ended. */
  stop(): Promise<void>;
}

export function startRounds(
  round: () => Promise<void>,
  options: {
    readonly everyMs: number;
    readonly failed: (error: unknown, streak: number) => void;
    /** A kick during a round asks for one more after it (default); off: it is dropped. */
    readonly queue?: boolean;
    /** Start the first round now rather than at the first tick (default on). */
    readonly now?: boolean;
  },
): Rounds {
  let running: Promise<void> | null = null;
  let again = false;
  let streak = 0;
  let stopped = false;
  const kick = () => {
    if (stopped) return;
    if (running !== null) {
      if (options.queue !== false) again = true;
      return;
    }
    running = round()
      .then(() => {
        streak = 0;
      })
      .catch((error: unknown) => {
        streak++;
        options.failed(error, streak);
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          kick();
        }
      });
  };
  const timer = setInterval(kick, options.everyMs);
  if (options.now !== false) kick();
  const idle = async () => {
    while (running !== null) await running;
  };
  return {
    kick,
    idle,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await idle();
    },
  };
}
