// FHIR R4 validation for tests: the `fhir` package (FHIR.js) with its R4 structure definitions
// and value sets; unexpected properties are errors, so a misspelt field fails.
import fhirPkg from 'fhir';

const { Fhir } = fhirPkg as unknown as {
  Fhir: new () => { validate(o: unknown, opts: { errorOnUnexpected: boolean }): { valid: boolean; messages: Array<{ severity: string; location: string; message: string }> } };
};

export function validateR4(resource: unknown): { valid: boolean; errors: string[] } {
  const r = new Fhir().validate(resource, { errorOnUnexpected: true });
  return { valid: r.valid, errors: r.messages.filter((m) => m.severity === 'error').map((m) => `${m.location}: ${m.message}`) };
}
