// "Everyone for a while" (DESIGN §2, setTemporaryEveryone): Everyone until a time the settings
// hold, then Contacts only again by itself, also when that time passed while the node was not
// running.

import type { SettingsStore } from '../storage/settings.js';

export interface TemporaryEveryoneOptions {
  settings: Pick<SettingsStore, 'get' | 'update'>;
  /** The mode the settings now hold must take effect (the node applies it). */
  applyMode: () => Promise<void>;
  warn: (message: string) => void;
}

/** setTimeout's longest delay (about 24.8 days): longer windows are armed in steps. */
const TIMER_MAX_MS = 2 ** 31 - 1;

export class TemporaryEveryone {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: TemporaryEveryoneOptions) {}

  /** At start: a window that ended while the node was not running ends now; one still open is armed. */
  async settle(): Promise<void> {
    const until = this.opts.settings.get().everyoneUntil;
    if (until && Date.parse(until) <= Date.now()) await this.opts.settings.update({ discovery: 'contacts-only', everyoneUntil: null });
    this.arm();
  }

  /** (Re)arms the return to Contacts only for the time the settings hold (none: disarmed). */
  arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const until = this.opts.settings.get().everyoneUntil;
    if (!until || this.stopped) return;
    const left = Date.parse(until) - Date.now();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (left > TIMER_MAX_MS) return this.arm();
      if (this.stopped || !this.opts.settings.get().everyoneUntil) return;
      void this.opts.settings
        .update({ discovery: 'contacts-only', everyoneUntil: null })
        .then(() => this.opts.applyMode())
        .catch((err: unknown) => this.opts.warn(`could not return to Contacts only: ${(err as Error).message}`));
    }, Math.min(Math.max(0, left), TIMER_MAX_MS));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
