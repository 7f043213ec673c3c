import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AuthError, may, type Action, type Principal } from '../auth/principal.js';
import type { TokenVerifier } from '../auth/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The verified principal of a request that passed `authorize`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AuthError('unauthenticated', 'sign in first');
  return request.principal;
}

/**
 * An `onRequest` hook that demands a valid bearer token whose role may do `action`. It runs before
 * the body is read or validated, so a caller without the right answers 401/403 and learns nothing
 * about what the route accepts. Scope (which gemeente, which client) is checked by the route on
 * top, answering 404 for what one may not see. The action is kept on the hook so the app can list
 * which route needs which right (`routeTable`).
 */
export function authorize(verify: TokenVerifier, action: Action): onRequestAsyncHookHandler & { readonly action: Action } {
  const hook = async (request: FastifyRequest, _reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (!header || !/^Bearer\s+\S+$/i.test(header)) throw new AuthError('unauthenticated', 'this needs a bearer token (Authorization: Bearer …)');
    const principal = await verify(header.replace(/^Bearer\s+/i, ''));
    if (!may(principal, action)) throw new AuthError('forbidden', `your role (${principal.role}) may not do this`);
    request.principal = principal;
  };
  return Object.assign(hook, { action });
}
