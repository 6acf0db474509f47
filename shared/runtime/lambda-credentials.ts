/**
 * Stand-in for `@aws-sdk/credential-provider-node` in the Lambda bundles only (the build aliases
 * it): in Lambda the role's credentials are always in the environment, so the SSO, INI, process
 * and web-identity providers (and the nested STS/SSO clients they bring, ~75 KiB) are dead
 * weight on every cold start. The CLI and the simulator keep the full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
