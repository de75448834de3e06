// How every benchmark reports: each figure beside the reference measured in the same run and
// their ratio, progress on stderr, a JSON result and an SVG chart on disk, and with --json the
// result as the last line of stdout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** What the figure is compared with, measured in the same run, if anything. */
  readonly reference?: { readonly name: string; readonly value: number };
  /** The target, if the issue sets one, and whether higher is better. */
  readonly target?: { readonly value: number; readonly higherIsBetter: boolean };
}

export interface BenchResult {
  readonly bench: string;
  readonly startedAt: string;
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly figures: readonly Figure[];
  readonly details: unknown;
}

export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

export function printFigures(figures: readonly Figure[]): void {
  for (const figure of figures) {
    let line = `${figure.name}: ${format(figure.value)} ${figure.unit}`;
    if (figure.reference !== undefined) {
      const ratio = figure.value / figure.reference.value;
      line += ` | ${figure.reference.name}: ${format(figure.reference.value)} ${figure.unit} | ratio ${ratio.toFixed(2)}`;
    }
    if (figure.target !== undefined) {
      const { value, higherIsBetter } = figure.target;
      const met = higherIsBetter ? figure.value >= value : figure.value <= value;
      line += ` | target ${higherIsBetter ? '>=' : '<='} ${format(value)}: ${met ? 'met' : 'NOT met'}`;
    }
    console.log(line);
  }
}

/** Writes `NAME.json` and `NAME.svg` (a bar per figure, scaled to its reference or target) under `directory`. */
export function writeResult(
  directory: string,
  result: BenchResult,
): { readonly json: string; readonly svg: string } {
  mkdirSync(directory, { recursive: true });
  const json = join(directory, `${result.bench}.json`);
  const svg = join(directory, `${result.bench}.svg`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(svg, chart(result));
  return { json, svg };
}

function chart(result: BenchResult): string {
  const compared = result.figures.filter(
    (figure) => figure.reference !== undefined || figure.target !== undefined,
  );
  const rowHeight = 28;
  const width = 760;
  const labelWidth = 360;
  const barSpace = width - labelWidth - 80;
  const rows = compared.map((figure, row) => {
    const base = figure.reference?.value ?? figure.target!.value;
    const ratio = base === 0 ? 0 : figure.value / base;
    const bar = Math.max(1, Math.min(barSpace, (ratio / 2) * barSpace));
    const y = 40 + row * rowHeight;
    const label = figure.name.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    return [
      `<text x="8" y="${y + 14}" font-size="12">${label}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${bar.toFixed(1)}" height="18" fill="${ratio >= 1 ? '#3a7' : '#c63'}"/>`,
      `<text x="${labelWidth + bar + 6}" y="${y + 14}" font-size="12">${ratio.toFixed(2)}×</text>`,
    ].join('');
  });
  const height = 60 + compared.length * rowHeight;
  const middle = labelWidth + barSpace / 2;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<text x="8" y="20" font-size="14">${result.bench}: each figure as a ratio of its reference (or target); the line is 1×</text>`,
    ...rows,
    `<line x1="${middle}" y1="34" x2="${middle}" y2="${height - 10}" stroke="#333" stroke-dasharray="4"/>`,
    '</svg>',
    '',
  ].join('\n');
}
