/**
 * The quality trade-off as a picture: for each verifier, precision and recall
 * over the threshold (left) and the precision/recall curve (right), with the
 * operating point marked on both. Plain SVG written here (a few lines and
 * circles), so `reflex eval --plot` needs no chart library and no browser.
 */

export interface CurvePoint {
  threshold: number;
  precision: number;
  recall: number;
}

export interface Curve {
  /** e.g. "guards", "model, cosine floor 0.80". */
  label: string;
  points: CurvePoint[];
  /** Where the gateway runs; threshold unknown (a gateway over HTTP does not say) = marked on the right panel only. */
  operating?: { threshold?: number; precision: number; recall: number };
}

const PANEL = { width: 420, height: 260, left: 52, right: 24, top: 34, bottom: 44 };
/** A row: the verifier's heading, then its two panels. */
const HEADING = 22;
const ROW = HEADING + PANEL.height + 14;
const WIDTH = 2 * PANEL.width + 40;
const COLORS = { precision: '#1f77b4', recall: '#d62728', curve: '#2ca02c', operating: '#ff7f0e' };

interface Frame {
  x0: number;
  y0: number;
  xMin: number;
  xMax: number;
}

export function precisionRecallSvg(curves: Curve[], title: string): string {
  const height = 40 + curves.length * ROW;
  const rows = curves.map((c, i) => curveRow(c, 40 + i * ROW));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}

function curveRow(curve: Curve, top: number): string {
  const points = curve.points.filter((p) => [p.threshold, p.precision, p.recall].every(Number.isFinite)).sort((a, b) => a.threshold - b.threshold);
  const thresholds = [...points.map((p) => p.threshold), ...(curve.operating?.threshold !== undefined ? [curve.operating.threshold] : [])];
  const [tMin, tMax] = span(thresholds);
  const left: Frame = { x0: 0, y0: top + HEADING, xMin: tMin, xMax: tMax };
  const right: Frame = { x0: PANEL.width + 20, y0: top + HEADING, xMin: 0, xMax: 1 };
  const op = curve.operating;
  const parts = [
    `<text x="${PANEL.left}" y="${top + 14}" font-size="13" font-weight="bold">${esc(curve.label)}</text>`,
    axes(left, 'precision and recall over the threshold', 'threshold'),
    line(left, points.map((p) => [p.threshold, p.precision]), COLORS.precision, 'precision'),
    line(left, points.map((p) => [p.threshold, p.recall]), COLORS.recall, 'recall'),
    legend(left, [['precision', COLORS.precision], ['recall', COLORS.recall]]),
    axes(right, 'precision against recall', 'recall'),
    line(right, [...points].sort((a, b) => a.recall - b.recall).map((p) => [p.recall, p.precision]), COLORS.curve, 'curve'),
  ];
  if (op?.threshold !== undefined) {
    const x = px(left, op.threshold);
    parts.push(`<line class="operating" x1="${x}" x2="${x}" y1="${py(left, 0)}" y2="${py(left, 1)}" stroke="${COLORS.operating}" stroke-dasharray="4 3"/>`);
    parts.push(dot(left, op.threshold, op.precision, op), dot(left, op.threshold, op.recall, op));
  }
  if (op) parts.push(dot(right, op.recall, op.precision, op, true));
  return `<g class="verifier" data-label="${esc(curve.label)}">\n${parts.join('\n')}\n</g>`;
}

/** The threshold axis spans the data, padded a little; one value gets a small window around it. */
function span(values: number[]): [number, number] {
  if (!values.length) return [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = hi > lo ? (hi - lo) * 0.05 : 0.05;
  return [lo - pad, hi + pad];
}

/** Round-numbered ticks (steps of 1, 2 or 5 × 10^n) inside [lo, hi], about five of them. */
export function ticks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9; k++) out.push(Number((k * step).toFixed(10)) || 0);
  return out;
}

const px = (f: Frame, x: number) => round(f.x0 + PANEL.left + ((x - f.xMin) / (f.xMax - f.xMin)) * (PANEL.width - PANEL.left - PANEL.right));
const py = (f: Frame, y: number) => round(f.y0 + PANEL.top + (1 - y) * (PANEL.height - PANEL.top - PANEL.bottom));
const round = (v: number) => Math.round(v * 10) / 10;

function axes(f: Frame, title: string, xLabel: string): string {
  const out = [`<text x="${f.x0 + PANEL.width / 2}" y="${f.y0 + 16}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    out.push(`<line x1="${px(f, f.xMin)}" x2="${px(f, f.xMax)}" y1="${py(f, v)}" y2="${py(f, v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px(f, f.xMin) - 6}" y="${py(f, v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  for (const x of ticks(f.xMin, f.xMax)) out.push(`<text x="${px(f, x)}" y="${py(f, 0) + 16}" text-anchor="middle">${x.toFixed(2)}</text>`);
  out.push(`<rect x="${px(f, f.xMin)}" y="${py(f, 1)}" width="${round(px(f, f.xMax) - px(f, f.xMin))}" height="${round(py(f, 0) - py(f, 1))}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${f.x0 + PANEL.width / 2}" y="${py(f, 0) + 32}" text-anchor="middle">${esc(xLabel)}</text>`);
  return out.join('\n');
}

function line(f: Frame, xy: number[][], color: string, name: string): string {
  if (!xy.length) return '';
  const points = xy.map(([x, y]) => `${px(f, x!)},${py(f, y!)}`).join(' ');
  const marks = xy.map(([x, y]) => `<circle cx="${px(f, x!)}" cy="${py(f, y!)}" r="2" fill="${color}"/>`).join('');
  return `<polyline class="${name}" points="${points}" fill="none" stroke="${color}" stroke-width="1.8"/>${marks}`;
}

function dot(f: Frame, x: number, y: number, op: NonNullable<Curve['operating']>, labelled = false): string {
  const text = `operating point: precision ${op.precision.toFixed(3)}, recall ${op.recall.toFixed(3)}${op.threshold !== undefined ? `, threshold ${op.threshold}` : ''}`;
  // Right of the dot, or left of it near the right edge.
  const anchor = x > 0.6 ? `x="${px(f, x) - 8}" text-anchor="end"` : `x="${px(f, x) + 8}"`;
  const label = labelled ? `<text ${anchor} y="${py(f, y) + 18}" fill="${COLORS.operating}" stroke="#fff" stroke-width="3" paint-order="stroke">${esc(`operating point: P ${op.precision.toFixed(3)} R ${op.recall.toFixed(3)}`)}</text>` : '';
  return `<circle class="operating" cx="${px(f, x)}" cy="${py(f, y)}" r="5" fill="${COLORS.operating}" stroke="#000"><title>${esc(text)}</title></circle>${label}`;
}

function legend(f: Frame, items: [string, string][]): string {
  return items
    .map(([name, color], i) => {
      const x = px(f, f.xMin) + 8 + i * 80;
      const y = py(f, 0) - 10;
      return `<line x1="${x}" x2="${x + 16}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"/><text x="${x + 20}" y="${y + 4}">${name}</text>`;
    })
    .join('');
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
