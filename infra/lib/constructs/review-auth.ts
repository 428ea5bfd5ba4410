/**
 * Who may review: a Cognito user pool of reviewers (created by an administrator, no self sign-up, a
 * strong password and TOTP MFA), its hosted sign-in page and one public app client for the review page
 * (authorization code flow with PKCE, no client secret: the page runs in a browser). The API's Cognito
 * authorizer and the review Lambda both check the ID tokens this pool issues.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  Mfa,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

export interface ReviewAuthProps {
  /** Where the hosted sign-in page sends the reviewer back to with a code (`<site>/auth/callback`). */
  readonly callbackUrls: readonly string[];
  /** Where sign-out returns to (the site). */
  readonly logoutUrls: readonly string[];
  /** Prefix of the hosted sign-in domain (`<prefix>.auth.<region>.amazoncognito.com`). Default `edgeqc-review-<account>`. */
  readonly domainPrefix?: string;
  /** What happens to the user pool when the stack is deleted. Default RETAIN (the reviewers' accounts). */
  readonly removalPolicy?: RemovalPolicy;
}

export class ReviewAuth extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;

  constructor(scope: Construct, id: string, props: ReviewAuthProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'Reviewers', {
      userPoolName: 'edgeqc-reviewers',
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledge(this.userPool, {
      'AwsSolutions-COG8':
        'Threat protection (the Plus feature plan) is billed per active user; a handful of administrator-created ' +
        'reviewers with a 12-character password and required TOTP MFA do not need adaptive authentication.',
    });

    this.client = this.userPool.addClient('ReviewPage', {
      userPoolClientName: 'edgeqc-review-page',
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [...props.callbackUrls],
        logoutUrls: [...props.logoutUrls],
      },
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
    });

    const account = Stack.of(this).account;
    this.domain = this.userPool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `edgeqc-review-${account}` },
    });
  }

  /** The hosted sign-in page's base URL. */
  get signInUrl(): string {
    return this.domain.baseUrl();
  }
}
