import { IdkError } from '../../core/errors.js';
// What a synchronous call threw, or undefined: lets a test assert on the error's type and code.
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The IdkError a promise rejected with; anything else (success, another error) fails the test. */
export async function failure(p: Promise<unknown>): Promise<IdkError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof IdkError)) throw new Error(`expected an IdkError, got ${String(e)}`, { cause: e });
  return e;
}
