// What a synchronous call threw, or undefined: lets a test assert on the error's type and code.
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
