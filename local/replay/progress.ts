/**
 * Progress of `churnwatch replay` on stderr: a redrawn bar on a terminal, a plain line every
 * few seconds elsewhere (pipes, CI logs), nothing for runs shorter than that.
 */

export interface ProgressSink {
  readonly write: (text: string) => void;
  /** Redraw one line in place (a terminal), or print a line now and then. */
  readonly interactive: boolean;
  readonly now: () => number;
  /** Between plain lines when not interactive. */
  readonly intervalMs?: number;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function formatRate(count: number, ms: number): string {
  return ms > 0 ? formatCount((count * 1000) / ms) : "–";
}

export class Progress {
  private readonly startedAt: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastLine: number;
  private drawn = false;

  constructor(
    private readonly sink: ProgressSink,
    /** Lines this run will read (from --from-line to the end). */
    private readonly totalLines: number,
  ) {
    this.startedAt = sink.now();
    this.lastLine = this.startedAt;
  }

  /** After each batch: lines read so far (this run), events posted so far. */
  update(linesDone: number, eventsPosted: number, force = false): void {
    const now = this.sink.now();
    const elapsed = now - this.startedAt;
    const fraction = this.totalLines > 0 ? Math.min(1, linesDone / this.totalLines) : 1;
    const etaMs = linesDone > 0 ? (elapsed / linesDone) * (this.totalLines - linesDone) : undefined;
    const eta = etaMs === undefined ? "–" : formatDuration(etaMs);
    const rate = formatRate(eventsPosted, elapsed);
    const percent = `${Math.floor(fraction * 100)}%`;
    if (this.sink.interactive) {
      if (!force && now - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = now;
      const filled = Math.round(fraction * BAR_WIDTH);
      const bar = `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
      this.sink.write(
        `\r\x1b[K${bar} ${percent.padStart(4)}  ${formatCount(eventsPosted)}/${formatCount(
          this.totalLines,
        )} events  ${rate} events/s  ETA ${eta}`,
      );
      this.drawn = true;
      return;
    }
    if (now - this.lastLine < (this.sink.intervalMs ?? 10_000)) return;
    this.lastLine = now;
    this.sink.write(
      `replay: ${formatCount(linesDone)}/${formatCount(this.totalLines)} lines (${percent}), ${formatCount(
        eventsPosted,
      )} events posted, ${rate} events/s, ETA ${eta}\n`,
    );
  }

  /** While waiting for the pipeline to drain. */
  waiting(remaining: number, sinceMs: number): void {
    const now = this.sink.now();
    if (this.sink.interactive) {
      if (now - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = now;
      this.sink.write(
        `\r\x1b[Kwaiting for the pipeline: ${formatCount(remaining)} messages queued (${formatDuration(
          now - sinceMs,
        )})`,
      );
      this.drawn = true;
      return;
    }
    if (now - this.lastLine < (this.sink.intervalMs ?? 10_000)) return;
    this.lastLine = now;
    this.sink.write(
      `replay: waiting for the pipeline, ${formatCount(remaining)} messages queued\n`,
    );
  }

  /** Clears the bar so the summary starts on a clean line. */
  done(): void {
    if (this.sink.interactive && this.drawn) this.sink.write("\r\x1b[K");
    this.drawn = false;
  }
}
