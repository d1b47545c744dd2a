/**
 * #/run/<id>: a run's training as it goes: loss curves of D and G and evaluation metrics, updated over
 * server-sent events while it trains; progress and ETA; the per-epoch sample grids as a timeline to scrub.
 */
import {
  fileUrl,
  getMetrics,
  getRun,
  isEvalLine,
  isImage2Image,
  isStepLine,
  type MetricsLine,
  type RunSummary,
  type StepLine,
  watchRun,
} from './api.js';
import { AdaChart, COLORS, evalPoints, evalValue, LineChart, LossChart, metricKeys } from './charts.js';
import { duration, errorBox, h } from './dom.js';
import { hooks } from './hooks.js';
import { routes, type View } from './router.js';
import { dataLabel, epochLabel, networkLabel, scoreLabel, statusBadge } from './runs.js';

/** Epoch numbers of the sample grids (samples/epoch-NNN.png), in order. */
export function sampleEpochs(run: RunSummary): number[] {
  return run.samples
    .map((f) => /^epoch-(\d+)\.png$/.exec(f))
    .filter((m) => m != null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

const pad3 = (n: number) => String(n).padStart(3, '0');

/** A range input over the run's sample grids, showing the grid of the epoch picked (and its per-class grid). */
export class SampleTimeline {
  readonly el: HTMLElement;
  private epochs: number[] = [];
  private input = h('input', { type: 'range', min: 0, max: 0, value: 0, step: 1, 'aria-label': 'epoch' });
  private label = h('span', { class: 'timeline-label' });
  private images = h('div', { class: 'sample-images' });
  private run: RunSummary;
  private drawn = false;

  /** `classes`: also show the per-class grid (classes-epoch-NNN.png) of conditional runs. */
  constructor(
    run: RunSummary,
    private onEpoch?: (epoch: number) => void,
    private classes = true,
  ) {
    this.run = run;
    this.input.addEventListener('input', () => this.show());
    this.el = h('div', { class: 'timeline' }, h('div', { class: 'timeline-bar' }, this.input, this.label), this.images);
    this.update(run);
  }

  /** New sample grids: extend the range, and follow the newest when the slider sat at the end. */
  update(run: RunSummary): void {
    this.run = run;
    const epochs = sampleEpochs(run);
    const atEnd = Number(this.input.value) >= this.epochs.length - 1;
    if (this.drawn && epochs.join() === this.epochs.join()) return;
    this.drawn = true;
    this.epochs = epochs;
    this.input.max = String(Math.max(0, epochs.length - 1));
    this.input.disabled = epochs.length < 2;
    if (atEnd) this.input.value = this.input.max;
    this.show();
  }

  /** Shows the grid of `epoch` (or the closest one before it). */
  seek(epoch: number): void {
    let index = 0;
    this.epochs.forEach((e, i) => {
      if (e <= epoch) index = i;
    });
    this.input.value = String(index);
    this.show();
  }

  get epoch(): number | null {
    return this.epochs[Number(this.input.value)] ?? null;
  }

  private show(): void {
    const epoch = this.epoch;
    if (epoch == null) {
      this.label.textContent = 'no sample grids yet';
      this.images.replaceChildren();
      return;
    }
    this.label.textContent = `epoch ${epoch} of ${this.run.epochs ?? '?'}`;
    const files = [`epoch-${pad3(epoch)}.png`, ...(this.classes ? [`classes-epoch-${pad3(epoch)}.png`] : [])].filter(
      (f) => this.run.samples.includes(f),
    );
    this.images.replaceChildren(
      ...files.map((f) =>
        h(
          'figure',
          {},
          h('img', { src: fileUrl(this.run.id, `samples/${f}`), alt: f, class: 'pixelated' }),
          h('figcaption', {}, f.startsWith('classes') ? 'one row per class' : 'fixed noise'),
        ),
      ),
    );
    this.onEpoch?.(epoch);
  }
}

/** Steps done, steps in all and an ETA from the mean step time of the recent steps. */
export function progress(
  run: RunSummary,
  steps: StepLine[],
): { done: number; total: number | null; etaMs: number | null } {
  const done = steps.length > 0 ? steps[steps.length - 1].global_step : run.globalStep;
  let perEpoch = run.stepsPerEpoch;
  if (perEpoch == null) {
    // Without it from the server: the last step number of a finished epoch.
    const finished = steps.filter((s) => s.epoch < run.epoch);
    perEpoch = finished.length > 0 ? Math.max(...finished.map((s) => s.step)) : null;
  }
  const total = perEpoch != null && run.epochs != null ? perEpoch * run.epochs : null;
  const recent = steps.slice(-50);
  const meanMs = recent.length > 0 ? recent.reduce((a, s) => a + s.step_ms, 0) / recent.length : NaN;
  const training = run.status === 'training';
  const byStepsMs = total != null && training && Number.isFinite(meanMs) ? Math.max(0, total - done) * meanMs : null;
  // With --time-budget the run stops at the budget if its epochs would take longer.
  const byBudgetMs =
    training && run.budgetSeconds != null && run.elapsedSeconds != null
      ? Math.max(0, run.budgetSeconds - run.elapsedSeconds) * 1000
      : null;
  const etaMs = byStepsMs != null && byBudgetMs != null ? Math.min(byStepsMs, byBudgetMs) : (byStepsMs ?? byBudgetMs);
  return { done, total, etaMs };
}

/** The evaluation metrics of a run over steps, one series per metric picked in a select. */
export class MetricChart {
  readonly el: HTMLElement;
  private select = h('select', { 'aria-label': 'metric' });
  private chart: LineChart | null = null;
  private holder = h('div');
  private lines: MetricsLine[] = [];

  constructor(private name: string) {
    this.select.addEventListener('change', () => this.draw(true));
    this.el = h(
      'div',
      { class: 'metric-chart', hidden: true },
      h('div', { class: 'chart-head' }, h('h3', {}, 'Evaluation'), this.select),
      this.holder,
    );
  }

  add(lines: MetricsLine[], reset = false): void {
    if (reset) this.lines = [];
    this.lines.push(...lines);
    if (reset || lines.some(isEvalLine)) this.draw(false);
  }

  private draw(rebuild: boolean): void {
    const points = evalPoints(this.lines);
    const keys = metricKeys(points.map((p) => p.line));
    if (keys.length === 0) return;
    this.el.hidden = false;
    if (this.select.options.length !== keys.length) {
      const current = this.select.value;
      this.select.replaceChildren(...keys.map((k) => h('option', { value: k }, k.toUpperCase())));
      this.select.value = keys.includes(current) ? current : keys[0];
    }
    const key = this.select.value;
    // Image-to-image runs log the degraded input's score too: draw it as the baseline.
    const baseline = points.some((p) => evalValue(p.line, `baseline_${key}`) != null);
    if (this.chart == null || rebuild) {
      this.chart?.destroy();
      this.chart = new LineChart(
        this.name,
        key.toUpperCase(),
        [
          { label: key.toUpperCase(), color: COLORS.a },
          ...(baseline ? [{ label: 'input (baseline)', color: '#888', dash: [4, 4] }] : []),
        ],
        'step',
        200,
      );
      this.holder.replaceChildren(this.chart.el);
    }
    this.chart.setData(
      points.map((p) => p.step),
      [
        points.map((p) => evalValue(p.line, key)),
        ...(baseline ? [points.map((p) => evalValue(p.line, `baseline_${key}`))] : []),
      ],
    );
  }

  destroy(): void {
    this.chart?.destroy();
  }
}

export function liveView(root: HTMLElement, id: string): View {
  let destroyed = false;
  let watch: { close(): void } | null = null;
  const loss = new LossChart('loss');
  const metric = new MetricChart('metric');
  const ada = new AdaChart('ada');
  const cleanup: (() => void)[] = [() => loss.destroy(), () => metric.destroy(), () => ada.destroy()];
  root.append(h('p', { class: 'muted' }, 'Loading…'));

  void (async () => {
    try {
      let run = await getRun(id);
      const first = await getMetrics(id, 0);
      if (destroyed) return;
      const steps: StepLine[] = first.lines.filter(isStepLine);
      const head = h('div', { class: 'run-head' });
      const progressBar = h('progress', { max: 1, value: 0 });
      const progressText = h('span', { class: 'progress-text' });
      const timeline = new SampleTimeline(run);
      const renderHead = () => {
        head.replaceChildren(
          h('h1', {}, run.id, ' ', statusBadge(run)),
          h('div', { class: 'error', hidden: !run.error }, run.error ?? ''),
          h(
            'div',
            { class: 'warning', hidden: !run.warning, 'data-warning': '' },
            run.warning ? `warning: ${run.warning}` : '',
          ),
          h(
            'p',
            { class: 'facts' },
            [
              dataLabel(run),
              run.preset != null ? `preset ${run.preset}` : '—',
              networkLabel(run),
              run.imageSize != null ? `${run.imageSize}×${run.imageSize}×${run.channels}` : null,
              scoreLabel(run),
            ]
              .filter((f) => f != null && f !== '—')
              .join(' · '),
          ),
          h(
            'nav',
            { class: 'links' },
            run.hasCheckpoint && run.status !== 'broken'
              ? isImage2Image(run)
                ? h('a', { href: routes.apply(run.id) }, 'Apply →')
                : h('a', { href: routes.play(run.id) }, 'Playground →')
              : null,
          ),
        );
        const p = progress(run, steps);
        progressBar.max = p.total ?? Math.max(1, p.done);
        progressBar.value = p.done;
        const time =
          run.elapsedSeconds != null
            ? ` · ${duration(run.elapsedSeconds * 1000)} trained` +
              (run.budgetSeconds != null ? ` of a ${duration(run.budgetSeconds * 1000)} budget` : '')
            : '';
        progressText.textContent =
          `epoch ${epochLabel(run)} · step ${p.done}${p.total != null ? `/${p.total}` : ''}${time}` +
          (p.etaMs != null ? ` · about ${duration(p.etaMs)} left` : '');
      };
      renderHead();
      root.replaceChildren(
        h(
          'section',
          { class: 'live' },
          head,
          h('div', { class: 'progress-row' }, progressBar, progressText),
          h(
            'div',
            { class: 'live-grid' },
            h('div', { class: 'charts' }, loss.el, metric.el, ada.el),
            h('div', { class: 'samples' }, h('h3', {}, 'Sample grids'), timeline.el),
          ),
        ),
      );
      loss.add(first.lines);
      metric.add(first.lines);
      ada.add(first.lines);
      hooks.ready = true;
      watch = watchRun(id, first.bytes, {
        metrics(lines, reset) {
          if (reset) steps.length = 0;
          steps.push(...lines.filter(isStepLine));
          loss.add(lines, reset);
          metric.add(lines, reset);
          ada.add(lines, reset);
          renderHead();
        },
        status(next) {
          run = next;
          timeline.update(run);
          renderHead();
        },
      });
    } catch (err) {
      if (!destroyed) root.replaceChildren(errorBox(err));
    }
  })();

  return {
    destroy() {
      destroyed = true;
      watch?.close();
      for (const f of cleanup) f();
    },
  };
}
