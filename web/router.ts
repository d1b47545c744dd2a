/**
 * Hash routes: #/runs, #/run/<id>, #/play/<id>[?backend=&seed=&weights=], #/apply/<id>[?backend=&weights=],
 * #/compare/<a>/<b> (ids escaped whole).
 */

export interface View {
  destroy(): void;
}

export const routes = {
  runs: () => '#/runs',
  run: (id: string) => `#/run/${encodeURIComponent(id)}`,
  play: (id: string, params: Record<string, string | number> = {}) => {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
    return `#/play/${encodeURIComponent(id)}${query ? `?${query}` : ''}`;
  },
  apply: (id: string) => `#/apply/${encodeURIComponent(id)}`,
  compare: (a: string, b: string) => `#/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}`,
};

export type Route =
  | { name: 'runs' }
  | { name: 'run'; id: string }
  | { name: 'play'; id: string; params: URLSearchParams }
  | { name: 'apply'; id: string; params: URLSearchParams }
  | { name: 'compare'; a: string; b: string };

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'run' && parts[1]) return { name: 'run', id: parts[1] };
  if (parts[0] === 'play' && parts[1]) return { name: 'play', id: parts[1], params: new URLSearchParams(query) };
  if (parts[0] === 'apply' && parts[1]) return { name: 'apply', id: parts[1], params: new URLSearchParams(query) };
  if (parts[0] === 'compare' && parts[1] && parts[2]) return { name: 'compare', a: parts[1], b: parts[2] };
  return { name: 'runs' };
}
