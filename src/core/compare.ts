/**
 * Threshold comparisons of the rules, on unrounded values. Rounding before comparing moves a
 * boundary (19.997 pg/mL would become 20.00 and stop being "below 20"), so values are compared as
 * computed; the tolerance absorbs only binary floating-point noise (57.8 kg / 1.7² m² comes out
 * as 20.000000000000004), far below any clinical precision.
 */
export const FLOAT_TOLERANCE = 1e-9;

/** a < b */
export function lt(a: number, b: number): boolean {
  return a < b - FLOAT_TOLERANCE;
}

/** a ≤ b */
export function le(a: number, b: number): boolean {
  return a <= b + FLOAT_TOLERANCE;
}

/** a ≥ b */
export function ge(a: number, b: number): boolean {
  return a >= b - FLOAT_TOLERANCE;
}
