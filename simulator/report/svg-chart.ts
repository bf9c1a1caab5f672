/**
 * Small static SVG charts for the HTML report: line charts, stacked bars and stacked shares
 * over time, with vertical markers for step events. Rendered to strings, so the report needs no
 * script and no network to show them; `<title>` elements give hover tooltips.
 */

export interface Series {
  name: string;
  color: string;
  /** [x, y]; x in the frame's xUnit (seconds by default). */
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface Marker {
  x: number;
  label: string;
  color?: string;
}

export interface ChartFrame {
  title: string;
  yLabel: string;
  /** Largest x on the axis. */
  xMax: number;
  /** What x counts, written after each x value (default "s": seconds). */
  xUnit?: string;
  markers?: Marker[];
  /** Write each marker's label on the chart (default true); the tooltip is always there. */
  markerLabels?: boolean;
  width?: number;
  height?: number;
}

const PAD = { left: 56, right: 16, top: 28, bottom: 36 };

export const PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0891b2", "#db2777", "#65a30d"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

function fmt(n: number): string {
  if (n === 0) return "0";
  if (Math.abs(n) >= 1000) return `${+(n / 1000).toFixed(1)}k`;
  if (Math.abs(n) < 1) return `${+n.toFixed(2)}`;
  return `${+n.toFixed(1)}`;
}

interface Frame {
  w: number;
  h: number;
  x(v: number): number;
  y(v: number): number;
  open: string;
  /** Markers go over the data so they stay visible on filled charts. */
  close: string;
}

/** `yMin` below 0 extends the axis down (a line chart of differences can go negative). */
function frame(f: ChartFrame, yMax: number, yFormat: (v: number) => string = fmt, yMin = 0): Frame {
  const w = f.width ?? 560;
  const h = f.height ?? 220;
  const xMax = Math.max(1, f.xMax);
  const yTop = yMax > 0 ? yMax : yMin < 0 ? 0 : 1;
  const step = niceStep(yTop - Math.min(0, yMin), 4);
  const yLimit = Math.ceil(yTop / step) * step;
  const yBottom = yMin < 0 ? -Math.ceil(-yMin / step) * step : 0;
  const x = (v: number) => PAD.left + (v / xMax) * (w - PAD.left - PAD.right);
  const y = (v: number) => h - PAD.bottom - ((v - yBottom) / (yLimit - yBottom)) * (h - PAD.top - PAD.bottom);
  const parts: string[] = [];
  parts.push(`<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(f.title)}">`);
  parts.push(`<text class="chart-title" x="${PAD.left}" y="16">${esc(f.title)}</text>`);
  for (let v = yBottom; v <= yLimit + 1e-9; v += step) {
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${w - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(yFormat(v))}</text>`);
  }
  const xStep = niceStep(xMax, 6);
  for (let v = 0; v <= xMax + 1e-9; v += xStep) {
    parts.push(`<text class="tick" x="${x(v).toFixed(1)}" y="${h - PAD.bottom + 16}" text-anchor="middle">${fmt(v)}${esc(f.xUnit ?? "s")}</text>`);
  }
  parts.push(`<line class="axis" x1="${PAD.left}" x2="${w - PAD.right}" y1="${h - PAD.bottom}" y2="${h - PAD.bottom}"/>`);
  parts.push(`<line class="axis" x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${h - PAD.bottom}"/>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${(h / 2).toFixed(0)}) rotate(-90)" text-anchor="middle">${esc(f.yLabel)}</text>`);
  const markers = (f.markers ?? []).filter((m) => m.x >= 0 && m.x <= xMax);
  const over = markers.map((m, i) => {
    const mx = x(m.x).toFixed(1);
    const label = f.markerLabels === false ? "" : `<text x="${(Number(mx) + 3).toFixed(1)}" y="${PAD.top + 10 + (i % 3) * 11}">${esc(truncate(m.label, 28))}</text>`;
    return `<g class="marker"><title>${esc(m.label)} at ${m.x.toFixed(2)}s</title><line x1="${mx}" x2="${mx}" y1="${PAD.top}" y2="${h - PAD.bottom}" stroke="${m.color ?? "#6b7280"}"/>${label}</g>`;
  });
  return { w, h, x, y, open: parts.join(""), close: `${over.join("")}</svg>` };
}

function legend(series: ReadonlyArray<{ name: string; color: string }>, fr: Frame): string {
  let at = fr.w - PAD.right;
  const items: string[] = [];
  for (const s of [...series].reverse()) {
    const width = 18 + s.name.length * 6.5;
    at -= width;
    items.push(`<g class="legend"><rect x="${at.toFixed(1)}" y="7" width="10" height="10" fill="${s.color}"/><text x="${(at + 14).toFixed(1)}" y="16">${esc(s.name)}</text></g>`);
  }
  return items.join("");
}

export function lineChart(f: ChartFrame & { series: Series[]; yFormat?: (v: number) => string }): string {
  const ys = f.series.flatMap((s) => s.points.map((p) => p[1]));
  const fr = frame(f, Math.max(0, ...ys), f.yFormat, Math.min(0, ...ys));
  const paths = f.series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const d = s.points.map(([px, py], i) => `${i === 0 ? "M" : "L"}${fr.x(px).toFixed(1)},${fr.y(py).toFixed(1)}`).join(" ");
      const dots =
        s.points.length <= 60
          ? s.points
              .map(
                ([px, py]) => `<circle cx="${fr.x(px).toFixed(1)}" cy="${fr.y(py).toFixed(1)}" r="2" fill="${s.color}"><title>${esc(s.name)} ${px}${esc(f.xUnit ?? "s")}: ${fmt(py)}</title></circle>`,
              )
              .join("")
          : "";
      return `<path class="series" d="${d}" stroke="${s.color}"${s.dashed ? ' stroke-dasharray="4 3"' : ""}/>${dots}`;
    })
    .join("");
  return fr.open + paths + legend(f.series, fr) + fr.close;
}

/** One bar per x (second), stacked in series order. */
export function stackedBars(f: ChartFrame & { series: Series[] }): string {
  const xs = [...new Set(f.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const totals = xs.map((x) => f.series.reduce((n, s) => n + (s.points.find((p) => p[0] === x)?.[1] ?? 0), 0));
  const fr = frame({ ...f, xMax: Math.max(f.xMax, (xs[xs.length - 1] ?? 0) + 1) }, Math.max(0, ...totals));
  const barWidth = Math.max(1, fr.x(1) - fr.x(0) - 2);
  const rects: string[] = [];
  xs.forEach((x) => {
    let base = 0;
    for (const s of f.series) {
      const v = s.points.find((p) => p[0] === x)?.[1] ?? 0;
      if (v <= 0) continue;
      const y0 = fr.y(base);
      const y1 = fr.y(base + v);
      rects.push(
        `<rect x="${(fr.x(x) + 1).toFixed(1)}" y="${y1.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${Math.max(0.5, y0 - y1).toFixed(1)}" fill="${s.color}"><title>${esc(s.name)} second ${x}: ${v}</title></rect>`,
      );
      base += v;
    }
  });
  return fr.open + rects.join("") + legend(f.series, fr) + fr.close;
}

/** Shares (0..1) per second as stacked areas: the split over time. */
export function stackedShares(f: ChartFrame & { series: Series[] }): string {
  const xs = [...new Set(f.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const fr = frame({ ...f, xMax: Math.max(f.xMax, (xs[xs.length - 1] ?? 0) + 1) }, 1, (v) => `${Math.round(v * 100)}%`);
  const lower = new Map<number, number>(xs.map((x) => [x, 0]));
  const areas: string[] = [];
  for (const s of f.series) {
    const top: Array<[number, number]> = [];
    const bottom: Array<[number, number]> = [];
    for (const x of xs) {
      const v = s.points.find((p) => p[0] === x)?.[1] ?? 0;
      const lo = lower.get(x) ?? 0;
      // Each second's share is drawn across the whole second.
      bottom.push([x, lo], [x + 1, lo]);
      top.push([x, lo + v], [x + 1, lo + v]);
      lower.set(x, lo + v);
    }
    if (top.length === 0) continue;
    const pts = [...top, ...bottom.reverse()].map(([px, py], i) => `${i === 0 ? "M" : "L"}${fr.x(px).toFixed(1)},${fr.y(py).toFixed(1)}`).join(" ");
    const mean = s.points.length ? s.points.reduce((n, p) => n + p[1], 0) / s.points.length : 0;
    areas.push(`<path class="area" d="${pts} Z" fill="${s.color}"><title>${esc(s.name)}: mean share ${(mean * 100).toFixed(1)}%</title></path>`);
  }
  return fr.open + areas.join("") + legend(f.series, fr) + fr.close;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
