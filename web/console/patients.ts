/** The patients offered in the picker. */
export interface DemoPatient {
  slug: string;
  title: string;
  description: string;
  bundle: { resourceType: 'Bundle'; entry?: { resource?: unknown }[] };
}

export function pickerPatients(_now: Date): DemoPatient[] {
  return [];
}
