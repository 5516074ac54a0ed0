/** One line of `npm run bench`: a measured figure against its target. */
export interface Figure {
  name: string;
  value: number;
  target: { atLeast: number } | { atMost: number } | { info: true };
  unit: 'x' | 'ms' | 'MB' | 'cores' | '';
  detail?: string;
  /** Per-pair values, when the figure is a median of several. */
  samples?: number[];
}
