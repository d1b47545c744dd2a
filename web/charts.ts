/** Line charts on uPlot: loss curves (raw and smoothed) and evaluation metrics over training steps. */
import uPlot from 'uplot';
import type { EvalLine, MetricsLine, StepLine } from './api.js';
import { isEvalLine, isStepLine } from './api.js';
import { h } from './dom.js';
import { hooks } from './hooks.js';

export const COLORS = { d: '#2563eb', g: '#ea580c', a: '#0f766e', b: '#9333ea' };

export interface SeriesSpec {
  label: string;
  color: string;
  /** Thin and faint (raw values under a smoothed line). */
  faint?: boolean;
  dash?: number[];
}

/** A chart that fills its container's width; `name` registers its point count in the test hooks. */
export class LineChart {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private observer: ResizeObserver;
  private data: uPlot.AlignedData;

  constructor(
    readonly name: string,
    title: string,
    readonly series: SeriesSpec[],
    xLabel = 'step',
    private height = 240,
  ) {
    this.data = [[], ...series.map(() => [])];
    this.el = h('div', { class: 'chart', 'data-chart': name, 'data-points': 0 });
    const opts: uPlot.Options = {
      title,
      width: 600,
      height,
      scales: { x: { time: false } },
      axes: [
        { label: xLabel, stroke: '#555', grid: { stroke: '#eee' } },
        { stroke: '#555', grid: { stroke: '#eee' }, size: 56 },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: xLabel },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.faint ? `${s.color}55` : s.color,
          width: s.faint ? 1 : 2,
          dash: s.dash,
          spanGaps: true,
          // Faint raw values never show points; the others do where they are few (uPlot's default).
          ...(s.faint ? { points: { show: false } } : {}),
          value: (_u: uPlot, v: number | null) => (v == null ? '—' : v.toPrecision(4)),
        })),
      ],
    };
    // uPlot measures nothing itself: build it once the element is in the page, and follow its width.
    this.observer = new ResizeObserver(() => {
      const width = Math.max(200, Math.floor(this.el.clientWidth));
      if (this.plot == null) this.plot = new uPlot({ ...opts, width }, this.data, this.el);
      else if (this.plot.width !== width) this.plot.setSize({ width, height: this.height });
    });
    this.observer.observe(this.el);
  }

  setData(x: number[], ys: (number | null)[][]): void {
    this.data = [x, ...ys] as uPlot.AlignedData;
    this.el.dataset.points = String(x.length);
    hooks.charts[this.name] = { x, y: ys };
    this.plot?.setData(this.data);
  }

  get points(): number {
    return this.data[0].length;
  }

  destroy(): void {
    this.observer.disconnect();
    this.plot?.destroy();
    delete hooks.charts[this.name];
  }
}

/** Exponential moving average that restarts at gaps (nulls stay null). */
export function smooth(values: (number | null)[], alpha: number): (number | null)[] {
  let s: number | null = null;
  let weight = 0;
  return values.map((v) => {
    if (v == null || !Number.isFinite(v)) return null;
    // Bias-corrected, so the first points are not pulled towards 0.
    s = (s ?? 0) * alpha + v * (1 - alpha);
    weight = weight * alpha + (1 - alpha);
    return s / weight;
  });
}

/** Loss curves of D and G: one point per step line, faint raw values under smoothed lines. */
export class LossChart {
  readonly chart: LineChart;
  private steps: StepLine[] = [];

  constructor(name: string, title = 'Losses') {
    this.chart = new LineChart(name, title, [
      { label: 'D', color: COLORS.d, faint: true },
      { label: 'G', color: COLORS.g, faint: true },
      { label: 'D (smoothed)', color: COLORS.d },
      { label: 'G (smoothed)', color: COLORS.g },
    ]);
  }

  get el(): HTMLElement {
    return this.chart.el;
  }

  /** Adds lines; `reset`: they replace all before (the metrics file was cut back). */
  add(lines: MetricsLine[], reset = false): void {
    if (reset) this.steps = [];
    for (const line of lines) if (isStepLine(line)) this.steps.push(line);
    const d = this.steps.map((s) => s.d_loss);
    const g = this.steps.map((s) => s.g_loss);
    const alpha = Math.min(0.98, Math.max(0, 1 - 10 / Math.max(1, this.steps.length)));
    this.chart.setData(
      this.steps.map((s) => s.global_step),
      [d, g, smooth(d, alpha), smooth(g, alpha)],
    );
  }

  destroy(): void {
    this.chart.destroy();
  }
}

/** ADA's augmentation probability per step (runs with --ada or --augment-p); hidden until a step line carries it. */
export class AdaChart {
  readonly chart: LineChart;
  private x: number[] = [];
  private p: number[] = [];

  constructor(name: string) {
    this.chart = new LineChart(name, 'ADA augmentation probability p', [{ label: 'p', color: COLORS.b }], 'step', 160);
    this.chart.el.hidden = true;
  }

  get el(): HTMLElement {
    return this.chart.el;
  }

  add(lines: MetricsLine[], reset = false): void {
    if (reset) {
      this.x = [];
      this.p = [];
    }
    for (const line of lines) {
      if (isStepLine(line) && line.ada_p != null) {
        this.x.push(line.global_step);
        this.p.push(line.ada_p);
      }
    }
    if (this.x.length === 0) return;
    this.chart.el.hidden = false;
    this.chart.setData(this.x, [this.p]);
  }

  destroy(): void {
    this.chart.destroy();
  }
}

/** The scalar metrics of an eval line that make sense as curves, in the order they are offered. */
export const METRIC_KEYS = ['fid', 'kid', 'is', 'precision', 'recall', 'psnr', 'ssim'] as const;

/** A score of an eval line by name (fid, psnr, baseline_ssim, …) when it is a finite number; else null. */
export function evalValue(line: EvalLine, key: string): number | null {
  const v = (line.eval as Partial<Record<string, unknown>>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The metric keys present in some eval line. */
export function metricKeys(evals: EvalLine[]): string[] {
  return METRIC_KEYS.filter((k) => evals.some((e) => evalValue(e, k) != null));
}

/**
 * Where an eval line sits on the step axis: its global_step, or (a `gantry eval` line appended after training,
 * which has none) the last step seen before it.
 */
export function evalPoints(lines: MetricsLine[]): { step: number; line: EvalLine }[] {
  let last = 0;
  const out: { step: number; line: EvalLine }[] = [];
  for (const line of lines) {
    if (isStepLine(line)) last = line.global_step;
    else if (isEvalLine(line)) out.push({ step: line.global_step ?? last, line });
  }
  return out;
}
