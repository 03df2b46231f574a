/** The demo patients offered in the picker, built relative to today like the service's own demo. */
import { demoPatients, type DemoPatient } from '../../demo/patients/index.js';

export type { DemoPatient };

export function pickerPatients(now: Date): DemoPatient[] {
  return demoPatients(now);
}
