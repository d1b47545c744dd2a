/** The studio page: a header and the view of the current hash route. */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { compareView } from './compare.js';
import { h } from './dom.js';
import { resetHooks } from './hooks.js';
import { liveView } from './live.js';
import { parseRoute, routes, type View } from './router.js';
import { runsView } from './runs.js';

const main = document.getElementById('app')!;
let current: View | null = null;
let shown = '';

async function show(): Promise<void> {
  const route = parseRoute(location.hash);
  // The playground writes its settings into the hash with history.replaceState, which fires no hashchange.
  if (location.hash === shown && current != null) return;
  shown = location.hash;
  current?.destroy();
  current = null;
  main.replaceChildren();
  resetHooks(route.name);
  document
    .querySelectorAll('header nav a')
    .forEach((a) => a.classList.toggle('active', a.getAttribute('data-view') === route.name));
  switch (route.name) {
    case 'runs':
      current = runsView(main);
      break;
    case 'run':
      current = liveView(main, route.id);
      break;
    case 'compare':
      current = compareView(main, route.a, route.b);
      break;
    case 'play': {
      const view = h('div');
      main.append(view);
      const placeholder: View = { destroy: () => {} };
      current = placeholder;
      // TensorFlow.js is only in the playground's chunk: the other views load without it.
      const { playgroundView } = await import('./playground.js');
      if (current === placeholder) current = playgroundView(view, route.id, route.params);
      break;
    }
    case 'apply': {
      const view = h('div');
      main.append(view);
      const placeholder: View = { destroy: () => {} };
      current = placeholder;
      const { applyView } = await import('./apply.js');
      if (current === placeholder) current = applyView(view, route.id, route.params);
      break;
    }
  }
}

document.querySelector('header nav')!.replaceChildren(h('a', { href: routes.runs(), 'data-view': 'runs' }, 'Runs'));
window.addEventListener('hashchange', () => void show());
void show();
