// Access control: who is asking (sessions, API tokens, a directory) and what they may do.
export * from './errors.ts';
export * from './principal.ts';
export { AuthService, type AuthOptions, type Directory, type LoginResult } from './auth-service.ts';
export { LoginLimiter } from './login-limiter.ts';
export { AgentAuth, agentInboxPrefix, type AgentIdentity } from './agent-auth.ts';
export { oneTimePassword, passwordProblem } from './secrets.ts';
export { LdapDirectory, parseGroupMapping, escapeFilter, type LdapOptions, type GroupMapping } from './ldap-directory.ts';
