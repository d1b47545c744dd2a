/** #/compare/<a>/<b>: two runs side by side: their settings, sample grids at the same epoch, losses and metrics. */
import { getMetrics, listRuns, type MetricsLine, type RunSummary } from './api.js';
import { COLORS, evalPoints, evalValue, LineChart, LossChart, metricKeys } from './charts.js';
import { errorBox, fmt, h } from './dom.js';
import { hooks } from './hooks.js';
import { SampleTimeline } from './live.js';
import { routes, type View } from './router.js';
import { dataLabel, epochLabel, networkLabel, scoreLabel, statusBadge } from './runs.js';

export function compareView(root: HTMLElement, a: string, b: string): View {
  let destroyed = false;
  const charts: { destroy(): void }[] = [];
  root.append(h('p', { class: 'muted' }, 'Loading…'));

  void (async () => {
    try {
      const { runs } = await listRuns();
      const pair = [a, b].map((id) => {
        const run = runs.find((r) => r.id === id);
        if (run == null) throw new Error(`no run ${id} in the studio's runs folder`);
        return run;
      });
      const metrics = await Promise.all(pair.map((r) => getMetrics(r.id)));
      if (destroyed) return;

      const picker = (current: string, side: 0 | 1) =>
        h(
          'select',
          {
            'aria-label': `run ${side === 0 ? 'A' : 'B'}`,
            onchange: (e: Event) => {
              const id = (e.target as HTMLSelectElement).value;
              location.hash = side === 0 ? routes.compare(id, b) : routes.compare(a, id);
            },
          },
          ...runs.map((r) => h('option', { value: r.id, selected: r.id === current }, r.id)),
        );

      const timelines: SampleTimeline[] = [];
      let syncing = false;
      // Scrubbing one side moves the other to the same epoch.
      const sync = (from: number) => (epoch: number) => {
        if (syncing) return;
        syncing = true;
        timelines.forEach((t, i) => {
          if (i !== from) t.seek(epoch);
        });
        syncing = false;
      };
      const columns = pair.map((run, i) => {
        const loss = new LossChart(i === 0 ? 'loss-a' : 'loss-b');
        charts.push(loss);
        const timeline = new SampleTimeline(run, sync(i), false);
        timelines.push(timeline);
        const column = h(
          'div',
          { class: 'compare-column', 'data-run': run.id },
          h('h2', {}, h('span', { class: 'side' }, i === 0 ? 'A' : 'B'), picker(run.id, i as 0 | 1), statusBadge(run)),
          h('div', { class: 'compare-body' }, timeline.el, loss.el),
        );
        loss.add(metrics[i].lines);
        return column;
      });
      root.replaceChildren(
        h(
          'section',
          { class: 'compare' },
          h('h1', {}, 'Compare'),
          h('div', { class: 'compare-grid' }, ...columns),
          h(
            'div',
            { class: 'compare-grid' },
            metricOverlay(
              pair,
              metrics.map((m) => m.lines),
              charts,
            ),
            h('div', {}, h('h3', {}, 'Settings'), settingsTable(pair)),
          ),
        ),
      );
      hooks.ready = true;
    } catch (err) {
      if (!destroyed) root.replaceChildren(errorBox(err));
    }
  })();

  return {
    destroy() {
      destroyed = true;
      for (const c of charts) c.destroy();
    },
  };
}

function settingsTable(pair: RunSummary[]): HTMLElement {
  const rows: [string, (r: RunSummary) => string][] = [
    ['data', dataLabel],
    ['preset', (r) => r.preset ?? '—'],
    ['network', networkLabel],
    ['image', (r) => (r.imageSize != null ? `${r.imageSize}×${r.imageSize}×${r.channels}` : '—')],
    ['latent', (r) => String(r.latentDim ?? '—')],
    ['epochs', epochLabel],
    ['steps', (r) => String(r.globalStep)],
    ['best', scoreLabel],
    ['EMA', (r) => (r.hasEma ? 'yes' : 'no')],
  ];
  return h(
    'table',
    { class: 'settings' },
    h('thead', {}, h('tr', {}, h('th', {}), h('th', {}, 'A'), h('th', {}, 'B'))),
    h(
      'tbody',
      {},
      ...rows.map(([name, get]) => {
        const [x, y] = pair.map(get);
        return h('tr', { class: x === y ? '' : 'differs' }, h('th', {}, name), h('td', {}, x), h('td', {}, y));
      }),
    ),
  );
}

/** Both runs' evaluation metric on one chart (a metric either has), over steps. */
function metricOverlay(pair: RunSummary[], lines: MetricsLine[][], charts: { destroy(): void }[]): HTMLElement | null {
  const points = lines.map(evalPoints);
  const keys = metricKeys(points.flat().map((p) => p.line));
  if (keys.length === 0)
    return h(
      'p',
      { class: 'muted' },
      'Neither run has evaluation metrics (train with --eval-every, or run gantry eval --run).',
    );
  const select = h(
    'select',
    { 'aria-label': 'metric' },
    ...keys.map((k) => h('option', { value: k }, k.toUpperCase())),
  );
  const holder = h('div');
  let chart: LineChart | null = null;
  const draw = () => {
    const key = select.value;
    chart?.destroy();
    chart = new LineChart(
      'metric-compare',
      `${key.toUpperCase()} · A and B`,
      pair.map((r, i) => ({ label: `${i === 0 ? 'A' : 'B'} ${r.id}`, color: i === 0 ? COLORS.a : COLORS.b })),
      'step',
      220,
    );
    holder.replaceChildren(chart.el);
    // One x axis for both: the union of their steps, each series null where it has no point.
    const xs = [...new Set(points.flat().map((p) => p.step))].sort((m, n) => m - n);
    chart.setData(
      xs,
      points.map((ps) =>
        xs.map((x) => {
          const p = ps.filter((q) => q.step === x).pop();
          return p ? evalValue(p.line, key) : null;
        }),
      ),
    );
    const last = points.map((ps) =>
      ps
        .map((p) => evalValue(p.line, key))
        .filter((v) => v != null)
        .pop(),
    );
    summary.textContent = `last ${key.toUpperCase()}: A ${fmt(last[0] ?? null, 2)} · B ${fmt(last[1] ?? null, 2)}`;
  };
  const summary = h('span', { class: 'muted' });
  select.addEventListener('change', draw);
  charts.push({ destroy: () => chart?.destroy() });
  const el = h(
    'div',
    { class: 'metric-chart' },
    h('div', { class: 'chart-head' }, h('h3', {}, 'Evaluation'), select, summary),
    holder,
  );
  draw();
  return el;
}
