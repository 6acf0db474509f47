/** The package's version (`pan-failover --version`), inlined by the build. */
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
