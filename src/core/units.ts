/**
 * Unit normalisation of lab and vital values to the unit each rule is written in. Conversions
 * follow clinical-codes-and-evidence.md §2b. Converted values are not rounded: rounding before a
 * comparison moves the boundary (73.41 pmol/L = 19.997 pg/mL is below 20), so the rules compare
 * the exact value and the cards round for display only.
 */

export type Quantity = { value: number; unit?: string };

function norm(unit: string | undefined): string {
  return (unit ?? '').trim().toLowerCase().replace(/\s+/g, '').replace('²', '2').replace('µ', 'u');
}

function converted(value: number, factor: number, unit: string): Quantity {
  return { value: value * factor, unit };
}

/** Estradiol → pg/mL (pmol/L ÷ 3.671; ng/L = pg/mL; pmol/mL × 1000 ÷ 3.671). */
export function estradiolPgMl(value: number, unit: string | undefined, pmolPerPg: number): Quantity | undefined {
  switch (norm(unit)) {
    case 'pg/ml':
    case 'ng/l':
      return { value, unit: 'pg/mL' };
    case 'pmol/l':
      return converted(value, 1 / pmolPerPg, 'pg/mL');
    case 'pmol/ml':
      return converted(value, 1000 / pmolPerPg, 'pg/mL');
    default:
      return undefined;
  }
}

/** 25-OH vitamin D → ng/mL (nmol/L = ng/mL × 2.496). */
export function vitaminDNgMl(value: number, unit: string | undefined): Quantity | undefined {
  switch (norm(unit)) {
    case 'ng/ml':
    case 'ug/l':
      return { value, unit: 'ng/mL' };
    case 'nmol/l':
      return converted(value, 1 / 2.496, 'ng/mL');
    default:
      return undefined;
  }
}

/** Calcium → mg/dL (mmol/L = mg/dL × 0.2495). */
export function calciumMgDl(value: number, unit: string | undefined): Quantity | undefined {
  switch (norm(unit)) {
    case 'mg/dl':
      return { value, unit: 'mg/dL' };
    case 'mmol/l':
      return converted(value, 1 / 0.2495, 'mg/dL');
    default:
      return undefined;
  }
}

/** Albumin → g/dL. */
export function albuminGdl(value: number, unit: string | undefined): Quantity | undefined {
  switch (norm(unit)) {
    case 'g/dl':
      return { value, unit: 'g/dL' };
    case 'g/l':
      return converted(value, 0.1, 'g/dL');
    default:
      return undefined;
  }
}

/** eGFR in mL/min/1.73 m² (labs write the unit many ways; all are per 1.73 m²). */
export function egfrValue(value: number, unit: string | undefined): Quantity | undefined {
  const u = norm(unit);
  return u.startsWith('ml/min') ? { value, unit: 'mL/min/1.73 m²' } : undefined;
}

export function bmiValue(value: number, unit: string | undefined): Quantity | undefined {
  const u = norm(unit);
  return u === 'kg/m2' || u === 'kg/(m2)' || u === 'kg/m^2' ? { value, unit: 'kg/m²' } : undefined;
}

export function weightKg(value: number, unit: string | undefined): Quantity | undefined {
  switch (norm(unit)) {
    case 'kg':
      return { value, unit: 'kg' };
    case 'g':
      return converted(value, 0.001, 'kg');
    case '[lb_av]':
    case 'lb':
    case 'lbs':
      return converted(value, 0.45359237, 'kg');
    default:
      return undefined;
  }
}

export function heightCm(value: number, unit: string | undefined): Quantity | undefined {
  switch (norm(unit)) {
    case 'cm':
      return { value, unit: 'cm' };
    case 'm':
      return converted(value, 100, 'cm');
    case '[in_i]':
    case 'in':
      return converted(value, 2.54, 'cm');
    default:
      return undefined;
  }
}

/** BMD → g/cm² (the erroneous `g/cm-2` seen in public examples is accepted). */
export function bmdGcm2(value: number, unit: string | undefined): Quantity | undefined {
  switch (norm(unit)) {
    case 'g/cm2':
    case 'g/cm-2':
    case 'g/cm^2':
      return { value, unit: 'g/cm²' };
    case 'mg/cm2':
      return { value: value / 1000, unit: 'g/cm²' };
    default:
      return undefined;
  }
}

/** T-scores are dimensionless: any unit (or none) is accepted. */
export function score(value: number): Quantity {
  return { value };
}
