/**
 * Reviewers from Amazon Cognito: a request carries the reviewer's ID token in `Authorization` (the raw
 * token, as API Gateway's Cognito authorizer takes it, or `Bearer <token>`), or else in the sign-in
 * cookie that cognito-sign-in.ts sets; the token is verified here
 * with aws-jwt-verify: RS256 signature against the user pool's JWKS, issuer, `token_use` = id, audience =
 * the app client, expiry.
 *
 * In AWS, API Gateway's Cognito authorizer has already checked the same token before the Lambda runs.
 * The app checks it again anyway (decided for issue 26): the Lambda then trusts no header it did not
 * verify itself (a route or stage deployed without the authorizer stays closed), and the same app runs
 * under fastify inject in tests against a Cognito that is not behind API Gateway (moto's).
 */
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { Reviewer } from '../domain/index.ts';
import { ReviewCode, ReviewError } from '../errors.ts';
import type { Authenticator, RequestHeaders } from '../ports.ts';
import { ID_TOKEN_COOKIE } from './cognito-sign-in.ts';

export interface CognitoAuthenticatorOptions {
  /** `<region>_<id>`. */
  readonly userPoolId: string;
  /** The app client the ID tokens are issued to (their `aud`). */
  readonly clientId: string;
  /**
   * Where to fetch the user pool's JWKS from. Default: Cognito's own
   * (`https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`); a Cognito emulator serves it
   * elsewhere.
   */
  readonly jwksUri?: string;
  /** A token that does not verify (the request then gets 401). */
  readonly onRejected?: (reason: string) => void;
}

/** The ID token in the sign-in cookie (cognito-sign-in.ts), when there is one. */
function idTokenCookie(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  for (const part of text?.split(';') ?? []) {
    const [name, ...value] = part.trim().split('=');
    if (name === ID_TOKEN_COOKIE) return value.join('=');
  }
  return undefined;
}

type IdVerifier = ReturnType<
  typeof CognitoJwtVerifier.create<{ userPoolId: string; tokenUse: 'id'; clientId: string }>
>;

export class CognitoAuthenticator implements Authenticator {
  readonly #verifier: IdVerifier;
  readonly #o: CognitoAuthenticatorOptions;
  #jwksLoaded: Promise<void> | undefined;

  constructor(options: CognitoAuthenticatorOptions) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/.test(options.userPoolId)) {
      throw new ReviewError(
        ReviewCode.BadOptions,
        `Cognito user pool id ${JSON.stringify(options.userPoolId)}: expected <region>_<id> (e.g. eu-west-1_AbC123)`,
      );
    }
    if (!/^[0-9a-z]{1,128}$/i.test(options.clientId)) {
      throw new ReviewError(
        ReviewCode.BadOptions,
        `Cognito app client id ${JSON.stringify(options.clientId)}: expected letters and digits`,
      );
    }
    this.#o = options;
    this.#verifier = CognitoJwtVerifier.create({
      userPoolId: options.userPoolId,
      tokenUse: 'id',
      clientId: options.clientId,
    });
  }

  async authenticate(headers: RequestHeaders): Promise<Reviewer | undefined> {
    const raw = headers.authorization;
    const value = (Array.isArray(raw) ? raw[0] : raw) || idTokenCookie(headers.cookie);
    if (value === undefined || value === '') return undefined;
    const token = value.replace(/^Bearer\s+/i, '').trim();
    if (this.#o.jwksUri !== undefined) {
      this.#jwksLoaded ??= this.#loadJwks(this.#o.jwksUri);
      await this.#jwksLoaded;
    }
    let payload: Awaited<ReturnType<IdVerifier['verify']>>;
    try {
      payload = await this.#verifier.verify(token);
    } catch (err) {
      // A bad, expired or foreign token is an expected outcome: 401, reported to onRejected.
      this.#o.onRejected?.(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      return undefined;
    }
    const name = [payload['cognito:username'], payload.email].find(
      (v): v is string => typeof v === 'string' && v !== '',
    );
    return { id: payload.sub, name: name ?? payload.sub };
  }

  async #loadJwks(uri: string): Promise<void> {
    try {
      const res = await fetch(uri);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.#verifier.cacheJwks((await res.json()) as Parameters<IdVerifier['cacheJwks']>[0], this.#o.userPoolId);
    } catch (err) {
      this.#jwksLoaded = undefined; // try again on the next request
      throw new ReviewError(ReviewCode.BadOptions, `Cognito JWKS from ${uri} could not be loaded`, { cause: err });
    }
  }
}
