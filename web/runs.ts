/** #/runs: every run under the studio's runs folder, with its status, data, preset, progress and best FID. */
import { isImage2Image, listRuns, type RunSummary, runClasses } from './api.js';
import { ago, errorBox, fmt, h } from './dom.js';
import { hooks } from './hooks.js';
import { routes, type View } from './router.js';

/** What a run trained on: the named data set, or the folder it was given. */
export function dataLabel(run: RunSummary): string {
  return run.data != null ? (run.data.split('/').filter(Boolean).pop() ?? run.data) : (run.dataset ?? '—');
}

/** Family, task and conditioning, e.g. `dcgan · projection (10 classes)`. */
export function networkLabel(run: RunSummary): string {
  if (run.architecture == null) return '—';
  const parts = [run.architecture];
  if (isImage2Image(run)) parts.push(run.task!);
  if (runClasses(run) > 0) parts.push(`${run.conditioning} (${run.numClasses} classes)`);
  return parts.join(' · ');
}

export const epochLabel = (run: RunSummary): string => (run.epochs == null ? '—' : `${run.epoch}/${run.epochs}`);

/** The run's headline score: best FID, or for image-to-image runs the last PSNR. */
export function scoreLabel(run: RunSummary): string {
  if (run.bestFid != null) return `FID ${fmt(run.bestFid, 2)}`;
  const psnr = run.lastEval?.psnr;
  return typeof psnr === 'number' ? `PSNR ${fmt(psnr, 2)} dB` : '—';
}

export function statusBadge(run: RunSummary): HTMLElement {
  return h('span', { class: `badge status-${run.status}`, title: run.error ?? run.status }, run.status);
}

export function runsView(root: HTMLElement): View {
  const picked = new Set<string>();
  const table = h('tbody');
  const compareButton = h(
    'button',
    {
      disabled: true,
      onclick: () => {
        location.hash = routes.compare(...([...picked] as [string, string]));
      },
    },
    'Compare selected',
  );
  const heading = h('p', { class: 'muted' }, 'Loading…');
  root.append(
    h(
      'section',
      { class: 'runs' },
      h('div', { class: 'toolbar' }, h('h1', {}, 'Runs'), heading, compareButton),
      h(
        'table',
        { class: 'runs-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['', 'Run', 'Status', 'Data', 'Preset', 'Network', 'Progress', 'Best', 'Updated', ''].map((c) =>
              h('th', {}, c),
            ),
          ),
        ),
        table,
      ),
    ),
  );

  const row = (run: RunSummary): HTMLElement => {
    const pick = h('input', {
      type: 'checkbox',
      checked: picked.has(run.id),
      title: 'pick two runs to compare',
      onchange: (e: Event) => {
        if ((e.target as HTMLInputElement).checked) picked.add(run.id);
        else picked.delete(run.id);
        compareButton.disabled = picked.size !== 2;
      },
    });
    return h(
      'tr',
      { 'data-run': run.id, class: `run status-${run.status}` },
      h('td', {}, pick),
      h('td', {}, h('a', { href: routes.run(run.id) }, run.id)),
      h(
        'td',
        {},
        statusBadge(run),
        run.error ? h('div', { class: 'reason' }, run.error) : null,
        run.warning ? h('div', { class: 'reason warning' }, run.warning) : null,
      ),
      h('td', {}, dataLabel(run)),
      h('td', {}, run.preset ?? '—'),
      h('td', {}, networkLabel(run)),
      h('td', {}, `${epochLabel(run)} epochs`),
      h('td', {}, scoreLabel(run)),
      h('td', { title: run.updated > 0 ? new Date(run.updated).toLocaleString() : '' }, ago(run.updated)),
      h(
        'td',
        { class: 'actions' },
        h('a', { href: routes.run(run.id) }, 'training'),
        ' · ',
        run.hasCheckpoint && run.status !== 'broken'
          ? isImage2Image(run)
            ? h('a', { href: routes.apply(run.id) }, 'apply')
            : h('a', { href: routes.play(run.id) }, 'playground')
          : h('span', { class: 'muted' }, 'no checkpoint'),
      ),
    );
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const refresh = async () => {
    try {
      const { root: dir, runs } = await listRuns();
      if (stopped) return;
      heading.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'} in ${dir}`;
      for (const id of picked) if (!runs.some((r) => r.id === id)) picked.delete(id);
      table.replaceChildren(...runs.map(row));
      if (runs.length === 0)
        table.append(
          h(
            'tr',
            {},
            h(
              'td',
              { colSpan: 10, class: 'muted' },
              'No runs yet: start one with gantry train --out <runs folder>/<name>.',
            ),
          ),
        );
      compareButton.disabled = picked.size !== 2;
      hooks.ready = true;
    } catch (err) {
      heading.replaceChildren(errorBox(err));
    }
    // A list with training runs changes under us: refresh it now and then.
    if (!stopped) timer = setTimeout(refresh, 5000);
  };
  void refresh();
  return {
    destroy() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
