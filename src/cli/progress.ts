/** A one-line progress bar on a terminal (stderr), redrawn in place; silent when stderr is not a TTY. */
import type { Progress } from '../train/loop.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

export class ProgressBar {
  private visible = false;
  private lastDraw = 0;
  private taskStart: number | undefined;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(p: Progress): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && p.globalStep < p.totalSteps) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((width * p.globalStep) / p.totalSteps);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const line = `${bar} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps}  ${p.stepsPerSecond.toFixed(2)} steps/s  ETA ${formatDuration(p.etaSeconds)}  D ${p.dLoss.toFixed(3)} G ${p.gLoss.toFixed(3)}`;
    this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns ?? 120) - 1)}`);
    this.visible = true;
  }

  /** A bar for other long work (decoding images, downloads): `label done/total` with an ETA. */
  task(label: string, done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    this.taskStart ??= now;
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = 24;
    const filled = total > 0 ? Math.round((width * done) / total) : 0;
    const elapsed = (now - this.taskStart) / 1000;
    const eta = done > 0 ? (elapsed * (total - done)) / done : NaN;
    this.stream.write(
      `\r\x1b[2K${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${label} ${done}/${total}  ETA ${formatDuration(eta)}`,
    );
    this.visible = true;
    if (done >= total) {
      this.taskStart = undefined;
      this.clear();
    }
  }

  /** Clears the bar so a normal line can be printed. */
  clear(): void {
    if (this.visible) this.stream.write('\r\x1b[2K');
    this.visible = false;
  }
}
