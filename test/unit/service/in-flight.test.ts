import { InFlight } from '../../../src/service/in-flight';

describe('InFlight', () => {
  it('refuses a second hold of an id until the first is released', () => {
    const ids = new InFlight();
    const release = ids.hold('a');

    expect(release).toBeDefined();
    expect(ids.hold('a')).toBeUndefined();
    expect(ids.hold('b')).toBeDefined();
    release!();
    expect(ids.hold('a')).toBeDefined();
  });

  it("a release called again after another holder took the id leaves that holder's hold alone", () => {
    const ids = new InFlight();
    const first = ids.hold('a')!;
    first(); // released early (the row now guards the work)
    const second = ids.hold('a')!;

    first(); // the first holder's finally

    expect(ids.hold('a')).toBeUndefined();
    second();
    expect(ids.hold('a')).toBeDefined();
  });
});
