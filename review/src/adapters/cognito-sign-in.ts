/**
 * Signing in through Cognito's hosted page, for the review page in AWS: the page sends the browser to
 * the hosted sign-in URL when the API answers 401 (config.json's `signInUrl`); Cognito sends it back to
 * `GET /auth/callback?code=...`, where this route exchanges the code at the user pool's token endpoint
 * (authorization code grant of a public client), checks the ID token it gets, and keeps it in an
 * HttpOnly, Secure, SameSite=Lax cookie scoped to the site before redirecting to the page.
 *
 * Then every `/api/*` request carries the cookie: CloudFront copies it into `Authorization` (a
 * viewer-request function) so that API Gateway's Cognito authorizer sees the token, and the app's
 * CognitoAuthenticator reads either. The token lives as long as Cognito made it (an hour by the stack's
 * client); after that the API answers 401 and the page goes through the hosted page again.
 */
import type { FastifyInstance } from 'fastify';
import { ReviewCode, ReviewError } from '../errors.ts';
import type { Authenticator } from '../ports.ts';

/** The cookie that holds the reviewer's ID token (CloudFront's function copies it into Authorization). */
export const ID_TOKEN_COOKIE = 'edgeqc_id_token';

export interface CognitoSignInOptions {
  /** The hosted sign-in domain's base URL (`https://<prefix>.auth.<region>.amazoncognito.com`). */
  readonly domainUrl: string;
  readonly clientId: string;
  /** The callback URL registered on the app client (`https://<site>/auth/callback`). */
  readonly redirectUri: string;
  /** Checks the ID token the exchange returns before it is kept. */
  readonly auth: Authenticator;
  /** Where to send the browser afterwards. Default `/`. */
  readonly pagePath?: string;
}

/** The hosted sign-in page's URL for a client and callback (what config.json's `signInUrl` holds). */
export function hostedSignInUrl(domainUrl: string, clientId: string, redirectUri: string): string {
  const q = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: redirectUri,
  });
  return `${domainUrl.replace(/\/+$/, '')}/login?${q.toString()}`;
}

export function registerCognitoSignIn(app: FastifyInstance, o: CognitoSignInOptions): void {
  app.get<{ Querystring: { code?: string } }>('/auth/callback', async (request, reply) => {
    const code = typeof request.query.code === 'string' ? request.query.code : '';
    if (!/^[\w-]{1,512}$/.test(code)) {
      throw new ReviewError(ReviewCode.Unauthenticated, 'the sign-in callback has no valid code: sign in again');
    }
    const res = await fetch(`${o.domainUrl.replace(/\/+$/, '')}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: o.clientId,
        code,
        redirect_uri: o.redirectUri,
      }).toString(),
    });
    const body = (await res.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
    const token = typeof body.id_token === 'string' ? body.id_token : undefined;
    const reviewer = token === undefined ? undefined : await o.auth.authenticate({ authorization: token });
    if (!res.ok || token === undefined || reviewer === undefined) {
      request.log.info({ status: res.status, error: body.error }, 'sign-in code exchange refused');
      throw new ReviewError(ReviewCode.Unauthenticated, 'Cognito did not accept the sign-in: sign in again');
    }
    void reply.header('set-cookie', `${ID_TOKEN_COOKIE}=${token}; HttpOnly; Secure; SameSite=Lax; Path=/`);
    return reply.redirect(o.pagePath ?? '/', 303);
  });
}
