'use strict';
// Charts for docs/benchmarks.md as plain SVG text (no dependencies, no
// scripts, no external fonts), so the page renders them anywhere an image
// renders. Two kinds:
//   latency: { title, rows: [{ name, samples }], unit? } — one horizontal box
//     per contender: whiskers min–max, box p10–p90, median line (labelled),
//     p99 tick, every sample as a faint dot; log x-axis when the values span
//     more than a decade, else linear.
//   lines: { title, xLabel, yLabel, series: [{ name, points: [[x, y]] }], logX? }
//     — one line per series, y linear from 0; x on a log axis when logX is
//     true, or when it is left out and x spans more than a decade (1 … 128
//     workers). A scale curve whose growth should read as linear passes
//     logX: false.
const { quantile } = require('./harness');

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const CHAR_W = 6.8; // average advance of a 12px sans glyph, for laying out labels without measuring text

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (v) => Math.round(v * 10) / 10;
const textW = (s, px = 12) => String(s).length * CHAR_W * (px / 12);

/** Fewest digits that still tell the values of one axis apart. */
function num(v) {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e5) return `${r1(v / 1e3)}k`.replace('.0k', 'k');
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return String(r1(v)).replace(/\.0$/, '');
  if (a >= 1) return v.toFixed(2).replace(/\.?0+$/, '');
  return Number(v.toPrecision(2)).toString();
}

/** Round tick values covering [lo, hi]: a linear axis from its nice steps, a log axis from 1-2-5 per decade. */
function scale(lo, hi, log, from, to) {
  if (log) {
    const l0 = Math.log10(lo);
    const l1 = Math.log10(hi);
    const pos = (v) => from + ((Math.log10(v) - l0) / (l1 - l0 || 1)) * (to - from);
    const ticks = [];
    for (let d = Math.floor(l0); d <= Math.ceil(l1); d++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** d;
        if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
      }
    }
    return { pos, ticks, lo, hi };
  }
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const a = Math.floor(lo / step) * step;
  const b = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let v = a; v <= b + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  const pos = (v) => from + ((v - a) / (b - a || 1)) * (to - from);
  return { pos, ticks, lo: a, hi: b };
}

/** Log-axis bounds snapped outwards to 1-2-5 values so the ends carry ticks. */
function logBounds(min, max) {
  const down = (v) => {
    const d = 10 ** Math.floor(Math.log10(v));
    return [5, 2, 1].map((m) => m * d).find((t) => t <= v);
  };
  const up = (v) => {
    const d = 10 ** Math.floor(Math.log10(v));
    return [1, 2, 5, 10].map((m) => m * d).find((t) => t >= v * 0.9999);
  };
  return [down(min), up(max)];
}

function svgDoc(width, height, body) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

const text = (x, y, s, attrs = '') => `<text x="${r1(x)}" y="${r1(y)}" ${attrs}>${esc(s)}</text>`;
const line = (x1, y1, x2, y2, attrs) => `<line x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" ${attrs}/>`;

/** Deterministic jitter (no Math.random: the same run gives the same file). */
const jitter = (i) => ((Math.sin(i * 12.9898) * 43758.5453) % 1 + 1) % 1 - 0.5;

function latencyChart({ title, rows, unit = 'ms' }) {
  rows = rows.filter((r) => r.samples?.length);
  if (!rows.length) throw new Error(`chart "${title}": no samples`);
  const stats = rows.map((r) => {
    const s = [...r.samples].sort((a, b) => a - b);
    return { name: r.name, s, min: s[0], p10: quantile(s, 0.1), med: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s[s.length - 1] };
  });
  const all = stats.flatMap((x) => [x.min, x.max]);
  const min = Math.min(...all);
  const max = Math.max(...all);
  const log = min > 0 && max / min > 10;
  const width = 900;
  const rowH = 34;
  const left = Math.min(360, Math.max(120, Math.max(...stats.map((x) => textW(x.name))) + 20));
  const right = 130; // the median column
  const top = 58;
  const plotW = width - left - right;
  const height = top + rowH * stats.length + 58;
  const [lo, hi] = log ? logBounds(min, max) : [0, max * 1.05];
  const sc = scale(lo, hi, log, left, left + plotW);
  const x = sc.pos;
  const body = [];
  body.push(text(width / 2, 22, title, 'text-anchor="middle" font-size="15" font-weight="bold"'));
  body.push(
    text(
      width / 2,
      40,
      `whiskers min–max · box p10–p90 · thick line median · red tick p99 · dots: every sample (${log ? 'log' : 'linear'} axis)`,
      'text-anchor="middle" font-size="11" fill="#555"',
    ),
  );
  const plotBottom = top + rowH * stats.length;
  for (const t of sc.ticks) {
    body.push(line(x(t), top, x(t), plotBottom, 'stroke="#e4e4e4"'));
    body.push(line(x(t), plotBottom, x(t), plotBottom + 5, 'stroke="#333"'));
    body.push(text(x(t), plotBottom + 18, num(t), 'text-anchor="middle" font-size="11"'));
  }
  body.push(line(left, plotBottom, left + plotW, plotBottom, 'stroke="#333"'));
  body.push(text(left + plotW / 2, plotBottom + 40, `${unit}${log ? ' (log scale)' : ''}`, 'text-anchor="middle"'));
  body.push(text(width - right + 12, top - 6, `median ${unit}`, 'font-size="11" font-weight="bold" fill="#333"'));
  stats.forEach((st, i) => {
    const cy = top + rowH * i + rowH / 2;
    const c = COLORS[i % COLORS.length];
    if (i % 2 === 1) body.push(`<rect x="0" y="${r1(cy - rowH / 2)}" width="${width}" height="${rowH}" fill="#000" fill-opacity="0.03"/>`);
    body.push(text(left - 10, cy + 4, st.name, 'text-anchor="end"'));
    st.s.forEach((v, k) => body.push(`<circle cx="${r1(x(v))}" cy="${r1(cy + jitter(k + i * 7919) * (rowH - 12))}" r="1.6" fill="${c}" fill-opacity="0.25"/>`));
    body.push(line(x(st.min), cy, x(st.p10), cy, `stroke="${c}" stroke-width="1.5"`));
    body.push(line(x(st.p90), cy, x(st.max), cy, `stroke="${c}" stroke-width="1.5"`));
    for (const v of [st.min, st.max]) body.push(line(x(v), cy - 6, x(v), cy + 6, `stroke="${c}" stroke-width="1.5"`));
    body.push(
      `<rect x="${r1(x(st.p10))}" y="${r1(cy - 9)}" width="${r1(Math.max(1, x(st.p90) - x(st.p10)))}" height="18" fill="${c}" fill-opacity="0.22" stroke="${c}" stroke-width="1.5"/>`,
    );
    body.push(line(x(st.p99), cy - 9, x(st.p99), cy + 9, 'stroke="#c00" stroke-width="2"'));
    body.push(line(x(st.med), cy - 11, x(st.med), cy + 11, `stroke="#111" stroke-width="3"`));
    body.push(text(width - right + 12, cy + 4, num(st.med), 'font-weight="bold"'));
  });
  return svgDoc(width, height, body);
}

function linesChart({ title, xLabel, yLabel, series, logX: wantLog }) {
  series = series.map((s) => ({ ...s, points: s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py)) })).filter((s) => s.points.length);
  if (!series.length) throw new Error(`chart "${title}": no points`);
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xmin = Math.min(...xs);
  const xmax = Math.max(...xs);
  const logX = xmin > 0 && (wantLog ?? xmax / xmin > 10);
  const width = 760;
  const height = 440;
  const legendW = Math.min(260, Math.max(...series.map((s) => textW(s.name))) + 40);
  const left = 78;
  const right = legendW + 20;
  const top = 44;
  const bottom = 62;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  // x: the measured sizes themselves are the ticks (1, 8, 32, 128 says more than 1, 10, 100).
  const xr = logX ? [xmin, xmax] : [Math.min(0, xmin), xmax];
  const pad = logX ? (Math.log10(xmax) - Math.log10(xmin)) * 0.04 : (xr[1] - xr[0]) * 0.04;
  const xpos = logX
    ? (v) => left + ((Math.log10(v) - Math.log10(xmin) + pad) / (Math.log10(xmax) - Math.log10(xmin) + 2 * pad || 1)) * plotW
    : (v) => left + ((v - xr[0] + pad) / (xr[1] - xr[0] + 2 * pad || 1)) * plotW;
  const xticks = [...new Set(xs)].sort((a, b) => a - b);
  const ys_ = scale(0, Math.max(...ys, 0) * 1.05 || 1, false, top + plotH, top);
  const ypos = ys_.pos;
  const body = [];
  body.push(text(width / 2, 24, title, 'text-anchor="middle" font-size="15" font-weight="bold"'));
  for (const t of ys_.ticks) {
    body.push(line(left, ypos(t), left + plotW, ypos(t), 'stroke="#e4e4e4"'));
    body.push(text(left - 8, ypos(t) + 4, num(t), 'text-anchor="end" font-size="11"'));
  }
  let lastTickEnd = -Infinity;
  for (const t of xticks) {
    body.push(line(xpos(t), top, xpos(t), top + plotH, 'stroke="#f0f0f0"'));
    body.push(line(xpos(t), top + plotH, xpos(t), top + plotH + 5, 'stroke="#333"'));
    const label = num(t);
    // Sizes close together on the axis (e.g. 1 and 8 of 128 on a linear scale) would overprint.
    if (xpos(t) - textW(label, 11) / 2 > lastTickEnd + 4) {
      body.push(text(xpos(t), top + plotH + 18, label, 'text-anchor="middle" font-size="11"'));
      lastTickEnd = xpos(t) + textW(label, 11) / 2;
    }
  }
  body.push(line(left, top + plotH, left + plotW, top + plotH, 'stroke="#333"'));
  body.push(line(left, top, left, top + plotH, 'stroke="#333"'));
  body.push(text(left + plotW / 2, height - 18, `${xLabel}${logX ? ' (log scale)' : ''}`, 'text-anchor="middle"'));
  body.push(text(18, top + plotH / 2, yLabel, `text-anchor="middle" transform="rotate(-90 18 ${r1(top + plotH / 2)})"`));
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    body.push(`<polyline fill="none" stroke="${c}" stroke-width="2.2" points="${pts.map(([px, py]) => `${r1(xpos(px))},${r1(ypos(py))}`).join(' ')}"/>`);
    for (const [px, py] of pts) body.push(`<circle cx="${r1(xpos(px))}" cy="${r1(ypos(py))}" r="3.5" fill="${c}"><title>${esc(`${s.name}: ${num(px)} → ${num(py)}`)}</title></circle>`);
    const ly = top + 10 + i * 20;
    const lx = width - right + 16;
    body.push(line(lx, ly, lx + 22, ly, `stroke="${c}" stroke-width="2.2"`));
    body.push(`<circle cx="${r1(lx + 11)}" cy="${r1(ly)}" r="3.5" fill="${c}"/>`);
    body.push(text(lx + 30, ly + 4, s.name));
  });
  return svgDoc(width, height, body);
}

/** A chart spec as a benchmark returns it (see bench/run.js) to SVG text. */
function renderChart(chart) {
  if (chart.kind === 'latency') return latencyChart(chart);
  if (chart.kind === 'lines') return linesChart(chart);
  throw new Error(`chart "${chart.title}": unknown kind ${chart.kind}`);
}

module.exports = { renderChart, latencyChart, linesChart };
