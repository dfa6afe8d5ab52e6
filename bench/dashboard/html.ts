// The page bench/dashboard/render.ts hands to headless Chromium: the dashboard's grid (24
// columns, gridPos as in the JSON), rows, and one SVG line chart per timeseries panel. The
// series are embedded as JSON and drawn by the page's own script, so what the browser shows —
// and what the data check reads back from its DOM — is the browser's drawing, not ours.

export interface PanelData {
  id: number
  type: string
  title: string
  unit: string
  gridPos: { x: number; y: number; w: number; h: number }
  series: { name: string; points: [number, number][] }[]
}

export const GRID_COLUMNS = 24
export const ROW_PX = 30
export const PAGE_WIDTH = 1600
export const HEADER_PX = 64

export function pageHeight(panels: PanelData[]): number {
  return HEADER_PX + Math.max(...panels.map((p) => p.gridPos.y + p.gridPos.h)) * ROW_PX + 16
}

export function dashboardHtml(title: string, subtitle: string, panels: PanelData[]): string {
  const data = JSON.stringify({ panels, columns: GRID_COLUMNS, rowPx: ROW_PX, width: PAGE_WIDTH, headerPx: HEADER_PX }).replace(/</g, '\\u003c')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
  body { margin: 0; background: #111217; color: #ccccdc; font: 12px/1.3 "DejaVu Sans", sans-serif; width: ${PAGE_WIDTH}px; }
  header { height: ${HEADER_PX - 16}px; padding: 8px 12px; }
  header h1 { margin: 0; font-size: 18px; color: #fff; font-weight: 500; }
  header p { margin: 4px 0 0; color: #8e8e9e; }
  #grid { position: relative; margin: 0 4px; }
  .row { position: absolute; font-size: 14px; color: #fff; padding: 6px 4px; box-sizing: border-box; }
  .panel { position: absolute; box-sizing: border-box; background: #181b1f; border: 1px solid #2a2d33; border-radius: 2px; padding: 4px 8px; overflow: hidden; }
  .panel h2 { margin: 0 0 2px; font-size: 13px; font-weight: 500; color: #d8d9da; }
  .legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 11px; }
  .legend span::before { content: ""; display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; background: var(--c); }
  .nodata { color: #8e8e9e; text-align: center; padding-top: 40px; font-size: 14px; }
  svg text { fill: #8e8e9e; font-size: 10px; }
</style></head>
<body>
<header><h1>${escape(title)}</h1><p>${escape(subtitle)}</p></header>
<div id="grid"></div>
<script>
const D = ${data};
const colours = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#705da0', '#37872d', '#fade2a', '#ff9830', '#c4162a'];
const col = (D.width - 8) / D.columns;
function fmt(v, unit) {
  const a = Math.abs(v);
  const si = (x, suffix) => a >= 1e6 ? (x / 1e6).toFixed(1) + ' M' + suffix : a >= 1e3 ? (x / 1e3).toFixed(1) + ' k' + suffix : (a >= 10 || a === 0 ? x.toFixed(0) : x.toPrecision(2)) + (suffix ? ' ' + suffix : '');
  if (unit === 's') return a === 0 ? '0' : a < 1e-3 ? (v * 1e6).toFixed(0) + ' µs' : a < 1 ? (v * 1e3).toPrecision(3) + ' ms' : v.toPrecision(3) + ' s';
  if (unit === 'percentunit') return (v * 100).toPrecision(2) + '%';
  if (unit === 'Bps') return a >= 1048576 ? (v / 1048576).toFixed(1) + ' MiB/s' : a >= 1024 ? (v / 1024).toFixed(1) + ' KiB/s' : v.toFixed(0) + ' B/s';
  if (unit === 'reqps') return si(v, 'req/s');
  if (unit === 'ops') return si(v, 'ops/s');
  return si(v, '');
}
function niceMax(m) { if (!(m > 0)) return 1; const p = Math.pow(10, Math.floor(Math.log10(m))); for (const k of [1, 2, 2.5, 5, 10]) if (k * p >= m) return k * p; return 10 * p; }
const grid = document.getElementById('grid');
const all = D.panels.flatMap((p) => p.series.flatMap((s) => s.points.map((q) => q[0])));
const t0 = Math.min(...all), t1 = Math.max(...all);
for (const p of D.panels) {
  const box = document.createElement('section');
  const x = 4 + p.gridPos.x * col, y = p.gridPos.y * D.rowPx, w = p.gridPos.w * col - 4, h = p.gridPos.h * D.rowPx - 4;
  Object.assign(box.style, { left: x + 'px', top: y + 'px', width: w + 'px', height: h + 'px' });
  box.dataset.title = p.title;
  if (p.type === 'row') { box.className = 'row'; box.textContent = '▾ ' + p.title; grid.appendChild(box); continue; }
  box.className = 'panel';
  box.innerHTML = '<h2></h2>';
  box.querySelector('h2').textContent = p.title;
  const series = p.series.filter((s) => s.points.length > 0);
  box.dataset.series = String(series.length);
  if (series.length === 0) { const n = document.createElement('div'); n.className = 'nodata'; n.textContent = 'No data'; box.appendChild(n); grid.appendChild(box); continue; }
  const legendRows = Math.min(3, Math.ceil(series.length / 4));
  const pw = w - 18, ph = h - 30 - legendRows * 15, left = 62, bottom = 16;
  const max = niceMax(Math.max(...series.flatMap((s) => s.points.map((q) => q[1]))));
  const sx = (t) => left + (pw - left - 4) * (t - t0) / Math.max(1, t1 - t0);
  const sy = (v) => (ph - bottom) - (ph - bottom - 6) * (v / max) + 2;
  let svg = '<svg width="' + pw + '" height="' + ph + '">';
  for (let k = 0; k <= 4; k++) {
    const v = max * k / 4, yy = sy(v);
    svg += '<line x1="' + left + '" x2="' + (pw - 4) + '" y1="' + yy + '" y2="' + yy + '" stroke="#2a2d33"/>';
    svg += '<text x="' + (left - 4) + '" y="' + (yy + 3) + '" text-anchor="end">' + fmt(v, p.unit) + '</text>';
  }
  for (let k = 0; k <= 5; k++) {
    const t = t0 + (t1 - t0) * k / 5;
    svg += '<text x="' + sx(t) + '" y="' + (ph - 3) + '" text-anchor="' + (k === 0 ? 'start' : k === 5 ? 'end' : 'middle') + '">' + new Date(t).toTimeString().slice(0, 8) + '</text>';
  }
  series.forEach((s, i) => {
    // A gap in the data (no value in a window) breaks the line, as Grafana does.
    const parts = [[]];
    s.points.forEach((q, j) => { if (j > 0 && q[0] - s.points[j - 1][0] > 5000) parts.push([]); parts[parts.length - 1].push(sx(q[0]).toFixed(1) + ',' + sy(q[1]).toFixed(1)); });
    for (const part of parts) {
      if (part.length === 1) svg += '<circle cx="' + part[0].split(',')[0] + '" cy="' + part[0].split(',')[1] + '" r="2" fill="' + colours[i % colours.length] + '"/>';
      else svg += '<polyline fill="none" stroke-width="1.5" stroke="' + colours[i % colours.length] + '" points="' + part.join(' ') + '"/>';
    }
  });
  box.insertAdjacentHTML('beforeend', svg + '</svg>');
  const legend = document.createElement('div');
  legend.className = 'legend';
  series.forEach((s, i) => { const e = document.createElement('span'); e.style.setProperty('--c', colours[i % colours.length]); e.textContent = s.name; legend.appendChild(e); });
  box.appendChild(legend);
  grid.appendChild(box);
}
document.body.dataset.drawn = 'true';
</script>
</body></html>
`
}

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c)
}
