import { InitialSchema1795322840388 } from './1795322840388-initial-schema';

/** Every migration in order, listed explicitly so ts-jest and the compiled dist run the same set. */
export const MIGRATIONS = [InitialSchema1795322840388] as const;
