// The server's error bodies: model.AppError serialised (server/public/model/utils.go AppError
// ToJSON) with the ids and English messages from server/i18n/en.json that the endpoints we
// implement return. Rate limiting is different: it is plain text from http.Error (see rest.ts).
import { newId } from './ids';

export interface AppErrorBody {
  readonly id: string;
  readonly message: string;
  readonly detailed_error: string;
  readonly request_id: string;
  readonly status_code: number;
}

/** id → [status, message] for every error this server can produce. */
export const ERRORS = {
  sessionExpired: ['api.context.session_expired.app_error', 401, 'Invalid or expired session, please login again.'],
  invalidCredentials: ['api.user.login.invalid_credentials_email_username', 401, 'Enter a valid email or username and/or password.'],
  mfaRequired: ['mfa.validate_token.authenticate.app_error', 400, 'Invalid MFA token.'],
  mfaBadCode: ['api.user.check_user_mfa.bad_code.app_error', 401, 'Invalid MFA token.'],
  permissions: ['api.context.permissions.app_error', 403, 'You do not have the appropriate permissions.'],
  invalidUrlParam: ['api.context.invalid_url_param.app_error', 400, 'Invalid or missing {{.Name}} parameter in request URL.'],
  invalidBodyParam: ['api.context.invalid_body_param.app_error', 400, 'Invalid or missing {{.Name}} in request body.'],
  invalidParam: ['api.context.invalid_param.app_error', 400, 'Invalid {{.Name}} parameter.'],
  invalidPostType: ['model.post.is_valid.type.app_error', 400, 'Invalid type.'],
  postNotFound: ['app.post.get.app_error', 404, 'Unable to get post.'],
  channelNotFound: ['app.channel.get.existing.app_error', 404, 'Unable to find the existing channel.'],
  userNotFound: ['app.user.missing_account.const', 404, 'Unable to find the user.'],
  fileNotFound: ['app.file_info.get.app_error', 404, 'Unable to get the file info.'],
  teamNotFound: ['app.team.get.find.app_error', 404, 'Unable to find the existing team.'],
  notFoundRoute: ['api.context.404.app_error', 404, 'Sorry, we could not find the page.'],
  channelNameExists: ['store.sql_channel.save_channel.exists.app_error', 400, 'A channel with that name already exists on the same team.'],
  invalidRedirect: ['api.invalid_redirect_url', 400, 'Invalid redirect URL'],
  invalidCustomUrlScheme: ['api.invalid_custom_url_scheme', 400, 'Invalid custom URL scheme has been passed'],
  ssoUnsupported: ['api.user.authorize_oauth_user.unsupported.app_error', 501, 'Invalid SSO service provider.'],
  oauthState: ['api.oauth.invalid_state_token.app_error', 400, 'Invalid state token.'],
  wsNoAuth: ['api.web_socket_router.no_auth.app_error', 401, 'No authentication.'],
} as const satisfies Record<string, readonly [string, number, string]>;
export type ErrorName = keyof typeof ERRORS;

export class ApiError extends Error {
  constructor(
    readonly errName: ErrorName,
    readonly detail = '',
    readonly params: Record<string, string> = {},
  ) {
    super(ERRORS[errName][0]);
  }
  get status(): number {
    return ERRORS[this.errName][1];
  }
  body(): AppErrorBody {
    const [id, status, template] = ERRORS[this.errName];
    const message = template.replace(/\{\{\.(\w+)\}\}/g, (_m, k: string) => this.params[k] ?? k);
    return { id, message, detailed_error: this.detail, request_id: newId(), status_code: status };
  }
}
