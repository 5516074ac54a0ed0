import uPlot from 'uplot';
import { h } from './dom';

/**
 * One MLflow metric as an interactive line chart (uPlot: cursor read-out, drag to zoom, double
 * click to reset), every logged step. Colours come from the theme's CSS variables. A table of
 * the same points follows for keyboard and screen-reader users.
 */
const STEP_INCREMENTS = Array.from({ length: 10 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

export function metricChart(name: string, points: readonly { step: number; value: number }[]): HTMLElement {
  const sorted = [...points].sort((a, b) => a.step - b.step);
  const box = h('figure', { class: 'chart', 'aria-label': `${name}: ${sorted.length} steps` });
  const plot = h('div', { class: 'plot', role: 'img', 'aria-label': chartSummary(name, sorted) });
  box.append(h('figcaption', {}, name), plot);
  const table = h(
    'table',
    { class: 'data' },
    h('caption', {}, `${name} by step`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'step'), h('th', { scope: 'col' }, name))),
    h('tbody', {}, ...sorted.map((p) => h('tr', {}, h('td', {}, String(p.step)), h('td', {}, format(p.value))))),
  );
  box.append(h('details', {}, h('summary', {}, 'Show the values'), table));
  const css = getComputedStyle(document.documentElement);
  const stroke = css.getPropertyValue('--colorBrandForeground1').trim() || '#5b5fc7';
  const axis = css.getPropertyValue('--colorNeutralForeground2').trim() || '#616161';
  const grid = css.getPropertyValue('--colorNeutralStroke2').trim() || '#e0e0e0';
  // Drawn once the figure is in the page, so it takes the width it was given.
  queueMicrotask(() => {
    const width = Math.max(280, Math.min(640, plot.clientWidth || 480));
    const opts: uPlot.Options = {
      width,
      height: 200,
      scales: { x: { time: false } },
      axes: [
        // Steps are whole numbers: ticks at 1, 2, 5 × 10^n only (uPlot's default puts ticks at 1.5, 2.5).
        { stroke: axis, grid: { stroke: grid }, label: 'step', incrs: STEP_INCREMENTS },
        { stroke: axis, grid: { stroke: grid } },
      ],
      series: [{ label: 'step' }, { label: name, stroke, width: 2, points: { show: sorted.length <= 60 } }],
      legend: { live: true },
    };
    new uPlot(opts, [sorted.map((p) => p.step), sorted.map((p) => p.value)], plot);
  });
  return box;
}

function chartSummary(name: string, pts: readonly { step: number; value: number }[]): string {
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!first || !last) return `${name}: no values yet`;
  return `${name} went from ${format(first.value)} at step ${first.step} to ${format(last.value)} at step ${last.step}`;
}

function format(v: number): string {
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
